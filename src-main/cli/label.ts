/** `retrain-studio label`: label_image.py's flags over core's labelling. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../core/errors.js';
import { selectEngine } from '../core/engine/index.js';
import { labelImage, loadLabelClassifier, type LabelModelRequest } from '../core/classify/label.js';
import { folderCsv, folderJson, labelFolder, checkSortFolder, type SortOptions } from '../core/classify/folder.js';
import { writeFileAtomic } from '../core/files/index.js';
import { DEFAULTS } from '../api/wire.js';
import { parseFlags } from './flags.js';
import type { Output } from './output.js';
import { EXIT } from './exit-codes.js';
import { BACKEND_CHOICES, checkRequest } from './requests.js';

const HELP = `Usage: retrain-studio label --graph DIR --image FILE [flags]
       retrain-studio label --graph DIR --image_dir DIR [--output_csv FILE] [--output_json FILE] [--sort_into OUT --threshold P [--move]] [flags]
  --graph DIR          an export folder (model.json + metadata.json + labels.txt), or any TF.js classifier folder
  --labels FILE        labels, one per line (default: the export's labels.txt)
  --image FILE         the image to classify
  --image_dir DIR      label every image below DIR (recursively), one row per image; unreadable images get an error row
  --output_csv FILE    write the rows as CSV: path, label_1, probability_1, …, error[, sorted_to]
  --output_json FILE   write the rows as JSON (with "complete": false after Ctrl-C)
  --sort_into OUT      copy each image into OUT/<top label>/ when its top probability ≥ --threshold, else OUT/_uncertain/
                       (OUT must be outside DIR; an existing file is never replaced: "name (1).jpg" instead)
  --threshold P        0–1, required with --sort_into
  --move               move instead of copy
  --batch_size N       images per forward pass with --image_dir (default 8)
  --input_layer NAME   checked against the model's input (error if different)
  --output_layer NAME  checked against the model's output
  --input_height N, --input_width N   input size (checked against the model)
  --input_mean M, --input_std S       (pixel - M) / S; checked against an export's metadata
  --crop center|squash how a non-export model's input is fitted (default squash, as label_image.py)
  --top_k N            how many labels to print (default ${DEFAULTS.topK}, at most ${DEFAULTS.maxTopK})
  --backend NAME       ${BACKEND_CHOICES.join('|')}
  --json               print JSON`;

const numberFlag = (flags: Record<string, unknown>, name: string): number | undefined => {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CoreError('INVALID_ARGUMENT', `--${name} must be a number (got "${String(value)}").`);
  return n;
};

/** Runs `label`; returns the exit code. */
export async function labelCommandMain(argv: string[], out: Output): Promise<number> {
  const text = { type: 'string' } as const;
  const flags = parseFlags(argv, {
    graph: text, labels: text, image: text, input_layer: text, output_layer: text, input_height: text, input_width: text,
    input_mean: text, input_std: text, crop: text, top_k: text, backend: text,
    image_dir: text, output_csv: text, output_json: text, sort_into: text, threshold: text, batch_size: text,
    move: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) return out.lines(HELP), 0;
  if (typeof flags.graph !== 'string' || (typeof flags.image === 'string') === (typeof flags.image_dir === 'string')) {
    throw new CoreError('INVALID_ARGUMENT', `--graph and one of --image or --image_dir are required.\n${HELP}`);
  }
  if (flags.crop !== undefined && flags.crop !== 'center' && flags.crop !== 'squash') throw new CoreError('INVALID_ARGUMENT', '--crop must be center or squash.');
  const folderOnly = ['output_csv', 'output_json', 'sort_into', 'threshold', 'move', 'batch_size'].filter((f) => flags[f] !== undefined);
  if (typeof flags.image === 'string' && folderOnly.length) throw new CoreError('INVALID_ARGUMENT', `--${folderOnly[0]} labels a folder: use it with --image_dir, not --image.`);
  // label runs in-process on core, but its flags pass the validators of the requests they mirror:
  // --backend is updateSettings' backend, --image and --top_k are classify's.
  const { backend } = checkRequest('updateSettings', { backend: flags.backend }, { backend: 'backend' });
  const imageFlag = typeof flags.image === 'string' ? { value: flags.image, name: 'image' } : { value: flags.image_dir as string, name: 'image_dir' };
  const topK = checkRequest('classify', { modelId: 'label', image: { path: imageFlag.value }, topK: numberFlag(flags, 'top_k') ?? DEFAULTS.topK }, { topK: 'top_k', image: imageFlag.name }).topK ?? DEFAULTS.topK;
  const sort = typeof flags.image_dir === 'string' ? sortOptions(flags) : undefined;
  const batchSize = numberFlag(flags, 'batch_size');
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 256)) throw new CoreError('INVALID_ARGUMENT', `--batch_size must be a whole number from 1 to 256 (got ${batchSize}).`);
  // A missing model folder is "model not found" (exit 4), not a labels question.
  const graphExists = await stat(path.resolve(flags.graph)).then(() => true, () => false);
  if (!graphExists) throw new CoreError('MODEL_NOT_FOUND', `--graph ${path.resolve(flags.graph)}: no such folder. Pass the folder of an export (model.json + labels.txt).`);
  if (sort) await stat(path.resolve(flags.image_dir as string)).then(() => checkSortFolder(path.resolve(flags.image_dir as string), sort.into), () => undefined).catch((error: unknown) => {
    throw new CoreError('INVALID_ARGUMENT', `--sort_into: ${(error as Error).message}`);
  });
  await selectEngine({ force: backend === 'auto' ? undefined : backend });
  const model: LabelModelRequest = {
    graph: path.resolve(flags.graph),
    ...(typeof flags.labels === 'string' ? { labels: path.resolve(flags.labels) } : {}),
    ...(typeof flags.input_layer === 'string' ? { inputLayer: flags.input_layer } : {}),
    ...(typeof flags.output_layer === 'string' ? { outputLayer: flags.output_layer } : {}),
    inputHeight: numberFlag(flags, 'input_height'),
    inputWidth: numberFlag(flags, 'input_width'),
    inputMean: numberFlag(flags, 'input_mean'),
    inputStd: numberFlag(flags, 'input_std'),
    ...(flags.crop ? { crop: flags.crop as 'center' | 'squash' } : {}),
  };
  if (typeof flags.image_dir === 'string') return labelFolderCommand(flags, model, { imageDir: path.resolve(flags.image_dir), topK, sort, batchSize }, out);
  const result = await labelImage({ ...model, image: path.resolve(flags.image as string), topK });
  if (flags.json) return out.lines(JSON.stringify(result, null, 2)), 0;
  for (const p of result.predictions) out.line(`${p.label} ${p.probability.toFixed(5)}`);
  out.line(`Evaluation time: ${result.durationMs.toFixed(1)} ms (decode ${result.preprocessMs.toFixed(1)} ms, inference ${result.inferenceMs.toFixed(1)} ms, ${result.engine})`);
  return 0;
}

