/**
 * The command-line adapter: `retrain-studio <command> [flags]`. It parses argv, calls the
 * service (or core for one-shot labelling), prints, and chooses the exit code. Nothing
 * here decides anything the app would decide differently.
 *
 * Exit codes: 0 success · 1 unexpected error · 2 usage (bad or contradicting flags) ·
 * 3 data (dataset, image, file not found) · 4 model (not found, invalid, wrong input) ·
 * 5 engine or download · 130 cancelled (Ctrl-C).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, type ErrorCode } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { HYPERPARAMETERS, type TrainingConfig } from '../core/training/index.js';
import { createService, type Service } from '../api/service.js';
import type { BottleneckProgress, RunSummary } from '../api/contract.js';
import { labelCommandMain } from './label.js';
import { createOutput, type Output } from './output.js';

const EXIT: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 2,
  INPUT_MISMATCH: 2,
  DATASET_EMPTY: 3,
  DATASET_INVALID: 3,
  IMAGE_UNREADABLE: 3,
  NOT_FOUND: 3,
  PATH_NOT_ALLOWED: 3,
  MODEL_NOT_FOUND: 4,
  MODEL_INVALID: 4,
  NODE_NOT_FOUND: 4,
  UNSUPPORTED_LAYER: 4,
  DOWNLOAD_FAILED: 5,
  ENGINE_UNAVAILABLE: 5,
  CANCELLED: 130,
};

/** Maps an error to its exit code (the one place that does). */
export function exitCodeFor(error: unknown): number {
  return error instanceof CoreError ? (EXIT[error.code] ?? 1) : 1;
}

const USAGE = `Usage: retrain-studio <command> [flags]

Commands:
  retrain   train a new final layer (retrain.py's flags: --image_dir, --architecture, --how_many_training_steps, …)
  label     classify one image (label_image.py's flags: --graph, --labels, --image, --input_layer, …)
  models    list the model catalog and what is cached (--download ID, --import DIR [--bottleneck_node N])
  cache     bottleneck cache location and size (--clear)
  runs      list training runs
  serve     serve the app's UI over HTTP (--host, --port, --token-file; always behind a token)

Common flags: --data_dir DIR (default ${defaultDataDir()}), --backend auto|tensorflow-gpu|tensorflow|wasm|cpu, --engine auto|tfjs|onnx
Run "retrain-studio <command> --help" for a command's flags.`;

type Flags = Record<string, string | boolean | undefined>;

const COMMON: ParseArgsConfig['options'] = {
  help: { type: 'boolean', short: 'h' },
  data_dir: { type: 'string' },
  backend: { type: 'string' },
  engine: { type: 'string' },
};

function parse(argv: string[], options: ParseArgsConfig['options']): Flags {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: false, strict: true }).values as Flags;
  } catch (error) {
    throw new CoreError('INVALID_ARGUMENT', (error as Error).message.replace(/^TypeError \[\w+\]: /, ''));
  }
}

async function openService(flags: Flags, extra: { runsDir?: string; cacheDir?: string } = {}): Promise<Service> {
  const dataDir = typeof flags.data_dir === 'string' ? path.resolve(flags.data_dir) : defaultDataDir();
  const service = await createService({ dataDir, ...extra });
  const backend = flags.backend as string | undefined;
  const featureEngine = flags.engine as string | undefined;
  if (backend || featureEngine) {
    await service.updateSettings({
      ...(backend ? { backend: backend as never } : {}),
      ...(featureEngine ? { featureEngine: featureEngine as never } : {}),
    });
  }
  return service;
}

/** retrain.py flags generated from the hyperparameter table, plus its file flags. */
const RETRAIN_OPTIONS: ParseArgsConfig['options'] = {
  ...Object.fromEntries(HYPERPARAMETERS.map((h) => [h.flag, { type: h.type === 'boolean' ? ('boolean' as const) : ('string' as const) }])),
  image_dir: { type: 'string' },
  bottleneck_dir: { type: 'string' },
  output_graph: { type: 'string' },
  output_labels: { type: 'string' },
  summaries_dir: { type: 'string' },
  print_misclassified_test_images: { type: 'boolean' },
  model_dir: { type: 'string' },
  bottleneck_node: { type: 'string' },
  input_range: { type: 'string' },
  name: { type: 'string' },
  onnx: { type: 'boolean' },
};

function configFromFlags(flags: Flags): Partial<TrainingConfig> {
  const config: Record<string, unknown> = {};
  for (const h of HYPERPARAMETERS) {
    const value = flags[h.flag];
    if (value === undefined) continue;
    if (h.type === 'boolean' || h.type === 'string') config[h.key] = value;
    else {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) throw new CoreError('INVALID_ARGUMENT', `--${h.flag} must be a number (got "${String(value)}").`);
      config[h.key] = n;
    }
  }
  return config as Partial<TrainingConfig>;
}

