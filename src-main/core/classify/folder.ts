/**
 * Labelling a whole folder (recursively): every image through one classifier in batches,
 * decoded in the worker-thread decode pool while the previous batch runs (as bottlenecks are
 * computed for training), one row per image with its top-k labels or why it could not be read,
 * and optionally each image copied or moved into `<sort folder>/<label>/` (or `_uncertain/`).
 * The CLI's `label --image_dir` and, later, the app call this; nothing here prints.
 */
import { availableParallelism } from 'node:os';
import { constants, type Dirent } from 'node:fs';
import { copyFile, link, mkdir, opendir, realpath, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../access/index.js';
import { CoreError, cancelledError } from '../errors.js';
import { createDecodePool, type DecodedImage } from '../images/index.js';
import { isHiddenName } from '../dataset/walk.js';
import { topK, type ImageClassifier, type Prediction } from './index.js';

/** Extensions listed as images (content is still sniffed: a `.jpg` holding text gets an error row). */
export const FOLDER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp']);

/** The sub-folder of the sort folder for images whose top probability is under the threshold. */
export const UNCERTAIN_FOLDER = '_uncertain';

/** Default most entries (files and folders) one folder walk examines. */
export const DEFAULT_MAX_FOLDER_ENTRIES = 500_000;

/** Deepest folder nesting followed. */
const MAX_DEPTH = 32;

/** One labelled image. */
export type FolderRow = {
  /** Relative to the labelled folder, with `/` separators. */
  path: string;
  /** Most likely first; empty when `error` is set. */
  predictions: Prediction[];
  /** Why the image could not be read or decoded (the job went on without it). */
  error?: string;
  /** Where `sortInto` put it, relative to the sort folder with `/`; absent when not sorted. */
  sortedTo?: string;
  /** Why sorting this (labelled) image failed; it stays where it was. */
  sortError?: string;
};

export type FolderProgress = { done: number; total: number; failed: number; imagesPerSecond: number; etaMs: number | null };

export type SortOptions = {
  /** The folder receiving `<label>/` and `_uncertain/` sub-folders (created); never inside the labelled folder. */
  into: string;
  /** A top probability at or above this goes to its label's folder, below it to `_uncertain/`. 0–1. */
  threshold: number;
  /** Move instead of copy. */
  move?: boolean;
};

export type LabelFolderOptions = {
  classifier: ImageClassifier;
  /** The folder to label (recursively). */
  imageDir: string;
  /** Labels per row; default 5, at most the classifier's labels. */
  topK?: number;
  /** Images per forward pass; default 8 (as computeBottlenecks). */
  batchSize?: number;
  /** Decode worker threads; default the cores less one (1 to 4), as computeBottlenecks. */
  decodeWorkers?: number;
  /** Batches decoded ahead of the one being assembled; default 2. */
  readAheadBatches?: number;
  /** Most entries the walk examines before it fails with TOO_LARGE. */
  maxEntries?: number;
  /** Largest image file read, in bytes (decodeImage's default otherwise). */
  maxImageBytes?: number;
  sort?: SortOptions;
  /**
   * Stops the job after the batch in progress: `labelFolder` then resolves with
   * `cancelled: true` and the rows done so far (their images already sorted).
   */
  signal?: AbortSignal;
  onProgress?: (progress: FolderProgress) => void;
  /** Minimum time between progress reports; default 250 ms. */
  progressIntervalMs?: number;
};

export type LabelFolderResult = {
  /** In listing order (folders, then names, code-unit order); after a cancel, only the images done. */
  rows: FolderRow[];
  /** Images listed. */
  total: number;
  /** Files not listed as images (other extensions, hidden files, folder links), relative paths. */
  skipped: string[];
  cancelled: boolean;
  durationMs: number;
  /** Images done / duration. */
  imagesPerSecond: number;
  engine: string;
  labels: string[];
};

const WHAT = 'Labelling a folder';
const toPosix = (p: string): string => p.split(path.sep).join('/');
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The image files below `root`, sorted (a folder's files, then its sub-folders, by name).
 * Hidden and system files are skipped, links to folders are not followed (no loops), links to
 * files are listed: decoding refuses one that leads outside `root`.
 * @throws CoreError NOT_FOUND (no such folder, or a file), TOO_LARGE (over `maxEntries`), CANCELLED
 */
export async function listFolderImages(root: string, options: { maxEntries?: number; signal?: AbortSignal } = {}): Promise<{ files: string[]; skipped: string[] }> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_FOLDER_ENTRIES;
  const info = await stat(root).catch(() => undefined);
  if (!info) throw new CoreError('NOT_FOUND', `${root}: no such folder. Give the folder of images to label.`, { path: root });
  if (!info.isDirectory()) throw new CoreError('NOT_FOUND', `${root} is a file, not a folder of images.`, { path: root });
  const files: string[] = [];
  const skipped: string[] = [];
  let entries = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const listed: Dirent[] = [];
    for await (const entry of await opendir(dir, { bufferSize: 256 })) {
      if (options.signal?.aborted) throw cancelledError(WHAT);
      if (++entries > maxEntries) {
        throw new CoreError('TOO_LARGE', `${root} holds more than ${maxEntries} files and folders, the limit for one labelling job. Label a smaller folder.`, { path: root, maxEntries });
      }
      listed.push(entry);
    }
    listed.sort((a, b) => byName(a.name, b.name));
    const folders: string[] = [];
    for (const entry of listed) {
      const abs = path.join(dir, entry.name);
      const rel = toPosix(path.relative(root, abs));
      if (isHiddenName(entry.name)) skipped.push(rel);
      else if (entry.isDirectory()) folders.push(abs);
      else if ((entry.isFile() || entry.isSymbolicLink()) && FOLDER_IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        // A link to a folder is not an image: it is skipped, never followed.
        if (entry.isSymbolicLink() && (await stat(abs).then((s) => s.isDirectory(), () => false))) skipped.push(rel);
        else files.push(rel);
      } else skipped.push(rel);
    }
    if (depth >= MAX_DEPTH) {
      skipped.push(...folders.map((f) => `${toPosix(path.relative(root, f))}/`));
      return;
    }
    for (const folder of folders) await walk(folder, depth + 1);
  };
  await walk(root, 0);
  return { files, skipped };
}

