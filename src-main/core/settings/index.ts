/**
 * Settings kept in one JSON file of the data folder (settings.json). Several processes may
 * share that folder (the app, `serve`, the CLI): an update is a read-modify-write under the
 * file's cross-process lock (core/files) that changes only the keys it was given, so no
 * process loses another's change or writes back its older values.
 */
import { readFile } from 'node:fs/promises';
import { updateJsonFile, type FileLockOptions } from '../files/index.js';

export interface SettingsStore<T extends object> {
  readonly file: string;
  /** The stored settings over the defaults; a missing or unreadable file gives the defaults. */
  load(): Promise<T>;
  /**
   * Applies `change` (its defined keys) to the settings as stored now, under the lock, and
   * replaces the file atomically. Resolves to what was written.
   * @throws CoreError BUSY when the lock stays held past its timeout; the write's error (EACCES, ENOSPC)
   */
  update(change: Partial<T>): Promise<T>;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A store for `file` with `defaults` for every key. */
export function createSettingsStore<T extends object>(options: { file: string; defaults: T; lock?: FileLockOptions }): SettingsStore<T> {
  const { file, defaults } = options;
  return {
    file,
    async load() {
      try {
        const stored = JSON.parse(await readFile(file, 'utf8')) as unknown;
        return isObject(stored) ? { ...defaults, ...stored } : { ...defaults };
      } catch {
        // First start, or a damaged file: the defaults (the next update rewrites it whole).
        return { ...defaults };
      }
    },
    async update(change) {
      const defined = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
      const written = await updateJsonFile<T>(file, (current) => ({ ...defaults, ...(isObject(current) ? current : {}), ...defined }), options.lock);
      return written as T;
    },
  };
}