function retrainHelp(): string {
  const rows = HYPERPARAMETERS.map((h) => `  --${h.flag.padEnd(26)} ${h.help} (default ${String(h.default)})`);
  return [
    'Usage: retrain-studio retrain --image_dir DIR [flags]',
    '  --image_dir DIR              folder with one sub-folder of images per class (required)',
    '  --model_dir DIR              use a local TF.js model instead of a catalog --architecture',
    '  --bottleneck_node NAME       with --model_dir: the layer whose output is the bottleneck',
    '  --input_range MIN,MAX        with --model_dir: pixel range the model expects (default 0,1)',
    '  --bottleneck_dir DIR         bottleneck cache folder',
    '  --summaries_dir DIR          runs folder (metrics, TensorBoard event files)',
    '  --output_graph DIR           export folder for the retrained model (model.json, labels.txt, metadata.json)',
    '  --output_labels FILE         also write the labels here',
    '  --print_misclassified_test_images',
    '  --onnx                       also export model.onnx',
    ...rows,
  ].join('\n');
}

async function retrain(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, RETRAIN_OPTIONS);
  if (flags.help) return out.line(retrainHelp()), 0;
  if (typeof flags.image_dir !== 'string') throw new CoreError('INVALID_ARGUMENT', '--image_dir is required: the folder that holds one sub-folder per class.');
  const config = configFromFlags(flags);
  const service = await openService(flags, {
    ...(typeof flags.summaries_dir === 'string' ? { runsDir: path.resolve(flags.summaries_dir) } : {}),
    ...(typeof flags.bottleneck_dir === 'string' ? { cacheDir: path.resolve(flags.bottleneck_dir) } : {}),
  });
  let runId: string | undefined;
  const abort = (): void => {
    out.line('\nCancelling…');
    if (runId) void service.cancelTraining({ runId }).catch(() => {});
  };
  process.once('SIGINT', abort);
  try {
    out.line((await service.getEngine({})).summary);
    const dataset = await service.openDataset({ path: flags.image_dir, validationPercent: config.validationPercentage, testPercent: config.testingPercentage });
    out.line(`Dataset ${dataset.root}: ${dataset.classes.length} classes, ${dataset.imageCount} images (${dataset.classes.map((c) => `${c.name} ${c.count}`).join(', ')}).`);
    for (const issue of dataset.issues) out.line(`  ${issue.severity}: ${issue.message}`);

    if (typeof flags.model_dir === 'string') {
      const range = typeof flags.input_range === 'string' ? flags.input_range.split(',').map(Number) : undefined;
      const model = await service.importModel({
        path: flags.model_dir,
        ...(typeof flags.bottleneck_node === 'string' ? { bottleneckNode: flags.bottleneck_node } : {}),
        ...(range ? { spec: { normalization: { kind: 'range', min: range[0], max: range[1] } } } : {}),
      });
      config.architecture = model.id;
      out.line(`Model ${model.name}: input ${model.inputName} ${JSON.stringify(model.inputShape)} ${model.normalization}, bottleneck ${model.bottleneckNode} (${model.featureSize}).`);
    } else {
      const architecture = config.architecture ?? (HYPERPARAMETERS.find((h) => h.key === 'architecture')?.default as string);
      const listed = (await service.listModels({})).find((m) => m.id === architecture);
      if (!listed) throw new CoreError('MODEL_NOT_FOUND', `Unknown --architecture "${architecture}". Run "retrain-studio models" for the catalog, or pass --model_dir.`);
      if (!listed.cached) {
        out.line(`Downloading ${architecture} from ${listed.url ?? 'its official URL'}…`);
        const off = service.on('model.download', (p) => out.progress('download', p.receivedBytes, p.totalBytes ?? 0, `${(p.receivedBytes / 1e6).toFixed(1)} MB ${p.file}`));
        try {
          await service.downloadModel({ modelId: architecture });
        } finally {
          off();
          out.endProgress();
        }
      }
    }

    const finished = new Promise<RunSummary>((resolve) => {
      const off = service.on('run.finished', (run) => {
        if (run.id === runId) {
          off();
          resolve(run);
        }
      });
    });
    const offPhase = service.on('run.phase', (p) => p.runId === runId && p.message && (out.endProgress(), out.line(`${p.message}…`)));
    const offBottlenecks = service.on('bottlenecks.progress', (p: BottleneckProgress) =>
      out.progress('bottlenecks', p.done, p.total, `${p.done}/${p.total} images, ${p.fromCache} cached, ${p.imagesPerSecond.toFixed(1)} img/s${p.etaMs !== null ? `, ETA ${Math.ceil(p.etaMs / 1000)} s` : ''}`),
    );
    const offTraining = service.on('training.progress', (p) => {
      if (p.runId !== runId) return;
      if (p.point) {
        const v = p.point;
        out.endProgress();
        out.line(`Step ${v.step}: Train accuracy = ${(v.trainAccuracy * 100).toFixed(1)}%, Cross entropy = ${v.trainCrossEntropy.toFixed(4)}, Validation accuracy = ${(v.validationAccuracy * 100).toFixed(1)}%`);
      } else out.progress('training', p.step, p.totalSteps, `step ${p.step}/${p.totalSteps}`);
    });
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config, ...(typeof flags.name === 'string' ? { name: flags.name } : {}) }));
    const run = await finished;
    offPhase();
    offBottlenecks();
    offTraining();
    out.endProgress();
    if (run.status !== 'completed') {
      throw run.status === 'cancelled' ? new CoreError('CANCELLED', 'Training was cancelled.') : new CoreError('INTERNAL', `Training failed: ${run.error ?? 'unknown error'}`);
    }
    const detail = await service.getRun({ runId: run.id });
    const evaluation = detail.evaluation;
    if (evaluation) {
      out.line(`Final test accuracy = ${(evaluation.testAccuracy * 100).toFixed(1)}% (N=${evaluation.testCount})`);
      if (flags.print_misclassified_test_images) {
        out.line('=== MISCLASSIFIED TEST IMAGES ===');
        for (const m of evaluation.misclassified) out.line(`${m.path}  ${m.predictedLabel} (${(m.probability * 100).toFixed(1)}%), true ${m.trueLabel}`);
      }
    }
    const p = run.phases;
    out.line(`Times: model load ${p.modelLoadMs ?? 0} ms, bottlenecks ${p.bottlenecksMs ?? 0} ms (${p.bottlenecksComputed ?? 0} computed, ${p.bottlenecksFromCache ?? 0} from cache, ${run.featureEngine}), training ${p.trainingMs ?? 0} ms, evaluation ${p.evaluationMs ?? 0} ms.`);
    if (typeof flags.output_graph === 'string') service.access.grant(path.dirname(path.resolve(flags.output_graph)), 'write');
    const exported = await service.exportRun({
      runId: run.id,
      ...(typeof flags.output_graph === 'string' ? { path: flags.output_graph } : {}),
      ...(flags.onnx ? { onnx: true } : {}),
    });
    if (typeof flags.output_labels === 'string') await copyFile(path.join(exported.dir, 'labels.txt'), flags.output_labels);
    out.line(`Run ${run.id} saved. Model exported to ${exported.dir}`);
    if (exported.onnx) out.line('file' in exported.onnx ? `ONNX model: ${exported.onnx.file} (max abs difference from TF.js ${exported.onnx.maxAbsError.toExponential(1)})` : `ONNX export failed: ${exported.onnx.error}`);
    out.line(`Label an image with:\n  ${exported.labelCommand}`);
    return 0;
  } finally {
    process.off('SIGINT', abort);
    await service.close();
  }
}