/**
 * Checks that the sort folder is not the labelled folder or inside it (the job would then label
 * or move its own output). Symlinks are resolved on both, for the part of `into` that exists.
 * @throws CoreError INVALID_ARGUMENT
 */
export async function checkSortFolder(imageDir: string, into: string): Promise<void> {
  const realInput = await realpath(imageDir);
  let existing = path.resolve(into);
  const rest: string[] = [];
  for (;;) {
    const real = await realpath(existing).catch(() => undefined);
    if (real !== undefined) {
      existing = path.join(real, ...rest);
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
  if (isInside(existing, realInput)) {
    throw new CoreError('INVALID_ARGUMENT', `The sort folder ${into} is inside the labelled folder ${imageDir}: the sorted images would be mixed with the ones being labelled. Choose a folder outside it.`);
  }
}

/** A label as a folder name: no separators, reserved or control characters, never `.`/`..`, at most 100 characters. */
export function labelFolderName(label: string): string {
  const cleaned = label.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').trim().slice(0, 100);
  return cleaned === '' || /^\.+$/.test(cleaned) ? '_' : cleaned;
}

/**
 * Copies (or moves) `source` into `folder` under its own name, or `name (1).ext`, `name (2).ext`…
 * when that exists: an existing file is never replaced. Returns the path written.
 */
export async function placeFile(source: string, folder: string, move: boolean): Promise<string> {
  await mkdir(folder, { recursive: true });
  const ext = path.extname(source);
  const stem = path.basename(source, ext);
  for (let n = 0; n < 10_000; n++) {
    const target = path.join(folder, n === 0 ? `${stem}${ext}` : `${stem} (${n})${ext}`);
    try {
      if (move) {
        // link() fails on an existing target (rename would replace it); then the source goes.
        try {
          await link(source, target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          // Another file system, or one without hard links: copy, then delete.
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
          await copyFile(source, target, constants.COPYFILE_EXCL);
        }
        await unlink(source);
      } else {
        await copyFile(source, target, constants.COPYFILE_EXCL);
      }
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new CoreError('INTERNAL', `${folder} already holds 10,000 files named like ${stem}${ext}.`);
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new CoreError('INVALID_ARGUMENT', `labelFolder: ${name} must be a whole number ≥ 1 (got ${String(value)}).`);
  return value;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

type Decoded = { ok: true; image: DecodedImage } | { ok: false; error: string };

/**
 * Labels every image below `imageDir` (see the module comment). An unreadable image gets a row
 * with `error` and the job goes on; a failed forward pass ends it (rejects).
 * @throws CoreError NOT_FOUND / TOO_LARGE from the listing, DATASET_EMPTY when no image is found,
 *   INVALID_ARGUMENT for bad options (a sort folder inside `imageDir`, a threshold outside 0–1)
 */
export async function labelFolder(options: LabelFolderOptions): Promise<LabelFolderResult> {
  const { classifier, signal, onProgress, sort } = options;
  const startedAt = performance.now();
  const k = Math.min(positiveInt(options.topK, 5, 'topK'), classifier.labels.length);
  const batchSize = positiveInt(options.batchSize, 8, 'batchSize');
  const readAhead = positiveInt(options.readAheadBatches, 2, 'readAheadBatches') * batchSize;
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const root = path.resolve(options.imageDir);
  if (sort) {
    if (!(sort.threshold >= 0 && sort.threshold <= 1)) throw new CoreError('INVALID_ARGUMENT', `The sort threshold must be a probability from 0 to 1 (got ${String(sort.threshold)}).`);
    await stat(root).then(() => checkSortFolder(root, sort.into), () => undefined);
  }
  const { files, skipped } = await listFolderImages(root, { maxEntries: options.maxEntries, signal });
  if (files.length === 0) {
    throw new CoreError('DATASET_EMPTY', `${root} holds no image files (${FOLDER_IMAGE_EXTENSIONS.size} extensions looked for: .jpg, .png, .webp, …${skipped.length ? `; ${skipped.length} other files skipped` : ''}).`, { path: root });
  }
  // Files are opened only when they resolve inside the folder (a link elsewhere gets an error row).
  const realRoot = await realpath(root);
  const total = files.length;
  const rows: Array<FolderRow | undefined> = new Array<FolderRow | undefined>(total).fill(undefined);
  let done = 0;
  let failed = 0;
  let lastReportAt = -Infinity;
  const report = (force: boolean): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - lastReportAt < progressIntervalMs) return;
    lastReportAt = now;
    const elapsedS = (now - startedAt) / 1000;
    const imagesPerSecond = elapsedS > 0 && done > 0 ? done / elapsedS : 0;
    onProgress({ done, total, failed, imagesPerSecond, etaMs: done >= total ? 0 : imagesPerSecond > 0 ? ((total - done) / imagesPerSecond) * 1000 : null });
  };

  const { heightPx, widthPx } = classifier.spec;
  const pixelsPerImage = heightPx * widthPx * 3;
  const workers = options.decodeWorkers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
  const pool = createDecodePool({ workers, inFlightPerWorker: Math.max(2, Math.ceil(batchSize / workers)) });
  const pending: Array<Promise<Decoded> | undefined> = new Array<Promise<Decoded> | undefined>(total);
  let dispatched = 0;
  let consumed = 0;
  const decodeOne = (i: number): Promise<Decoded> =>
    pool.decode(path.join(root, files[i]), classifier.spec, { within: realRoot, sourceName: files[i], ...(options.maxImageBytes ? { maxBytes: options.maxImageBytes } : {}) }).then(
      (image): Decoded => (image.data.length === pixelsPerImage ? { ok: true, image } : { ok: false, error: `${files[i]}: decoded to ${image.data.length} values, expected ${pixelsPerImage}.` }),
      (error: unknown): Decoded => ({ ok: false, error: message(error) }),
    );
  const pump = (): void => {
    while (dispatched < total && dispatched - consumed < readAhead) {
      pending[dispatched] = decodeOne(dispatched);
      dispatched++;
    }
  };
  // Resolves with the decode, or with undefined as soon as the job is cancelled.
  const next = (i: number): Promise<Decoded | undefined> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return resolve(undefined);
      const onAbort = (): void => resolve(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      (pending[i] as Promise<Decoded>).then((d) => (signal?.removeEventListener('abort', onAbort), resolve(d)), reject);
    });

  const sortRow = async (row: FolderRow): Promise<void> => {
    if (!sort || row.error) return;
    const top = row.predictions[0];
    const folder = top && top.probability >= sort.threshold ? labelFolderName(top.label) : UNCERTAIN_FOLDER;
    try {
      const target = await placeFile(path.join(root, row.path), path.join(sort.into, folder), sort.move ?? false);
      row.sortedTo = toPosix(path.relative(sort.into, target));
    } catch (error) {
      row.sortError = `${row.path} was not ${sort.move ? 'moved' : 'copied'} into ${path.join(sort.into, folder)}: ${message(error)}`;
    }
  };

  const buffer = new Float32Array(batchSize * pixelsPerImage);
  let cancelled = false;
  report(true);
  try {
    while (consumed < total && !cancelled) {
      const members: number[] = [];
      while (members.length < batchSize && consumed < total) {
        pump();
        const outcome = await next(consumed);
        if (!outcome) {
          cancelled = true;
          break;
        }
        const i = consumed;
        pending[consumed] = undefined; // let the pixels be collected
        consumed++;
        if (!outcome.ok) {
          rows[i] = { path: files[i], predictions: [], error: outcome.error };
          failed++;
          done++;
          report(false);
          continue;
        }
        buffer.set(outcome.image.data, members.length * pixelsPerImage);
        members.push(i);
      }
      // A cancel drops the batch being assembled: only whole batches are labelled and sorted.
      if (cancelled || members.length === 0) continue;
      pump();
      const count = members.length;
      const probabilities = await classifier.predict(count === batchSize ? buffer : buffer.subarray(0, count * pixelsPerImage), count);
      const classes = classifier.labels.length;
      if (!(probabilities instanceof Float32Array) || probabilities.length !== count * classes) {
        throw new CoreError('MODEL_INVALID', `The model returned ${String(probabilities?.length)} values for ${count} images; expected ${count} × ${classes} (one per label).`);
      }
      for (let row = 0; row < count; row++) {
        const record: FolderRow = { path: files[members[row]], predictions: topK(probabilities.subarray(row * classes, (row + 1) * classes), classifier.labels, k) };
        await sortRow(record);
        rows[members[row]] = record;
        done++;
      }
      report(false);
      // Decodes that are ready and a synchronous (wasm) forward pass chain as microtasks only:
      // yield a turn of the event loop per batch, so a Ctrl-C (a signal handler) is seen.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) cancelled = true;
    }
  } finally {
    await pool.close();
    await Promise.all(pending.filter((p): p is Promise<Decoded> => p !== undefined));
  }
  report(true);
  const durationMs = performance.now() - startedAt;
  return {
    rows: rows.filter((r): r is FolderRow => r !== undefined),
    total,
    skipped,
    cancelled,
    durationMs,
    imagesPerSecond: durationMs > 0 ? (done / durationMs) * 1000 : 0,
    engine: classifier.engine,
    labels: classifier.labels,
  };
}

/** One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The CSV of a labelling job (RFC 4180, CRLF line ends): `path`, `label_1`, `probability_1`, …
 * `label_k`, `probability_k`, `error`, and `sorted_to` when images were sorted. Probabilities
 * are written in full (the shortest text that reads back as the same float).
 */
export function folderCsv(rows: FolderRow[], k: number, sorted = false): string {
  const header = ['path', ...Array.from({ length: k }, (_, i) => [`label_${i + 1}`, `probability_${i + 1}`]).flat(), 'error', ...(sorted ? ['sorted_to'] : [])];
  const lines = [header.join(',')];
  for (const row of rows) {
    const cells = [row.path];
    for (let i = 0; i < k; i++) {
      const p = row.predictions[i];
      cells.push(p ? p.label : '', p ? String(p.probability) : '');
    }
    cells.push([row.error, row.sortError].filter(Boolean).join('; '));
    if (sorted) cells.push(row.sortedTo ?? '');
    lines.push(cells.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The JSON of a labelling job: what was labelled with what, whether it finished, and the rows. */
export function folderJson(result: LabelFolderResult, details: { model: string; imageDir: string; topK: number; sort?: SortOptions }): string {
  return JSON.stringify(
    {
      model: details.model,
      imageDir: details.imageDir,
      topK: details.topK,
      engine: result.engine,
      complete: !result.cancelled,
      total: result.total,
      labelled: result.rows.filter((r) => !r.error).length,
      failed: result.rows.filter((r) => r.error).length,
      ...(details.sort ? { sort: { into: details.sort.into, threshold: details.sort.threshold, move: details.sort.move ?? false } } : {}),
      rows: result.rows,
    },
    null,
    2,
  );
}
