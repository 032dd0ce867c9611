/**
 * The command-line adapter: `retrain-studio <command> [flags]`. It parses argv, sends
 * requests to the service through the hosts' validator (or calls core for one-shot
 * labelling), prints, and chooses the exit code. Nothing here decides anything the app
 * would decide differently.
 *
 * Exit codes (exit-codes.ts, the README's table): 0 success · 1 unexpected error · 2 usage
 * (bad or contradicting flags) · 3 data (dataset, image, file) · 4 model · 5 engine or
 * download · 6 busy · 130 cancelled (Ctrl-C) · 141 output closed (`… | head`).
 */
import type { ParseArgsConfig } from 'node:util';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { HYPERPARAMETERS } from '../core/training/index.js';
import { createService, type Service } from '../api/service.js';
import type { BottleneckProgress, DatasetSummary, RunSummary, Settings, TrainingConfig } from '../api/contract.js';
import { inputRange, parseFlags, type Flags } from './flags.js';
import { labelCommandMain } from './label.js';
import { auditCommandMain } from './audit.js';
import { escapeControl, processStdio, type Output } from './output.js';
import { EXIT, exitCodeFor, fileErrno } from './exit-codes.js';
import { BACKEND_CHOICES, CONFIG_FLAGS, FEATURE_ENGINE_CHOICES, checkRequest, send } from './requests.js';
import { summariseIssues, writeIssuesFile } from './issues.js';

export { exitCodeFor } from './exit-codes.js';

const USAGE = `Usage: retrain-studio <command> [flags]

Commands:
  retrain   train a new final layer (retrain.py's flags: --image_dir, --architecture, --how_many_training_steps, …)
  label     classify one image (label_image.py's flags: --graph, --labels, --image, --input_layer, …),
            or a whole folder (--image_dir DIR [--output_csv F] [--output_json F] [--sort_into OUT --threshold P [--move]])
  audit     data health: mislabel suspects, near-duplicates and leakage, outliers, class balance (--image_dir, --output_json)
  models    list the model catalog and what is cached (--download ID, --import DIR [--bottleneck_node N])
  cache     bottleneck cache location and size (--clear)
  runs      list training runs
  serve     serve the app's UI over HTTP (--host, --port, --token-file; always behind a token)

Common flags: --data_dir DIR (default ${defaultDataDir()}), --backend ${BACKEND_CHOICES.join('|')}, --engine ${FEATURE_ENGINE_CHOICES.join('|')}
Run "retrain-studio <command> --help" for a command's flags.`;

const COMMON: ParseArgsConfig['options'] = {
  help: { type: 'boolean', short: 'h' },
  data_dir: { type: 'string' },
  backend: { type: 'string' },
  engine: { type: 'string' },
};

const parse = (argv: string[], options: ParseArgsConfig['options']): Flags => parseFlags(argv, { ...COMMON, ...options });

const stringFlag = (flags: Flags, name: string): string | undefined => (typeof flags[name] === 'string' ? flags[name] : undefined);

const dataDirOf = (flags: Flags): string => (typeof flags.data_dir === 'string' ? path.resolve(flags.data_dir) : defaultDataDir());

/** `--backend` / `--engine` as an `updateSettings` request, checked before anything starts. */
function settingsFromFlags(flags: Flags): Partial<Settings> {
  return checkRequest('updateSettings', { backend: stringFlag(flags, 'backend'), featureEngine: stringFlag(flags, 'engine') }, { backend: 'backend', featureEngine: 'engine' });
}

