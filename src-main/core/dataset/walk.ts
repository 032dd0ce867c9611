/**
 * Walking a dataset folder: which direct sub-folders are classes, which files below them are
 * candidate images, and what is skipped and why. Nothing is opened here except folders; files
 * are only listed (and `stat`ed through links), so a FIFO or device can never block the walk.
 *
 * Link policy (so a link can never relabel data or lead out of the dataset):
 * - A class is a real top-level folder. A top-level link to a folder is not a class
 *   (`LINK_CLASS`) and is not followed, so `aa-alias -> daisy` leaves `daisy` intact.
 * - Inside a class, a link (to a file or a folder) is followed only when its real target lies
 *   inside the same class folder; a linked file then counts as a copy of its target (reported as
 *   `DUPLICATE` by the scan). A link into another class or elsewhere in the dataset folder is
 *   `LINK_OTHER_CLASS`; one leading outside the dataset folder is `LINK_OUTSIDE`. Neither is read:
 *   images are only ever granted (thumbnails, the image routes) inside the opened dataset.
 * - Real folders are walked before linked ones, so a link to a folder of the same class never
 *   takes that folder's paths; a folder reached twice is `LINK_REPEAT`.
 */
import type { Dirent } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../access/index.js';
import { CoreError, throwIfAborted } from '../errors.js';
import { problemFromFsError } from '../images/errors.js';
import { describeSpecialFile } from '../images/read-image-file.js';
import type { DatasetIssue } from './types.js';

/** Default most files and folders one scan examines (`ScanOptions.maxFiles`). */
export const DEFAULT_MAX_SCAN_FILES = 500_000;
/** Deepest folder nesting followed inside a class folder. */
const MAX_DEPTH = 32;
/** `onWalkProgress` is called after this many more entries. */
const WALK_PROGRESS_EVERY = 500;

const SYSTEM_FILES = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', '__macosx', '$recycle.bin', 'system volume information', 'icon\r']);

/** Whether a file or folder name is hidden or an OS artefact (dotfiles, Thumbs.db, desktop.ini, __MACOSX, …). */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_FILES.has(name.toLowerCase());
}

/** A file below a class folder, to be read and checked. `classReal` is the class folder's real path. */
export type Candidate = { path: string; relativePath: string; className: string; classReal: string };

/** Options of `walkDataset`. */
export type WalkOptions = {
  signal?: AbortSignal;
  /** Most entries (files and folders, skipped ones included) examined before the walk fails. */
  maxFiles: number;
  /** Called every few hundred entries and once at the end: entries examined, candidate files found. */
  onWalkProgress?: (entries: number, files: number) => void;
};

/** What the walk found. */
export type WalkResult = {
  /** Class folder names, sorted (code-unit order). */
  classNames: string[];
  /** Sorted by folder, then name; real paths before linked ones within a class. */
  candidates: Candidate[];
  /** Names of files directly in the root (they belong to no class). */
  rootFiles: string[];
  /** `skipped` issues for what is not used. */
  issues: DatasetIssue[];
};

const toPosix = (p: string): string => p.split(path.sep).join('/');
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * Walks `rootAbs` (an existing folder). Never opens a file.
 * @throws CoreError TOO_LARGE when more than `maxFiles` entries are found (naming the limit
 *   and how to raise it), CANCELLED when `signal` fires (checked at every entry).
 */
