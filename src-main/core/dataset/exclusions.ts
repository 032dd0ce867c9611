/**
 * A dataset's exclusion list: files the user took out of the dataset without deleting them.
 * Kept with the dataset's state in the app's data folder (not in the photo folder), shared by
 * every process on that data folder (locked read-modify-write), and applied by the scan, so
 * the split, training and every check see the dataset without them.
 */
import path from 'node:path';
import { readJsonFile, updateJsonFile } from '../files/index.js';
import { CoreError } from '../errors.js';
import type { Exclusion } from './fix-types.js';

export type { Exclusion } from './fix-types.js';

type ExclusionFile = { version: 1; excluded: Exclusion[] };

/** The exclusion list of the dataset whose state folder is `stateDir`. */
export const exclusionsFile = (stateDir: string): string => path.join(stateDir, 'exclusions.json');

/**
 * A dataset-relative path as lists keep it: posix separators, NFC, no `.`/`..`/empty segment,
 * at least `<class>/<file>`.
 * @throws CoreError INVALID_ARGUMENT naming the path otherwise
 */
export function normaliseDatasetPath(relativePath: string): string {
  const p = relativePath.normalize('NFC').replace(/\\/g, '/');
  const parts = p.split('/');
  if (path.posix.isAbsolute(p) || /^[a-zA-Z]:/.test(p) || parts.length < 2 || parts.some((s) => s === '' || s === '.' || s === '..')) {
    throw new CoreError('INVALID_ARGUMENT', `"${relativePath}" is not a file of the dataset: give its path relative to the dataset folder, as <class>/<file>.`);
  }
  return p;
}

/** The exclusions, sorted by path; none when the file does not exist. */
export async function readExclusions(file: string): Promise<Exclusion[]> {
  const data = await readJsonFile<ExclusionFile>(file);
  return Array.isArray(data?.excluded) ? data.excluded : [];
}

/** Adds files to the list (already listed ones keep their first entry); returns the whole list. */
export async function excludeFiles(file: string, entries: { path: string; contentHash?: string; reason?: string }[]): Promise<Exclusion[]> {
  const additions = entries.map((e) => ({ ...e, path: normaliseDatasetPath(e.path) }));
  const at = new Date().toISOString();
  const written = await updateJsonFile<ExclusionFile>(file, (current) => {
    const byPath = new Map((current?.excluded ?? []).map((e) => [e.path, e]));
    for (const e of additions) {
      if (byPath.has(e.path)) continue;
      byPath.set(e.path, { path: e.path, ...(e.contentHash ? { contentHash: e.contentHash } : {}), ...(e.reason ? { reason: e.reason } : {}), excludedAt: at });
    }
    return { version: 1, excluded: [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
  });
  return written?.excluded ?? [];
}

/** Takes files off the list (unlisted ones are ignored); returns the whole list. */
export async function restoreFiles(file: string, paths: string[]): Promise<Exclusion[]> {
  const gone = new Set(paths.map(normaliseDatasetPath));
  const written = await updateJsonFile<ExclusionFile>(file, (current) => ({ version: 1, excluded: (current?.excluded ?? []).filter((e) => !gone.has(e.path)) }));
  return written?.excluded ?? [];
}

/** The scan's filter for a list: true for a dataset-relative path that is excluded. */
export function exclusionFilter(excluded: readonly Exclusion[]): (relativePath: string) => boolean {
  const set = new Set(excluded.map((e) => e.path));
  return (relativePath) => set.has(relativePath.normalize('NFC'));
}