async function openService(flags: Flags, extra: { runsDir?: string; cacheDir?: string } = {}): Promise<Service> {
  const settings = settingsFromFlags(flags);
  const service = await createService({ dataDir: dataDirOf(flags), ...extra });
  try {
    if (settings.backend !== undefined || settings.featureEngine !== undefined) await send(service, 'updateSettings', settings);
  } catch (error) {
    await service.close();
    throw error;
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

/** The hyperparameter flags as a config; numbers are parsed here, ranges and choices are the validator's. */
function configFromFlags(flags: Flags): Record<string, unknown> {
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
  return config;
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

/**
 * Prints the dataset line and its issues, a few of each kind (the full list goes to a file
 * when some are left out), and stops with exit code 3 when the dataset cannot be trained.
 */
async function reportDataset(dataset: DatasetSummary, dataDir: string, out: Output): Promise<void> {
  out.line(`Dataset ${dataset.root}: ${dataset.classes.length} classes, ${dataset.imageCount} images (${dataset.classes.map((c) => `${c.name} ${c.count}`).join(', ')}).`);
  const { lines, omitted } = summariseIssues(dataset.issues);
  for (const line of lines) out.line(line);
  if (omitted > 0) out.line(`  Full list of ${dataset.issues.length} issues: ${await writeIssuesFile(dataDir, dataset.id, dataset.root, dataset.issues)}`);
  if (dataset.trainable) return;
  const errors = dataset.issues.filter((i) => i.severity === 'error');
  const reasons = errors.slice(0, 3).map((i) => `- ${escapeControl(i.message)}`);
  if (errors.length > 3) reasons.push(`- …and ${errors.length - 3} more.`);
  throw new CoreError(dataset.imageCount === 0 ? 'DATASET_EMPTY' : 'DATASET_INVALID', `The dataset in ${escapeControl(dataset.root)} cannot be trained:\n${reasons.join('\n')}`);
}

async function retrain(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, RETRAIN_OPTIONS);
  if (flags.help) return out.lines(retrainHelp()), 0;
  if (typeof flags.image_dir !== 'string') throw new CoreError('INVALID_ARGUMENT', '--image_dir is required: the folder that holds one sub-folder per class.');
  const rawConfig = configFromFlags(flags);
  // Checked now, before a long dataset scan, with the same validator the real request passes later.
  const config: Partial<TrainingConfig> = checkRequest('startTraining', { datasetId: 'not-yet-open', config: rawConfig, name: flags.name }, { ...CONFIG_FLAGS, name: 'name' }).config;
  const range = inputRange(flags.input_range);
  const dataDir = dataDirOf(flags);
  const service = await openService(flags, {
    ...(typeof flags.summaries_dir === 'string' ? { runsDir: path.resolve(flags.summaries_dir) } : {}),
    ...(typeof flags.bottleneck_dir === 'string' ? { cacheDir: path.resolve(flags.bottleneck_dir) } : {}),
  });
  // Ctrl-C, or the reader of our output going away, cancels the run; before a run exists,
  // Ctrl-C ends the process as it would without a handler.
  let state: 'setup' | 'starting' | 'running' = 'setup';
  let cancelRequested = false;
  let runId: string | undefined;
  const cancel = (): void => {
    if (runId) void send(service, 'cancelTraining', { runId }).catch(() => {});
    else cancelRequested = true;
  };
  const onSigint = (): void => {
    if (state === 'setup') {
      process.off('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    out.line('Cancelling…');
    cancel();
  };
  process.on('SIGINT', onSigint);
  const offClosed = out.onClosed(cancel);
  const offEvents: (() => void)[] = [];
  try {
    out.line((await send(service, 'getEngine', {})).summary);
    // A scan of 100k files takes a while: show it like the other long phases.
    // Listing has no total yet: it counts files found (no percent, no ETA).
    const offScan = service.on('dataset.progress', (p) =>
      p.phase === 'listing' ? out.progress('listing', { done: p.total, total: 0, unit: 'files' }) : out.progress('scanning', { done: p.done, total: p.total, unit: 'files' }),
    );
    const dataset = await send(service, 'openDataset', { path: flags.image_dir, validationPercent: config.validationPercentage, testPercent: config.testingPercentage }, { path: 'image_dir', validationPercent: 'validation_percentage', testPercent: 'testing_percentage' }).finally(() => {
      offScan();
      out.endProgress();
    });
    await reportDataset(dataset, dataDir, out);

    if (typeof flags.model_dir === 'string') {
      const model = await send(
        service,
        'importModel',
        { path: flags.model_dir, bottleneckNode: flags.bottleneck_node, ...(range ? { spec: { normalization: range } } : {}) },
        { path: 'model_dir', bottleneckNode: 'bottleneck_node', spec: 'input_range' },
      );
      config.architecture = model.id;
      out.line(`Model ${model.name}: input ${model.inputName} ${JSON.stringify(model.inputShape)} ${model.normalization}, bottleneck ${model.bottleneckNode} (${model.featureSize}).`);
    } else {
      const architecture = config.architecture ?? (HYPERPARAMETERS.find((h) => h.key === 'architecture')?.default as string);
      const listed = (await send(service, 'listModels', {})).find((m) => m.id === architecture);
      if (!listed) throw new CoreError('MODEL_NOT_FOUND', `Unknown --architecture "${architecture}". Run "retrain-studio models" for the catalog, or pass --model_dir.`);
      if (!listed.cached) {
        out.line(`Downloading ${architecture} from ${listed.url ?? 'its official URL'}…`);
        const off = service.on('model.download', (p) => out.progress('download', { done: p.receivedBytes, total: p.totalBytes ?? 0, unit: 'bytes', note: p.file }));
        try {
          await send(service, 'downloadModel', { modelId: architecture }, { modelId: 'architecture' });
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
    offEvents.push(
      service.on('run.phase', (p) => {
        if (p.runId === runId && p.message) out.line(`${p.message}…`);
      }),
      service.on('bottlenecks.progress', (p: BottleneckProgress & { runId: string }) => {
        if (p.runId === runId) out.progress('bottlenecks', { done: p.done, total: p.total, unit: 'images', note: `${p.fromCache} cached`, ratePerSecond: p.imagesPerSecond, etaMs: p.etaMs });
      }),
      service.on('training.progress', (p) => {
        if (p.runId !== runId) return;
        if (p.point) {
          const v = p.point;
          out.line(`Step ${v.step}: Train accuracy = ${(v.trainAccuracy * 100).toFixed(1)}%, Cross entropy = ${v.trainCrossEntropy.toFixed(4)}, Validation accuracy = ${(v.validationAccuracy * 100).toFixed(1)}%`);
        } else out.progress('training', { done: p.step, total: p.totalSteps, unit: 'steps' });
      }),
    );
    // The reader went away during setup: don't start a run nobody watches.
    if (cancelRequested) throw new CoreError('CANCELLED', 'Cancelled before training started.');
    state = 'starting';
    ({ runId } = await send(service, 'startTraining', { datasetId: dataset.id, config, name: flags.name }, { ...CONFIG_FLAGS, name: 'name' }));
    state = 'running';
    if (cancelRequested) cancel();
    const run = await finished;
    out.endProgress();
    if (run.status !== 'completed') {
      throw run.status === 'cancelled' ? new CoreError('CANCELLED', 'Training was cancelled.') : new CoreError('INTERNAL', `Training failed: ${run.error ?? 'unknown error'}`);
    }
    const detail = await send(service, 'getRun', { runId: run.id });
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
    const exported = await send(service, 'exportRun', { runId: run.id, path: flags.output_graph, onnx: flags.onnx }, { path: 'output_graph', onnx: 'onnx' });
    if (typeof flags.output_labels === 'string') await copyFile(path.join(exported.dir, 'labels.txt'), flags.output_labels);
    out.line(`Run ${run.id} saved. Model exported to ${exported.dir}`);
    if (exported.onnx) out.line('file' in exported.onnx ? `ONNX model: ${exported.onnx.file} (max abs difference from TF.js ${exported.onnx.maxAbsError.toExponential(1)})` : `ONNX export failed: ${exported.onnx.error}`);
    out.line('Label an image with:');
    out.line(`  ${exported.labelCommand}`);
    return 0;
  } finally {
    for (const off of offEvents) off();
    offClosed();
    process.off('SIGINT', onSigint);
    await service.close();
  }
}

async function models(argv: string[], out: Output): Promise<number> {
  const flags = parse(argv, { download: { type: 'string' }, import: { type: 'string' }, bottleneck_node: { type: 'string' }, labels: { type: 'string' }, json: { type: 'boolean' } });
  if (flags.help) return out.line('Usage: retrain-studio models [--download ID] [--import DIR [--bottleneck_node NAME] [--labels FILE]] [--json]'), 0;
  const service = await openService(flags);
  try {
    if (typeof flags.download === 'string') {
      const off = service.on('model.download', (p) => out.progress('download', { done: p.receivedBytes, total: p.totalBytes ?? 0, unit: 'bytes', note: p.file }));
      const model = await send(service, 'downloadModel', { modelId: flags.download }, { modelId: 'download' }).finally(off);
      out.endProgress();
      out.line(`Downloaded ${model.id}.`);
    }
    if (typeof flags.import === 'string') {
      const model = await send(
        service,
        'importModel',
        { path: flags.import, bottleneckNode: flags.bottleneck_node, labelsPath: flags.labels },
        { path: 'import', bottleneckNode: 'bottleneck_node', labelsPath: 'labels' },
      );
      out.line(`Imported ${model.id}: input ${model.inputName} ${JSON.stringify(model.inputShape)}, bottleneck ${model.bottleneckNode} (${model.featureSize}).`);
    }
    const list = await send(service, 'listModels', {});
    if (flags.json) return out.lines(JSON.stringify(list, null, 2)), 0;
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
    const info = flags.clear ? await send(service, 'clearCache', {}) : await send(service, 'getCacheInfo', {});
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
    for (const r of await send(service, 'listRuns', {})) {
      if (out.closed) break;
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

/** How an error is printed: a CoreError or a file error as one readable message, anything else with its stack. */
function describeError(error: unknown): string {
  if (error instanceof CoreError) return `Error (${error.code}): ${error.message}`;
  const errno = fileErrno(error);
  if (errno) return `Error (${errno}): ${(error as Error).message}`;
  return `Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/**
 * Runs one CLI invocation. Returns the exit code (the caller sets process.exitCode);
 * errors are printed as one readable message.
 */
export async function run(argv: string[], deps: CliDeps = {}): Promise<number> {
  const out = deps.out ?? processStdio();
  const [command, ...rest] = argv;
  const commands: Record<string, (args: string[], o: Output) => Promise<number>> = {
    retrain,
    label: labelCommandMain,
    audit: auditCommandMain,
    models,
    cache,
    runs: runsCommand,
    serve: (args, o) => serve(args, o, deps.serve),
  };
  const finish = async (code: number): Promise<number> => {
    await out.flush();
    return out.closed ? EXIT.outputClosed : code;
  };
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out.lines(USAGE);
    return finish(command ? EXIT.ok : EXIT.usage);
  }
  const handler = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!handler) {
    out.error(`Unknown command "${command}".\n${USAGE}`);
    return finish(EXIT.usage);
  }
  try {
    return finish(await handler(rest, out));
  } catch (error) {
    out.endProgress();
    out.error(describeError(error));
    return finish(exitCodeFor(error));
  }
}
