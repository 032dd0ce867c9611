/**
 * Fixes in place: moving a photo to another class folder, for real on disk, confined to the
 * dataset folder and never overwriting, with a log kept in the dataset's state folder (the
 * app's data folder) so every move can be undone. Each move happens while the log's
 * cross-process lock is held, so two processes fixing the same dataset at once neither lose
 * a log entry nor move one file twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, lstat, readFile, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import { readJsonFile, updateJsonFile } from '../files/index.js';
import { normaliseDatasetPath } from './exclusions.js';
import type { MoveFix } from './fix-types.js';
import { isHiddenName } from './walk.js';

export type { MoveFix } from './fix-types.js';

type FixFile = { version: 1; fixes: MoveFix[] };

/** The move log of the dataset whose state folder is `stateDir`. */
export const fixLogFile = (stateDir: string): string => path.join(stateDir, 'fixes.json');

/** Every logged move, oldest first. */
export async function readFixLog(file: string): Promise<MoveFix[]> {
  const data = await readJsonFile<FixFile>(file);
  return Array.isArray(data?.fixes) ? data.fixes : [];
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

/** Real path of a class folder: a real (not linked) folder directly in the root, not hidden. */
async function classFolder(rootReal: string, className: string): Promise<string> {
  const dir = path.join(rootReal, className);
  const info = await lstat(dir).catch(() => null);
  if (className.includes('/') || className.includes('\\') || isHiddenName(className) || !info?.isDirectory()) {
    throw new CoreError('NOT_FOUND', `"${className}" is not a class folder of ${rootReal}: choose one of its class folders.`);
  }
  return dir;
}

/**
 * The absolute path of a regular file at `relativePath`, checked to lie inside its class
 * folder of `rootReal` (links resolved: a link out of the dataset is refused).
 */
async function confinedFile(rootReal: string, relativePath: string): Promise<string> {
  const rel = normaliseDatasetPath(relativePath);
  const classDir = await classFolder(rootReal, rel.split('/')[0]);
  const abs = path.join(rootReal, ...rel.split('/'));
  const info = await lstat(abs).catch(() => null);
  if (!info) throw new CoreError('NOT_FOUND', `${rel} is not in ${rootReal} any more (moved or deleted outside the app?). Open the dataset again.`);
  if (!info.isFile()) throw new CoreError('INVALID_ARGUMENT', `${rel} is not a regular file (a link or a folder); only photos can be moved.`);
  const parent = await realpath(path.dirname(abs));
  if (parent !== classDir && !parent.startsWith(classDir + path.sep)) throw new CoreError('PATH_NOT_ALLOWED', `${rel} lies outside its class folder; it is not moved.`);
  return abs;
}

/**
 * Puts `from` at `to` only if `to` does not exist: a hard link (atomic, fails on an existing
 * name) then the old name removed; where the file system has no hard links, an exclusive copy.
 * @returns false when `to` exists
 */
async function moveNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw error;
    try {
      await copyFile(from, to, constants.COPYFILE_EXCL);
    } catch (copyError) {
      if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw copyError;
    }
  }
  await unlink(from);
  return true;
}

/** `name.jpg`, then `name (2).jpg`, `name (3).jpg`… (before any `_nohash_` part stays as it is). */
function candidateName(base: string, n: number): string {
  if (n === 1) return base;
  const ext = path.extname(base);
  return `${base.slice(0, base.length - ext.length)} (${n})${ext}`;
}

/**
 * Moves one photo of the dataset at `root` into the class folder `toClass` (top level of the
 * class, same file name, or `name (2).ext`… when taken: never overwrites) and logs it.
 * @throws CoreError NOT_FOUND (no such file or class), INVALID_ARGUMENT (already in that
 *   class, not a regular file), PATH_NOT_ALLOWED (outside the dataset), BUSY (log locked too long)
 */
export async function moveToClass(root: string, logFile: string, request: { path: string; toClass: string }): Promise<MoveFix> {
  const rootReal = await realpath(root);
  const from = normaliseDatasetPath(request.path);
  let fix: MoveFix | undefined;
  await updateJsonFile<FixFile>(logFile, async (current) => {
    const source = await confinedFile(rootReal, from);
    if (from.split('/')[0] === request.toClass) throw new CoreError('INVALID_ARGUMENT', `${from} is already in class "${request.toClass}".`);
    const targetDir = await classFolder(rootReal, request.toClass);
    const contentHash = await sha256(source);
    const base = path.basename(source);
    for (let n = 1; n < 1000 && !fix; n++) {
      const name = candidateName(base, n);
      if (await moveNoClobber(source, path.join(targetDir, name))) {
        fix = { id: `fix-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`, kind: 'move', from, to: `${request.toClass}/${name}`, contentHash, at: new Date().toISOString() };
      }
    }
    if (!fix) throw new CoreError('INVALID_ARGUMENT', `Class "${request.toClass}" already has 999 files named like ${base}; rename the photo first.`);
    return { version: 1, fixes: [...(current?.fixes ?? []), fix] };
  });
  return fix!;
}

/**
 * Undoes a logged move: the file goes back to its old path, exactly (same name and bytes).
 * @throws CoreError NOT_FOUND (no such fix, or the file is gone), INVALID_ARGUMENT (already
 *   undone; the file changed since; something else now holds the old name)
 */
export async function undoMove(root: string, logFile: string, fixId: string): Promise<MoveFix> {
  const rootReal = await realpath(root);
  let undone: MoveFix | undefined;
  await updateJsonFile<FixFile>(logFile, async (current) => {
    const fixes = current?.fixes ?? [];
    const fix = fixes.find((f) => f.id === fixId);
    if (!fix) throw new CoreError('NOT_FOUND', `No fix ${fixId} in this dataset's log.`);
    if (fix.undoneAt) throw new CoreError('INVALID_ARGUMENT', `The move of ${fix.from} to ${fix.to} was already undone (${fix.undoneAt}).`);
    const source = await confinedFile(rootReal, fix.to);
    if ((await sha256(source)) !== fix.contentHash) throw new CoreError('INVALID_ARGUMENT', `${fix.to} changed since it was moved there; it is not moved back. Move it by hand if you still want to.`);
    const parts = fix.from.split('/');
    const targetClass = await classFolder(rootReal, parts[0]);
    const target = path.join(rootReal, ...parts);
    const parent = await realpath(path.dirname(target)).catch(() => null);
    if (!parent || (parent !== targetClass && !parent.startsWith(targetClass + path.sep))) {
      throw new CoreError('NOT_FOUND', `The folder of ${fix.from} is gone; ${fix.to} stays where it is.`);
    }
    if (!(await moveNoClobber(source, target))) throw new CoreError('INVALID_ARGUMENT', `${fix.from} exists again (another file took its name); ${fix.to} is not moved back. Rename one of them first.`);
    undone = { ...fix, undoneAt: new Date().toISOString() };
    return { version: 1, fixes: fixes.map((f) => (f.id === fixId ? undone! : f)) };
  });
  return undone!;
}
