import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';
import { describeNotImage, SNIFF_BYTES, sniffFormat } from '../images/formats.js';
import { problemFromFsError, type ImageProblem } from '../images/errors.js';
import { probeBytes } from '../images/probe.js';
import { assignSplits, validateSplitPercents, type Split } from './split.js';
import type { Dataset, DatasetClass, DatasetImage, DatasetIssue } from './types.js';

/** Options of `scanDataset`. */
export type ScanOptions = {
  /** Percent of each class for validation. Default 10. */
  validationPercent?: number;
  /** Percent of each class for the final test. Default 10. */
  testPercent?: number;
  /** Cancels the scan (it then rejects with CANCELLED). */
  signal?: AbortSignal;
  /** Called after each file is checked, with files done and files found. */
  onProgress?: (done: number, total: number) => void;
};

/** Below this many usable images a class is an error. */
export const MIN_IMAGES_PER_CLASS = 2;
/** Below this many usable images a class gets a warning (retrain.py warned under 20). */
export const RECOMMENDED_IMAGES_PER_CLASS = 20;
/** Files checked at the same time. */
const SCAN_CONCURRENCY = 4;
/** Deepest folder nesting followed inside a class folder. */
const MAX_DEPTH = 32;

const SYSTEM_FILES = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', '__macosx', '$recycle.bin', 'system volume information', 'icon\r']);

/** Whether a file or folder name is hidden or an OS artefact (dotfiles, Thumbs.db, desktop.ini, __MACOSX, …). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FILES.has(name.toLowerCase());
}

/** retrain.py's label for a class folder: `re.sub(r'[^a-z0-9]+', ' ', name.lower())`. */
export function labelFor(folderName: string): string {
  return folderName.toLowerCase().replace(/[^a-z0-9]+/g, ' ');
}

const toPosix = (p: string): string => p.split(path.sep).join('/');
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

type Candidate = { path: string; relativePath: string; className: string };
type Inspected = { ok: true; image: DatasetImage } | { ok: false; problem: ImageProblem };

/** Resolves a directory entry through symbolic links; `undefined` for a broken link. */
async function entryKind(entry: Dirent, abs: string): Promise<'dir' | 'file' | 'other' | { error: unknown }> {
  if (entry.isDirectory()) return 'dir';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const s = await stat(abs);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch (error) {
    return { error };
  }
}

async function readWhole(file: string): Promise<Buffer | { problem: ImageProblem }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    return { problem: problemFromFsError(error) };
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { problem: { code: 'EMPTY_FILE', reason: 'the file is empty (0 bytes). Remove it or copy the image again' } };
    // Look at the first bytes before reading a possibly huge non-image file.
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const sniff = sniffFormat(head);
    if (sniff.kind !== 'supported') return { problem: { code: 'NOT_IMAGE', reason: describeNotImage(sniff) } };
    const bytes = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(bytes, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return offset === size ? bytes : bytes.subarray(0, offset);
  } catch (error) {
    return { problem: problemFromFsError(error) };
  } finally {
    await handle.close();
  }
}

