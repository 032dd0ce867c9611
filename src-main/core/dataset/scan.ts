import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';
import { problemFromFsError, type ImageProblem } from '../images/errors.js';
import type { SupportedFormat } from '../images/formats.js';
import { probeBytes } from '../images/probe.js';
import { DEFAULT_MAX_IMAGE_BYTES, readImageFile } from '../images/read-image-file.js';
import { assignSplits, validateSplitPercents, type Split } from './split.js';
import type { Dataset, DatasetClass, DatasetImage, DatasetIssue } from './types.js';
import { fileStamp, openScanIndex, type ScanIndex } from './scan-index.js';
import { DEFAULT_MAX_SCAN_FILES, walkDataset, type Candidate } from './walk.js';

export { isHiddenName } from './walk.js';

/** Options of `scanDataset`. */
export type ScanOptions = {
  /** Percent of each class for validation. Default 10. */
  validationPercent?: number;
  /** Percent of each class for the final test. Default 10. */
  testPercent?: number;
  /** Cancels the scan, during the walk or the checks (it then rejects with CANCELLED). */
  signal?: AbortSignal;
  /** Called after each file is checked, with files done and files found (after the walk). */
  onProgress?: (done: number, total: number) => void;
  /** Called during the folder walk, before `onProgress` starts: entries examined so far and candidate files among them. */
  onWalkProgress?: (entries: number, files: number) => void;
  /** Most files and folders the walk examines before it fails with TOO_LARGE. Default `DEFAULT_MAX_SCAN_FILES` (500,000). */
  maxFiles?: number;
  /** Largest image file read, in bytes; a larger one is skipped as TOO_LARGE. Default `DEFAULT_MAX_IMAGE_BYTES` (256 MiB). */
  maxImageBytes?: number;
  /**
   * A file (e.g. in the app's data folder, one per dataset) where the scan remembers each
   * file's result: unchanged files (same path, inode, size, mtime, ctime) are not read again
   * on the next scan. Created when missing; omitted = every file is read.
   */
  indexFile?: string;
  /** Files left out (the dataset's exclusion list): never read, reported as `EXCLUDED` skipped files. */
  exclude?: (relativePath: string) => boolean;
};

/** Below this many usable images a class is an error. */
export const MIN_IMAGES_PER_CLASS = 2;
/** Below this many usable images a class gets a warning (retrain.py warned under 20). */
export const RECOMMENDED_IMAGES_PER_CLASS = 20;
/** Files checked at the same time. */
const SCAN_CONCURRENCY = 4;