async function models(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, { download: { type: 'string' }, import: { type: 'string' }, bottleneck_node: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean' } });
  if (flags.help) return out.line('Usage: retrain-studio models [--download ID] [--import DIR [--bottleneck_node NAME] [--labels FILE]] [--json]'), 0;
  const service = await openService(flags);
  try {
    if (typeof flags.download === 'string') {
      const off = service.on('model.download', (p) => out.progress('download', p.receivedBytes, p.totalBytes ?? 0, `${(p.receivedBytes / 1e6).toFixed(1)} MB ${p.file}`));
      const model = await service.downloadModel({ modelId: flags.download }).finally(off);
      out.endProgress();
      out.line(`Downloaded ${model.id}.`);
    }
    if (typeof flags.import === 'string') {
      const model = await service.importModel({
        path: flags.import,
        ...(typeof flags.bottleneck_node === 'string' ? { bottleneckNode: flags.bottleneck_node } : {}),
        ...(typeof flags.labels === 'string' ? { labelsPath: flags.labels } : {}),
      });
      out.line(`Imported ${model.id}: input ${model.inputName} ${JSON.stringify(model.inputShape)}, bottleneck ${model.bottleneckNode} (${model.featureSize}).`);
    }
    const list = await service.listModels({});
    if (flags.json) return out.line(JSON.stringify(list, null, 2)), 0;
    out.line('id                              input     bottleneck  download   cached');
    for (const m of list) {
      const size = m.inputShape ? `${m.inputShape[1]}×${m.inputShape[2]}` : '?';
      const download = m.approxDownloadBytes ? `${(m.approxDownloadBytes / 1e6).toFixed(1)} MB` : '-';
      out.line(`${m.id.padEnd(32)}${size.padEnd(10)}${String(m.featureSize).padEnd(12)}${download.padEnd(11)}${m.cached ? 'yes' : 'no'}`);
    }
    return 0;
  } finally {
    await service.close();
  }
}

async function cache(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, { clear: { type: 'boolean' }, bottleneck_dir: { type: 'string' } });
  if (flags.help) return out.line('Usage: retrain-studio cache [--clear] [--bottleneck_dir DIR]'), 0;
  const service = await openService(flags, typeof flags.bottleneck_dir === 'string' ? { cacheDir: path.resolve(flags.bottleneck_dir) } : {});
  try {
    const info = flags.clear ? await service.clearCache({}) : await service.getCacheInfo({});
    out.line(`${flags.clear ? 'Cleared. ' : ''}Bottleneck cache ${info.dir}: ${info.entries} entries, ${(info.bytes / 1e6).toFixed(1)} MB.`);
    return 0;
  } finally {
    await service.close();
  }
}