/** --sort_into / --threshold / --move, checked together (each needs the others' context). */
function sortOptions(flags: Record<string, string | boolean | undefined>): SortOptions | undefined {
  const into = flags.sort_into;
  if (typeof into !== 'string') {
    if (flags.threshold !== undefined || flags.move) throw new CoreError('INVALID_ARGUMENT', `--${flags.move ? 'move' : 'threshold'} goes with --sort_into OUT.`);
    return undefined;
  }
  const threshold = numberFlag(flags, 'threshold');
  if (threshold === undefined) throw new CoreError('INVALID_ARGUMENT', '--sort_into needs --threshold P: images whose top probability is at least P (0–1) go to OUT/<label>/, the others to OUT/_uncertain/.');
  if (threshold < 0 || threshold > 1) throw new CoreError('INVALID_ARGUMENT', `--threshold must be a probability from 0 to 1 (got ${threshold}).`);
  return { into: path.resolve(into), threshold, move: flags.move === true };
}

/**
 * `label --image_dir`: labels the folder through core, shows progress, writes the CSV/JSON.
 * Ctrl-C stops after the batch in progress: the rows done so far are still written (the JSON
 * says `"complete": false`), images already sorted stay sorted, and the exit code is 130.
 */
async function labelFolderCommand(
  flags: Record<string, string | boolean | undefined>,
  model: LabelModelRequest,
  job: { imageDir: string; topK: number; sort?: SortOptions; batchSize?: number },
  out: Output,
): Promise<number> {
  const csvFile = typeof flags.output_csv === 'string' ? path.resolve(flags.output_csv) : undefined;
  const jsonFile = typeof flags.output_json === 'string' ? path.resolve(flags.output_json) : undefined;
  // JSON on stdout must stay parseable: no progress lines then.
  const jsonToStdout = flags.json === true && !jsonFile && !csvFile;
  // Checked before the job: a typo in an output path should not cost a whole folder's labelling.
  for (const [flag, file] of [['output_csv', csvFile], ['output_json', jsonFile]] as const) {
    if (file && !(await stat(path.dirname(file)).then((s) => s.isDirectory(), () => false))) {
      throw new CoreError('NOT_FOUND', `--${flag} ${file}: the folder ${path.dirname(file)} does not exist. Create it, or write the file elsewhere.`);
    }
  }
  const classifier = await loadLabelClassifier(model);
  const controller = new AbortController();
  const onSigint = (): void => {
    // A second Ctrl-C ends the process at once.
    process.off('SIGINT', onSigint);
    if (!jsonToStdout) out.line('Cancelling after the batch in progress… (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const offClosed = out.onClosed(() => controller.abort());
  let result;
  try {
    result = await labelFolder({
      classifier,
      imageDir: job.imageDir,
      topK: job.topK,
      ...(job.batchSize ? { batchSize: job.batchSize } : {}),
      ...(job.sort ? { sort: job.sort } : {}),
      signal: controller.signal,
      onProgress: jsonToStdout ? undefined : (p) => out.progress('labelling', { done: p.done, total: p.total, unit: 'images', note: p.failed ? `${p.failed} unreadable` : undefined, ratePerSecond: p.imagesPerSecond, etaMs: p.etaMs }),
    });
  } finally {
    process.off('SIGINT', onSigint);
    offClosed();
    classifier.dispose();
    out.endProgress();
  }
  const k = Math.min(job.topK, result.labels.length);
  if (csvFile) await writeFileAtomic(csvFile, folderCsv(result.rows, k, Boolean(job.sort)));
  const json = folderJson(result, { model: model.graph, imageDir: job.imageDir, topK: k, sort: job.sort });
  if (jsonFile) await writeFileAtomic(jsonFile, `${json}\n`);
  if (jsonToStdout) {
    out.lines(json);
    return result.cancelled ? EXIT.cancelled : EXIT.ok;
  }
  if (!csvFile && !jsonFile) {
    for (const row of result.rows) {
      const top = row.predictions[0];
      out.line(row.error ? `${row.path}: error: ${row.error}` : `${row.path}: ${top.label} ${top.probability.toFixed(5)}${row.sortedTo ? ` → ${row.sortedTo}` : ''}`);
    }
  }
  const failed = result.rows.filter((r) => r.error);
  const notSorted = result.rows.filter((r) => r.sortError);
  for (const row of failed.slice(0, 10)) out.error(`Not labelled: ${row.error}`);
  if (failed.length > 10) out.error(`… and ${failed.length - 10} more unreadable images (see the error column).`);
  for (const row of notSorted.slice(0, 10)) out.error(`Not sorted: ${row.sortError}`);
  const done = `${result.rows.length - failed.length} of ${result.total} images labelled${failed.length ? `, ${failed.length} unreadable` : ''}${job.sort ? `, ${result.rows.filter((r) => r.sortedTo).length} ${job.sort.move ? 'moved' : 'copied'} into ${job.sort.into}` : ''} in ${(result.durationMs / 1000).toFixed(1)} s (${result.imagesPerSecond.toFixed(1)} images/s, ${result.engine})`;
  const written = [csvFile, jsonFile].filter(Boolean).join(' and ');
  if (result.cancelled) {
    out.error(`Cancelled: ${done}.${written ? ` ${written} hold${csvFile && jsonFile ? '' : 's'} those ${result.rows.length} rows.` : ''}`);
    return EXIT.cancelled;
  }
  out.line(`${done}.${written ? ` Wrote ${written}.` : ''}`);
  return EXIT.ok;
}
