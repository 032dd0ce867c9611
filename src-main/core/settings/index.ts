/**
 * Settings kept in one JSON file of the data folder (settings.json). Several processes may
 * share that folder (the app, `serve`, the CLI): an update re-reads the file and changes only
 * the keys it was given, so one process never writes back another's older values.
 */
import { readFile } from 'node:fs/promises';
import { writeAtomic } from '../tf/file-io.js';

export interface SettingsStore<T extends object> {
  readonly file: string;
  /** The stored settings over the defaults; a missing or unreadable file gives the defaults. */
  load(): Promise<T>;
  /**
   * Applies `change` to the settings as stored now (re-read, not cached) and writes them
   * atomically. Resolves to what was written.
   * @throws the write's error (e.g. EACCES, ENOSPC): nothing is changed then
   */
  update(change: Partial<T>): Promise<T>;
}

/** A store for `file` with `defaults` for every key. */
export function createSettingsStore<T extends object>(options: { file: string; defaults: T }): SettingsStore<T> {
  const { file, defaults } = options;
  const load = async (): Promise<T> => {
    try {
      const stored = JSON.parse(await readFile(file, 'utf8')) as unknown;
      return stored && typeof stored === 'object' && !Array.isArray(stored) ? { ...defaults, ...(stored as Partial<T>) } : { ...defaults };
    } catch {
      // First start, or a damaged file: the defaults (the next update rewrites it whole).
      return { ...defaults };
    }
  };
  // Within this process updates run one after another; each reads what the last one wrote.
  let last: Promise<unknown> = Promise.resolve();
  return {
    file,
    load,
    update(change) {
      const next = last.then(async () => {
        const defined = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
        const merged = { ...(await load()), ...defined } as T;
        await writeAtomic(file, JSON.stringify(merged, null, 2));
        return merged;
      });
      last = next.catch(() => {});
      return next;
    },
  };
}