async function runsCommand(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, { summaries_dir: { type: 'string' } });
  if (flags.help) return out.line('Usage: retrain-studio runs [--summaries_dir DIR]'), 0;
  const service = await openService(flags, typeof flags.summaries_dir === 'string' ? { runsDir: path.resolve(flags.summaries_dir) } : {});
  try {
    for (const r of await service.listRuns({})) {
      const accuracy = r.testAccuracy !== undefined ? `${(r.testAccuracy * 100).toFixed(1)}%` : '-';
      out.line(`${r.id}  ${r.status.padEnd(9)} ${accuracy.padStart(6)}  ${r.modelId}  ${r.name}`);
    }
    return 0;
  } finally {
    await service.close();
  }
}

/** What `serve` hands to the HTTP adapter (a subset of the server's `ServeOptions`). */
export type ServeCommandOptions = { host?: string; port?: number; tokenFile?: string; dataDir?: string; print: (line: string) => void };

/**
 * What `run` gets from its caller. The CLI never imports another adapter: the executable
 * (`bin.ts`, the composition root) passes the server's `startServe` as `serve`.
 */
export type CliDeps = {
  /** Where the CLI prints; default stdout/stderr with a progress line on a TTY. */
  out?: Output;
  /** Starts the HTTP + WebSocket adapter for `retrain-studio serve`; without it `serve` fails with exit code 2. */
  serve?: (options: ServeCommandOptions) => Promise<unknown>;
};

async function serve(argv: string[], out: Output, startServe: CliDeps['serve']): Promise<number> {
  // `token` is parsed only to refuse it with a useful message.
  const flags = parse(argv, { host: { type: 'string' }, port: { type: 'string' }, 'token-file': { type: 'string' }, token: { type: 'string' } });
  if (flags.help) {
    out.line('Usage: retrain-studio serve [--host 127.0.0.1] [--port 7860] [--token-file FILE] [--data_dir DIR]');
    out.line('Every client needs the token: the first line of --token-file, else $RETRAIN_STUDIO_TOKEN, else a random one. The URL printed holds it (#token=…).');
    return 0;
  }
  if (flags.token !== undefined) {
    throw new CoreError('INVALID_ARGUMENT', '--token is not accepted: every user of this machine can read a command line (ps). Set RETRAIN_STUDIO_TOKEN, or put the token on the first line of a file and pass --token-file FILE.');
  }
  if (!startServe) throw new CoreError('INVALID_ARGUMENT', 'serve is not available here: the retrain-studio executable provides it.');
  await startServe({
    ...(typeof flags.host === 'string' ? { host: flags.host } : {}),
    ...(typeof flags.port === 'string' ? { port: Number(flags.port) } : {}),
    ...(typeof flags['token-file'] === 'string' ? { tokenFile: path.resolve(flags['token-file']) } : {}),
    ...(typeof flags.data_dir === 'string' ? { dataDir: path.resolve(flags.data_dir) } : {}),
    print: (line: string) => out.line(line),
  });
  return 0;
}

/**
 * Runs one CLI invocation. Returns the exit code (the caller sets process.exitCode);
 * errors are printed as one readable line.
 */
export async function run(argv: string[], deps: CliDeps = {}): Promise<number> {
  const out = deps.out ?? createOutput();
  const [command, ...rest] = argv;
  const commands: Record<string, (args: string[], o: Output) => Promise<number>> = {
    retrain,
    label: labelCommandMain,
    models,
    cache,
    runs: runsCommand,
    serve: (args, o) => serve(args, o, deps.serve),
  };
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.line(USAGE);
    return command ? 0 : 2;
  }
  const handler = commands[command];
  if (!handler) {
    out.error(`Unknown command "${command}".\n${USAGE}`);
    return 2;
  }
  try {
    return await handler(rest, out);
  } catch (error) {
    out.endProgress();
    out.error(error instanceof CoreError ? `Error (${error.code}): ${error.message}` : `Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return exitCodeFor(error);
  }
}