export async function walkDataset(rootAbs: string, options: WalkOptions): Promise<WalkResult> {
  const { signal, maxFiles, onWalkProgress } = options;
  const what = 'Dataset scan';
  const realRoot = await realpath(rootAbs);
  const issues: DatasetIssue[] = [];
  const skip = (abs: string, code: string, message: string): void => {
    issues.push({ path: abs, code, severity: 'skipped', message });
  };
  const rel = (abs: string): string => toPosix(path.relative(rootAbs, abs));
  const candidates: Candidate[] = [];
  const classNames: string[] = [];
  const rootFiles: string[] = [];
  let entriesSeen = 0;

  /** The entries of a folder, sorted by name; every entry counts towards `maxFiles`. */
  const listFolder = async (dir: string): Promise<Dirent[]> => {
    const entries: Dirent[] = [];
    // opendir streams the entries, so the limit and a cancel stop even inside a huge folder.
    for await (const entry of await opendir(dir, { bufferSize: 256 })) {
      throwIfAborted(signal, what);
      if (++entriesSeen > maxFiles) {
        throw new CoreError(
          'TOO_LARGE',
          `${rootAbs} holds more than ${thousands(maxFiles)} files and folders, the limit for one dataset; the scan stopped. Choose the folder that directly holds the class folders, or raise the limit (maxFiles).`,
          { path: rootAbs, maxFiles },
        );
      }
      if (entriesSeen % WALK_PROGRESS_EVERY === 0) onWalkProgress?.(entriesSeen, candidates.length);
      entries.push(entry);
    }
    return entries.sort((a, b) => byName(a.name, b.name));
  };

  /** The class (or other top-level name) a real path inside the root belongs to, for messages. */
  const describeTarget = (real: string): string => {
    const first = path.relative(realRoot, real).split(path.sep)[0];
    return first && classNames.includes(first) ? `class "${first}"` : first ? `"${first}" in the dataset folder` : 'the dataset folder itself';
  };

  const walkClass = async (className: string): Promise<void> => {
    const classDir = path.join(rootAbs, className);
    const classReal = path.join(realRoot, className);
    const visited = new Set<string>();
    const links: { abs: string; depth: number }[] = [];

    const walkFolder = async (dir: string, depth: number): Promise<void> => {
      let entries: Dirent[];
      try {
        const real = await realpath(dir);
        if (visited.has(real)) {
          skip(dir, 'LINK_REPEAT', `${rel(dir)}: this folder was already scanned (a symbolic link leads back to it); ignored.`);
          return;
        }
        visited.add(real);
        if (depth > MAX_DEPTH) {
          skip(dir, 'UNREADABLE', `${rel(dir)}: folders nested more than ${MAX_DEPTH} deep are ignored. Flatten the folder structure.`);
          return;
        }
        entries = await listFolder(dir);
      } catch (error) {
        if (error instanceof CoreError) throw error;
        skip(dir, 'UNREADABLE', `${rel(dir)}: folder could not be read: ${problemFromFsError(error).reason}.`);
        return;
      }
      for (const entry of entries) {
        const abs = path.join(dir, entry.name);
        if (isHiddenName(entry.name)) skip(abs, 'HIDDEN', `${rel(abs)}: hidden or system file; ignored.`);
        else if (entry.isDirectory()) await walkFolder(abs, depth + 1);
        else if (entry.isFile()) candidates.push({ path: abs, relativePath: rel(abs), className, classReal });
        else if (entry.isSymbolicLink()) links.push({ abs, depth });
        else skip(abs, 'SPECIAL_FILE', `${rel(abs)}: it is ${await describeSpecialFile(abs)}, so it is never read. Remove it or replace it with an image file.`);
      }
    };

    const followLink = async (abs: string, depth: number): Promise<void> => {
      let real: string;
      let isDir: boolean;
      try {
        real = await realpath(abs);
        const s = await stat(real);
        if (!s.isDirectory() && !s.isFile()) {
          skip(abs, 'SPECIAL_FILE', `${rel(abs)}: a symbolic link to ${real}, which is ${await describeSpecialFile(real)}, so it is never read. Remove the link.`);
          return;
        }
        isDir = s.isDirectory();
      } catch (error) {
        skip(abs, 'UNREADABLE', `${rel(abs)}: a symbolic link that cannot be followed: ${problemFromFsError(error).reason}; ignored.`);
        return;
      }
      if (isInside(real, classReal)) {
        if (isDir) await walkFolder(abs, depth + 1);
        else candidates.push({ path: abs, relativePath: rel(abs), className, classReal });
      } else if (isInside(real, realRoot)) {
        skip(abs, 'LINK_OTHER_CLASS', `${rel(abs)}: a symbolic link into ${describeTarget(real)}; links out of class "${className}" are not followed, because they would give one photo the wrong label. Copy the image${isDir ? 's' : ''} into ${rel(classDir)} instead, or remove the link.`);
      } else {
        skip(abs, 'LINK_OUTSIDE', `${rel(abs)}: a symbolic link to ${real}, outside the dataset folder; only files inside the dataset folder are used. Copy the image${isDir ? 's' : ''} into ${rel(classDir)} instead, or remove the link.`);
      }
    };

    await walkFolder(classDir, 1);
    // Links last, so real folders keep their own paths; links found on the way are appended.
    for (let i = 0; i < links.length; i++) {
      throwIfAborted(signal, what);
      await followLink(links[i].abs, links[i].depth);
    }
  };

  const rootEntries = await listFolder(rootAbs);
  // Class names first: link messages name the class a link points into.
  for (const entry of rootEntries) if (entry.isDirectory() && !isHiddenName(entry.name)) classNames.push(entry.name);
  for (const entry of rootEntries) {
    const abs = path.join(rootAbs, entry.name);
    if (isHiddenName(entry.name)) {
      skip(abs, 'HIDDEN', `${entry.name}: hidden or system ${entry.isDirectory() ? 'folder' : 'file'}; ignored.`);
    } else if (entry.isDirectory()) {
      await walkClass(entry.name);
    } else if (entry.isFile()) {
      rootFiles.push(entry.name);
      skip(abs, 'NOT_IN_CLASS', `${entry.name}: files directly in the dataset folder belong to no class; ignored. To use an image, move it into a class folder: <dataset folder>/<class name>/.`);
    } else if (entry.isSymbolicLink()) {
      const target = await realpath(abs).then(async (real) => ({ real, s: await stat(real) })).catch((error: unknown) => ({ error }));
      if ('error' in target) {
        skip(abs, 'UNREADABLE', `${entry.name}: a symbolic link that cannot be followed: ${problemFromFsError(target.error).reason}; ignored.`);
      } else if (target.s.isDirectory()) {
        const where = isInside(target.real, realRoot) ? describeTarget(target.real) : target.real;
        skip(abs, 'LINK_CLASS', `${entry.name}: a symbolic link to ${where}, not a real folder; class folders must be real folders, so it is not a class and is not followed. To make it a class, replace the link with a folder of images.`);
      } else {
        rootFiles.push(entry.name);
        skip(abs, 'NOT_IN_CLASS', `${entry.name}: files directly in the dataset folder belong to no class; ignored. To use an image, move it into a class folder: <dataset folder>/<class name>/.`);
      }
    } else {
      skip(abs, 'SPECIAL_FILE', `${entry.name}: it is ${await describeSpecialFile(abs)}, so it is never read; ignored.`);
    }
  }
  onWalkProgress?.(entriesSeen, candidates.length);
  return { classNames, candidates, rootFiles, issues };
}
