/**
 * A per-dataset index of what the scan found in each file, so a rescan reads, hashes and
 * decodes only the files that changed. A file is unchanged when its path, device, inode, size,
 * mtime and ctime (nanoseconds) all match: editing a file changes its mtime, and anything that
 * sets the mtime back (touch -d, rsync -t) changes its ctime, which no user tool can set.
 * Only results that depend on the bytes alone are kept (a usable image, NOT_IMAGE, CORRUPT,
 * EMPTY_FILE); permission errors and size-cap refusals are checked again each time.
 *
 * The index is a cache: a missing, corrupt or other-version file is an empty index, and it is
 * written atomically (temp file + rename), so two processes at worst redo each other's work.
 */
import type { BigIntStats } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SUPPORTED_FORMATS, type SupportedFormat } from '../images/formats.js';

/** Bump when the probe or the hash changes what a file's result would be. */
const SCAN_INDEX_VERSION = 1;

/** What identifies one version of a file (all decimal strings: nanosecond times do not fit a double). */
export type FileStamp = { dev: string; ino: string; size: string; mtimeNs: string; ctimeNs: string };

/** A remembered result: a usable image's content facts, or a content problem. */
export type IndexedResult =
  | { ok: true; contentHash: string; bytes: number; widthPx: number; heightPx: number; format: SupportedFormat }
  | { ok: false; code: 'NOT_IMAGE' | 'CORRUPT' | 'EMPTY_FILE'; reason: string };

type Entry = { stamp: FileStamp; result: IndexedResult };
type IndexFile = { version: number; entries: Record<string, Entry> };

/** The index of one dataset, loaded by `openScanIndex`. */
export interface ScanIndex {
  /** The remembered result for `file` if its stamp is the same; marks the entry as still in use. */
  lookup(file: string, stamp: FileStamp): IndexedResult | undefined;
  /** Remembers a result (kept only for codes that depend on the bytes alone). */
  remember(file: string, stamp: FileStamp, result: IndexedResult | { ok: false; code: string; reason: string }): void;
  /** Lookups answered from the index since opening. */
  readonly hits: number;
  /** Writes the entries used or stored since opening (files gone from the dataset drop out); nothing when nothing changed. */
  save(): Promise<void>;
}

/** The stamp of a file (symlinks followed), or undefined when it cannot be stat'ed. */
export async function fileStamp(file: string): Promise<FileStamp | undefined> {
  const s: BigIntStats | undefined = await stat(file, { bigint: true }).catch(() => undefined);
  if (!s?.isFile()) return undefined;
  return { dev: String(s.dev), ino: String(s.ino), size: String(s.size), mtimeNs: String(s.mtimeNs), ctimeNs: String(s.ctimeNs) };
}

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

const KEPT_PROBLEMS = new Set(['NOT_IMAGE', 'CORRUPT', 'EMPTY_FILE']);
const FORMATS: readonly string[] = SUPPORTED_FORMATS;

/** Whether a stored entry has the shape this version writes (a hand-edited or damaged file is ignored entry by entry). */
function isValidEntry(entry: unknown): entry is Entry {
  const e = entry as Partial<Entry> | undefined;
  const stamp = e?.stamp as Record<string, unknown> | undefined;
  if (!stamp || !['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'].every((k) => typeof stamp[k] === 'string')) return false;
  const r = e!.result as Record<string, unknown> | undefined;
  if (r?.ok === true) {
    const whole = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;
    return typeof r.contentHash === 'string' && /^[0-9a-f]{64}$/.test(r.contentHash) && whole(r.bytes) && whole(r.widthPx) && whole(r.heightPx) && FORMATS.includes(r.format as string);
  }
  return r?.ok === false && KEPT_PROBLEMS.has(r.code as string) && typeof r.reason === 'string';
}

function parse(text: string): Record<string, Entry> {
  const parsed = JSON.parse(text) as Partial<IndexFile>;
  if (parsed?.version !== SCAN_INDEX_VERSION || typeof parsed.entries !== 'object' || parsed.entries === null) return {};
  return parsed.entries;
}

/**
 * Loads the index stored in `file` (an empty one when it is missing, unreadable or of another
 * version). Never throws on load; `save` throws only when the folder cannot be written.
 */
export async function openScanIndex(file: string): Promise<ScanIndex> {
  let stored: Record<string, Entry> = {};
  try {
    stored = parse(await readFile(file, 'utf8'));
  } catch {
    // No usable index yet: every file is read.
  }
  const used = new Map<string, Entry>();
  let hits = 0;
  // Whether anything was remembered since loading: a warm scan that only looked up entries
  // (and used all of them) leaves the file as it is.
  let changed = false;
  return {
    lookup(name, stamp) {
      const entry = Object.prototype.hasOwnProperty.call(stored, name) ? stored[name] : undefined;
      if (!isValidEntry(entry) || !sameStamp(entry.stamp, stamp)) return undefined;
      used.set(name, entry);
      hits++;
      return entry.result;
    },
    remember(name, stamp, result) {
      if (!result.ok && !KEPT_PROBLEMS.has(result.code)) return;
      // Only the fields of an IndexedResult are stored (callers may pass a whole image).
      const kept: IndexedResult = result.ok
        ? { ok: true, contentHash: result.contentHash, bytes: result.bytes, widthPx: result.widthPx, heightPx: result.heightPx, format: result.format }
        : { ok: false, code: result.code as 'NOT_IMAGE', reason: result.reason };
      used.set(name, { stamp, result: kept });
      changed = true;
    },
    get hits() {
      return hits;
    },
    async save() {
      if (!changed && used.size === Object.keys(stored).length) return;
      const body: IndexFile = { version: SCAN_INDEX_VERSION, entries: Object.fromEntries(used) };
      await mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
      try {
        await writeFile(temp, JSON.stringify(body));
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}