async function inspect(candidate: Candidate): Promise<Inspected> {
  const bytes = await readWhole(candidate.path);
  if (!Buffer.isBuffer(bytes)) return { ok: false, problem: bytes.problem };
  const probe = await probeBytes(bytes);
  if (!probe.ok) return { ok: false, problem: { code: probe.code, reason: probe.reason } };
  return {
    ok: true,
    image: {
      ...candidate,
      contentHash: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      split: 'train',
      widthPx: probe.widthPx,
      heightPx: probe.heightPx,
      format: probe.format,
    },
  };
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
 * fully decoded once (cheaply) so truncated or corrupt files are skipped now rather than
 * failing training, hashed (sha256 = bottleneck cache key) and split (see `assignSplits`).
 * Symbolic links are followed; a folder reached twice (e.g. a link loop) is scanned once.
 *
 * Duplicates (identical bytes) are all kept and reported: a `DUPLICATE` warning within a class
 * (copies always share a split), `DUPLICATE_ACROSS_CLASSES` when the copies contradict each
 * other's label. Problems are returned in `issues`, never thrown; call `assertTrainable`.
 * @throws CoreError NOT_FOUND if root does not exist or cannot be read, INVALID_ARGUMENT if it
 *   is not a folder or the percentages are invalid, CANCELLED when `signal` fires.
 */
export async function scanDataset(root: string, options: ScanOptions = {}): Promise<Dataset> {
  const validationPercent = options.validationPercent ?? 10;
  const testPercent = options.testPercent ?? 10;
  validateSplitPercents(validationPercent, testPercent);
  const { signal, onProgress } = options;
  const what = 'Dataset scan';
  const rootAbs = path.resolve(root);

  let rootEntries: Dirent[];
  try {
    const s = await stat(rootAbs);
    if (!s.isDirectory()) {
      throw new CoreError('INVALID_ARGUMENT', `${rootAbs} is a file, not a folder. Choose the folder that holds one sub-folder per class.`);
    }
    rootEntries = await readdir(rootAbs, { withFileTypes: true });
  } catch (error) {
    if (error instanceof CoreError) throw error;
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder not found' : problemFromFsError(error).reason;
    throw new CoreError('NOT_FOUND', `${rootAbs}: ${reason}. Choose the folder that holds one sub-folder per class.`, { path: rootAbs });
  }

  const issues: DatasetIssue[] = [];
  const skip = (abs: string, code: string, message: string): void => {
    issues.push({ path: abs, code, severity: 'skipped', message });
  };
  const rel = (abs: string): string => toPosix(path.relative(rootAbs, abs));
  const visited = new Set<string>([await realpath(rootAbs)]);
  const candidates: Candidate[] = [];
  const classNames: string[] = [];

  /** Collects candidate files below `dir`; 'repeat' when the folder was already scanned. */
  const walk = async (dir: string, className: string, depth: number): Promise<'repeat' | undefined> => {
    throwIfAborted(signal, what);
    let entries: Dirent[];
    try {
      const real = await realpath(dir);
      if (visited.has(real)) {
        skip(dir, 'LINK_REPEAT', `${rel(dir)}: this folder was already scanned (a symbolic link leads back to it); ignored.`);
        return 'repeat';
      }
      visited.add(real);
      if (depth > MAX_DEPTH) {
        skip(dir, 'UNREADABLE', `${rel(dir)}: folders nested more than ${MAX_DEPTH} deep are ignored. Flatten the folder structure.`);
        return undefined;
      }
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      skip(dir, 'UNREADABLE', `${rel(dir)}: folder could not be read: ${problemFromFsError(error).reason}.`);
      return undefined;
    }
    entries.sort((a, b) => byName(a.name, b.name));
    for (const entry of entries) {
      const abs = path.join(dir, entry.name);
      if (isHiddenName(entry.name)) {
        skip(abs, 'HIDDEN', `${rel(abs)}: hidden or system file; ignored.`);
        continue;
      }
      const kind = await entryKind(entry, abs);
      if (kind === 'dir') await walk(abs, className, depth + 1);
      else if (kind === 'file') candidates.push({ path: abs, relativePath: rel(abs), className });
      else if (kind === 'other') skip(abs, 'NOT_IMAGE', `${rel(abs)}: not a regular file (device, socket or pipe); ignored.`);
      else skip(abs, 'UNREADABLE', `${rel(abs)}: ${problemFromFsError(kind.error).reason}; ignored.`);
    }
    return undefined;
  };

  rootEntries.sort((a, b) => byName(a.name, b.name));
  const rootFiles: string[] = [];
  for (const entry of rootEntries) {
    const abs = path.join(rootAbs, entry.name);
    if (isHiddenName(entry.name)) {
      skip(abs, 'HIDDEN', `${entry.name}: hidden or system ${entry.isDirectory() ? 'folder' : 'file'}; ignored.`);
      continue;
    }
    const kind = await entryKind(entry, abs);
    if (kind === 'dir') {
      // A link back to an already scanned folder is not a class of its own.
      if ((await walk(abs, entry.name, 1)) !== 'repeat') classNames.push(entry.name);
    } else if (kind === 'file') {
      rootFiles.push(entry.name);
      skip(abs, 'NOT_IN_CLASS', `${entry.name}: files directly in the dataset folder belong to no class; ignored. To use an image, move it into a class folder: <dataset folder>/<class name>/.`);
    } else if (kind !== 'other') {
      skip(abs, 'UNREADABLE', `${entry.name}: ${problemFromFsError(kind.error).reason}; ignored.`);
    }
  }

  // Check the files, a few at a time.
  const results: Inspected[] = new Array(candidates.length);
  let next = 0;
  let done = 0;
  onProgress?.(0, candidates.length);
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      throwIfAborted(signal, what);
      const index = next++;
      results[index] = await inspect(candidates[index]);
      done++;
      onProgress?.(done, candidates.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, candidates.length) }, worker));
  throwIfAborted(signal, what);

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