/** retrain.py's label for a class folder: `re.sub(r'[^a-z0-9]+', ' ', name.lower())`. */
export function labelFor(folderName: string): string {
  return folderName.toLowerCase().replace(/[^a-z0-9]+/g, ' ');
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Inspected = { ok: true; image: DatasetImage } | { ok: false; problem: ImageProblem };

/** Reads (regular files only, size-capped, hashed while read) and checks one candidate, unless the index knows it. */
async function inspect(candidate: Candidate, maxBytes: number, signal: AbortSignal | undefined, index: ScanIndex | undefined): Promise<Inspected> {
  const { path: file, relativePath, className, classReal } = candidate;
  const image = (facts: { contentHash: string; bytes: number; widthPx: number; heightPx: number; format: DatasetImage['format'] }): Inspected => ({
    ok: true,
    image: { path: file, relativePath, className, contentHash: facts.contentHash, bytes: facts.bytes, split: 'train', widthPx: facts.widthPx, heightPx: facts.heightPx, format: facts.format },
  });
  const stamp = index ? await fileStamp(file) : undefined;
  const known = stamp ? index!.lookup(file, stamp) : undefined;
  // A remembered image over today's cap is read again, to be refused as TOO_LARGE.
  if (known && !(known.ok && known.bytes > maxBytes)) return known.ok ? image(known) : { ok: false, problem: { code: known.code, reason: known.reason } };

  const read = await readImageFile(file, { maxBytes, hash: true, signal, within: classReal });
  let result: Inspected;
  if (!read.ok) {
    result = { ok: false, problem: read.problem };
  } else {
    // Header + end-marker check only: a full decode here would double every cold run's decoding.
    // Damage the check cannot see is reported by the bottleneck decode (that image is skipped).
    const probe = await probeBytes(read.bytes, { decode: 'whenUnsure' });
    result = probe.ok
      ? image({ contentHash: read.sha256!, bytes: read.bytes.length, widthPx: probe.widthPx, heightPx: probe.heightPx, format: probe.format })
      : { ok: false, problem: { code: probe.code, reason: probe.reason } };
  }
  if (stamp) index!.remember(file, stamp, result.ok ? { ok: true, ...result.image, format: result.image.format as SupportedFormat } : { ok: false, ...result.problem });
  return result;
}

/** Split-dependent warnings, recomputed by `resplit`. */
function splitIssues(classes: DatasetClass[], root: string, validationPercent: number, testPercent: number): DatasetIssue[] {
  const issues: DatasetIssue[] = [];
  for (const c of classes) {
    if (c.images.length < MIN_IMAGES_PER_CLASS) continue; // TOO_FEW_IMAGES already says it
    const missing: string[] = [];
    if (validationPercent > 0 && c.counts.validation === 0) missing.push('validation');
    if (testPercent > 0 && c.counts.test === 0) missing.push('test');
    if (c.counts.train === 0) missing.push('training');
    if (missing.length === 0) continue;
    issues.push({
      path: path.join(root, c.name),
      code: 'SPLIT_EMPTY',
      severity: 'warning',
      message: `Class "${c.name}" has no ${missing.join(' or ')} images: it has too few distinct photos to split. Add images to this class.`,
    });
  }
  return issues;
}

/** Applies `assignSplits` to every class (returns new class objects). */
function splitClasses(classes: DatasetClass[], validationPercent: number, testPercent: number): DatasetClass[] {
  return classes.map((c) => {
    const splits = assignSplits(
      c.images.map((image) => ({ classRelativePath: image.relativePath.slice(c.name.length + 1), contentHash: image.contentHash })),
      validationPercent,
      testPercent,
    );
    const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    const images = c.images.map((image, i) => {
      counts[splits[i]]++;
      return { ...image, split: splits[i] };
    });
    return { ...c, images, counts };
  });
}

/**
 * Scans a folder of class folders: `root/<class>/<images>`, images at any depth below a class
 * folder belonging to it. Files are recognised by content (JPEG, PNG, WebP, GIF, TIFF, AVIF),
 * their headers checked and cut-off files caught (a JPEG or PNG without its end marker, any
 * other format by a small decode) so they are skipped now rather than during training, hashed (sha256 = bottleneck cache key) and split (see `assignSplits`).
 * Classes are the real top-level folders; links are followed only within their own class
 * (see walk.ts for the whole policy). Only regular files are opened (a FIFO or device is
 * `SPECIAL_FILE`, never blocking); files over `maxImageBytes` are `TOO_LARGE` and never read
 * whole; more than `maxFiles` files and folders stop the scan.
 *
 * Duplicates (identical bytes) are all kept and reported: a `DUPLICATE` warning within a class
 * (copies always share a split), `DUPLICATE_ACROSS_CLASSES` when the copies contradict each
 * other's label. Problems are returned in `issues`, never thrown; call `assertTrainable`.
 * @throws CoreError NOT_FOUND if root does not exist or cannot be read, INVALID_ARGUMENT if it
 *   is not a folder or the percentages or limits are invalid, TOO_LARGE past `maxFiles`,
 *   CANCELLED when `signal` fires (checked at every folder entry and every file).
 */
export async function scanDataset(root: string, options: ScanOptions = {}): Promise<Dataset> {
  const validationPercent = options.validationPercent ?? 10;
  const testPercent = options.testPercent ?? 10;
  validateSplitPercents(validationPercent, testPercent);
  const { signal, onProgress } = options;
  const what = 'Dataset scan';
  const rootAbs = path.resolve(root);

  const maxFiles = options.maxFiles ?? DEFAULT_MAX_SCAN_FILES;
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const positive = (v: number): boolean => Number.isSafeInteger(v) && v > 0;
  if (!positive(maxFiles)) throw new CoreError('INVALID_ARGUMENT', `The dataset file limit (maxFiles) must be a whole number above 0; got ${maxFiles}.`);
  if (!positive(maxImageBytes)) throw new CoreError('INVALID_ARGUMENT', `The image size limit (maxImageBytes) must be a whole number of bytes above 0; got ${maxImageBytes}.`);

  try {
    const s = await stat(rootAbs);
    if (!s.isDirectory()) {
      throw new CoreError('INVALID_ARGUMENT', `${rootAbs} is a file, not a folder. Choose the folder that holds one sub-folder per class.`);
    }
  } catch (error) {
    if (error instanceof CoreError) throw error;
    throw notFound(rootAbs, error);
  }
  let walked;
  try {
    walked = await walkDataset(rootAbs, { signal, maxFiles, onWalkProgress: options.onWalkProgress });
  } catch (error) {
    if (error instanceof CoreError) throw error;
    throw notFound(rootAbs, error); // the root itself could not be listed
  }
  const { classNames, rootFiles } = walked;
  const issues: DatasetIssue[] = walked.issues;
  const skip = (abs: string, code: string, message: string): void => {
    issues.push({ path: abs, code, severity: 'skipped', message });
  };
  const candidates = walked.candidates.filter((c) => {
    if (!options.exclude?.(c.relativePath)) return true;
    skip(c.path, 'EXCLUDED', `${c.relativePath}: excluded from the dataset (restore it in Data health).`);
    return false;
  });

  const index = options.indexFile !== undefined ? await openScanIndex(options.indexFile) : undefined;
  // Check the files, a few at a time.
  const results: Inspected[] = new Array(candidates.length);
  let next = 0;
  let done = 0;
  onProgress?.(0, candidates.length);
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      throwIfAborted(signal, what);
      const i = next++;
      results[i] = await inspect(candidates[i], maxImageBytes, signal, index);
      done++;
      onProgress?.(done, candidates.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, candidates.length) }, worker));
  throwIfAborted(signal, what);
  // A cache: when it cannot be written, the next scan just reads every file again.
  await index?.save().catch(() => undefined);

  const imagesByClass = new Map<string, DatasetImage[]>(classNames.map((name) => [name, []]));
  candidates.forEach((candidate, i) => {
    const result = results[i];
    if (result.ok) imagesByClass.get(candidate.className)!.push(result.image);
    else skip(candidate.path, result.problem.code, `${candidate.relativePath}: ${result.problem.reason}.`);
  });

  let classes: DatasetClass[] = classNames.map((name) => ({
    name,
    label: labelFor(name),
    images: imagesByClass.get(name)!.sort((a, b) => byName(a.relativePath, b.relativePath)),
    counts: { train: 0, validation: 0, test: 0 },
  }));
  classes = splitClasses(classes, validationPercent, testPercent);

  const problem = (p: string, code: string, severity: 'error' | 'warning', message: string): void => {
    issues.push({ path: p, code, severity, message });
  };
  const layout = 'Expected layout: <dataset folder>/<class name>/<images>, one sub-folder per class, e.g. flowers/roses/1.jpg and flowers/tulips/2.jpg.';
  if (classes.length === 0) {
    const note = rootFiles.length > 0 ? ` The ${rootFiles.length} file(s) directly in it belong to no class.` : '';
    problem(rootAbs, 'NO_CLASSES', 'error', `${rootAbs} has no class folders.${note} ${layout}`);
  } else if (classes.length === 1) {
    problem(rootAbs, 'SINGLE_CLASS', 'error', `${rootAbs} has only one class folder ("${classes[0].name}"); a classifier needs at least 2. Add a sub-folder of images for each other class. ${layout}`);
  }
  for (const c of classes) {
    const n = c.images.length;
    const classPath = path.join(rootAbs, c.name);
    if (n < MIN_IMAGES_PER_CLASS) {
      problem(classPath, 'TOO_FEW_IMAGES', 'error', `Class "${c.name}" has ${n} usable image(s); each class needs at least ${MIN_IMAGES_PER_CLASS} (${RECOMMENDED_IMAGES_PER_CLASS} or more recommended). Add images to ${classPath} or remove the folder.`);
    } else if (n < RECOMMENDED_IMAGES_PER_CLASS) {
      problem(classPath, 'FEW_IMAGES', 'warning', `Class "${c.name}" has only ${n} usable images; ${RECOMMENDED_IMAGES_PER_CLASS} or more per class give much better results.`);
    }
  }
  const byLabel = new Map<string, string[]>();
  for (const c of classes) byLabel.set(c.label, [...(byLabel.get(c.label) ?? []), c.name]);
  for (const [label, names] of byLabel) {
    if (names.length > 1) {
      problem(rootAbs, 'LABEL_COLLISION', 'warning', `Class folders ${names.map((n) => `"${n}"`).join(', ')} all get the label "${label}"; rename them so their labels differ.`);
    }
  }

  const byHash = new Map<string, DatasetImage[]>();
  for (const c of classes) for (const image of c.images) byHash.set(image.contentHash, [...(byHash.get(image.contentHash) ?? []), image]);
  const duplicates: Dataset['duplicates'] = [];
  for (const [contentHash, group] of byHash) {
    if (group.length < 2) continue;
    group.sort((a, b) => byName(a.relativePath, b.relativePath));
    duplicates.push({ contentHash, paths: group.map((image) => image.path) });
    const first = group[0];
    const acrossClasses = group.some((image) => image.className !== first.className);
    for (const image of group.slice(1)) {
      if (acrossClasses) {
        problem(image.path, 'DUPLICATE_ACROSS_CLASSES', 'warning', `${image.relativePath}: same content as ${first.relativePath}; copies are in classes ${[...new Set(group.map((g) => `"${g.className}"`))].join(' and ')}, which teaches contradictory labels. Keep the image in one class only.`);
      } else {
        problem(image.path, 'DUPLICATE', 'warning', `${image.relativePath}: same content as ${first.relativePath}. Both are used and always share a split; remove one copy unless you want it counted twice.`);
      }
    }
  }
  duplicates.sort((a, b) => byName(a.paths[0], b.paths[0]));

  issues.push(...splitIssues(classes, rootAbs, validationPercent, testPercent));
  return {
    root: rootAbs,
    classes,
    issues,
    duplicates,
    validationPercent,
    testPercent,
    imageCount: classes.reduce((sum, c) => sum + c.images.length, 0),
    scannedAt: new Date().toISOString(),
  };
}

function notFound(rootAbs: string, error: unknown): CoreError {
  const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder not found' : problemFromFsError(error).reason;
  return new CoreError('NOT_FOUND', `${rootAbs}: ${reason}. Choose the folder that holds one sub-folder per class.`, { path: rootAbs });
}

/**
 * The same dataset with new validation/test percentages: splits, counts and split warnings
 * recomputed from the stored paths and hashes (no file is read). Pure: `dataset` is not changed.
 * @throws CoreError INVALID_ARGUMENT for invalid percentages.
 */
export function resplit(dataset: Dataset, validationPercent: number, testPercent: number): Dataset {
  validateSplitPercents(validationPercent, testPercent);
  const classes = splitClasses(dataset.classes, validationPercent, testPercent);
  return {
    ...dataset,
    classes,
    issues: [
      ...dataset.issues.filter((issue) => issue.code !== 'SPLIT_EMPTY'),
      ...splitIssues(classes, dataset.root, validationPercent, testPercent),
    ],
    duplicates: dataset.duplicates.map((d) => ({ ...d, paths: [...d.paths] })),
    validationPercent,
    testPercent,
  };
}

/**
 * Throws unless the dataset can be trained on: at least 2 classes, each with at least 2 usable
 * images (warnings and skipped files do not block).
 * @throws CoreError DATASET_EMPTY when there are no classes or no usable images;
 *   DATASET_INVALID listing every error (which class, what to do), with `details.errors`.
 */
export function assertTrainable(dataset: Dataset): void {
  const errors = dataset.issues.filter((issue) => issue.severity === 'error');
  const list = (items: DatasetIssue[]): string => {
    const shown = items.slice(0, 10).map((issue) => `- ${issue.message}`);
    if (items.length > 10) shown.push(`- …and ${items.length - 10} more.`);
    return shown.join('\n');
  };
  const details = { errors: errors.map((e) => ({ path: e.path, code: e.code, message: e.message })) };
  if (dataset.classes.length === 0 || dataset.imageCount === 0) {
    const why = errors.length > 0 ? `\n${list(errors)}` : '';
    throw new CoreError('DATASET_EMPTY', `No usable images in ${dataset.root}.${why}`, details);
  }
  if (errors.length > 0) {
    throw new CoreError('DATASET_INVALID', `The dataset in ${dataset.root} cannot be trained yet:\n${list(errors)}`, details);
  }
}
