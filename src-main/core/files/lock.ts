/**
 * A cross-process lock on one file path, for registry files that several processes share
 * (the app, `serve`, CLI runs on one data folder).
 *
 * Mechanism: the lock is a file created with `open(path, 'wx')` (O_CREAT|O_EXCL), which the
 * OS makes atomic on every local file system Node supports, Windows included. Why this and
 * not something else:
 * - `flock`/`LockFileEx` are not in Node's fs API, and a native addon or npm package is
 *   against the project's rules; an embedded database would be heavy for a few small files.
 * - `mkdir` is equally atomic but cannot carry the holder's identity in one step.
 * The file holds `{ pid, host, token, acquiredAt }` so others can tell a dead holder from a
 * live one. The holder touches its mtime every `staleMs / 3` while it works, so the age rule
 * never breaks a live holder. A lock is stale when its pid is dead on this host (a SIGKILLed
 * process), or it has not been touched for `staleMs` (a holder on another host, a reused
 * pid, a hung process). Stale locks are removed under a short-lived "break" lock so that
 * two waiters never both remove a lock (one of them would otherwise delete the other's
 * fresh lock). Waiters retry with jittered exponential backoff and give up with BUSY.
 * Callers in one process queue in memory first, so they don't poll against each other.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';

/** What a lock file holds. */
export type LockRecord = { pid: number; host: string; token: string; acquiredAt: string };

/** Options for withFileLock. */
export type FileLockOptions = {
  /** A lock untouched for this long is stale (its holder is gone or hung). Default 30 s. */
  staleMs?: number;
  /** Give up with BUSY after waiting this long. Default 60 s. */
  timeoutMs?: number;
  /** Stop waiting with CANCELLED when it fires (a held lock is kept until `fn` returns). */
  signal?: AbortSignal;
  /** Names the wait in a CANCELLED message, e.g. "Downloading mobilenet". */
  what?: string;
};

const DEFAULT_STALE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const MIN_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;
/** A lock file with no parsable record yet (its holder is between create and write) gets this long before it counts as stale. */
const UNWRITTEN_GRACE_MS = 2_000;

/** Per-path queue of this process's holders and waiters. */
const localQueues = new Map<string, Promise<unknown>>();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process of this host exists (signal 0 checks without signalling; EPERM: another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readRecord(lockPath: string): Promise<{ record: LockRecord | null; mtimeMs: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    let record: LockRecord | null = null;
    try {
      const parsed = JSON.parse(text) as Partial<LockRecord>;
      if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.token === 'string') record = parsed as LockRecord;
    } catch {
      record = null;
    }
    return { record, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function isStale(found: { record: LockRecord | null; mtimeMs: number }, staleMs: number): boolean {
  const age = Date.now() - found.mtimeMs;
  if (!found.record) return age > Math.min(UNWRITTEN_GRACE_MS, staleMs);
  if (found.record.host === hostname() && !processAlive(found.record.pid)) return true;
  return age > staleMs;
}

/** Creates the lock file exclusively; false when it already exists. */
async function tryCreate(lockPath: string, record: LockRecord): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CoreError('NOT_FOUND', `Cannot lock ${lockPath}: its folder ${path.dirname(lockPath)} does not exist.`);
    }
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Removes `lockPath` if it still holds the stale record seen as `seen`. Done under
 * `<lockPath>.break` so two waiters that both saw the stale lock cannot both remove a lock.
 */
async function breakStale(lockPath: string, seen: LockRecord | null, staleMs: number): Promise<void> {
  const breaker = `${lockPath}.break`;
  const me: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), acquiredAt: new Date().toISOString() };
  if (!(await tryCreate(breaker, me))) {
    // Another waiter is breaking it. A breaker killed mid-break (a few ms window) leaves this file: clear it when stale.
    const other = await readRecord(breaker);
    if (other && isStale(other, staleMs)) await unlink(breaker).catch(() => {});
    return;
  }
  try {
    const now = await readRecord(lockPath);
    if (!now) return;
    const same = seen === null ? now.record === null : now.record?.token === seen.token;
    if (same && isStale(now, staleMs)) await unlink(lockPath).catch(() => {});
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

async function acquire(lockPath: string, staleMs: number, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<LockRecord> {
  const record: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(12).toString('hex'), acquiredAt: new Date().toISOString() };
  const deadline = Date.now() + timeoutMs;
  let backoff = MIN_BACKOFF_MS;
  for (;;) {
    throwIfAborted(signal, what);
    if (await tryCreate(lockPath, record)) return record;
    const found = await readRecord(lockPath);
    if (found && isStale(found, staleMs)) {
      await breakStale(lockPath, found.record, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = found?.record;
      throw new CoreError(
        'BUSY',
        `${lockPath} is locked` +
          (holder ? ` by process ${holder.pid} on ${holder.host} since ${holder.acquiredAt}` : '') +
          `. Another Retrain Studio process is using this folder; try again when it is done. ` +
          `If none is running, delete ${lockPath}.`,
        { lockPath, ...(holder ? { pid: holder.pid, host: holder.host } : {}) },
      );
    }
    // Full jitter: waiters spread out instead of retrying in lockstep.
    await sleep(Math.random() * backoff);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  }
}

async function release(lockPath: string, record: LockRecord): Promise<void> {
  // Only remove our own lock: if ours was (wrongly) broken, the file is someone else's now.
  const found = await readRecord(lockPath).catch(() => null);
  if (found?.record?.token === record.token) await unlink(lockPath).catch(() => {});
}

/**
 * Runs `fn` while holding the cross-process lock `lockPath` (a file next to the data it
 * guards, e.g. `imports.json.lock`; its folder must exist). Not re-entrant: don't take the
 * same lock inside `fn`.
 * @throws CoreError BUSY when the lock stays held by a live process for `timeoutMs`.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T> | T, options: FileLockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const key = path.resolve(lockPath);
  const previous = localQueues.get(key) ?? Promise.resolve();
  const run = previous.then(async () => {
    const record = await acquire(key, staleMs, timeoutMs, options.signal, options.what ?? `Waiting for ${key}`);
    const heartbeat = setInterval(() => {
      const now = new Date();
      void utimes(key, now, now).catch(() => {});
    }, Math.max(1, Math.floor(staleMs / 3)));
    heartbeat.unref();
    try {
      return await fn();
    } finally {
      clearInterval(heartbeat);
      await release(key, record);
    }
  });
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  localQueues.set(key, settled);
  void settled.then(() => {
    if (localQueues.get(key) === settled) localQueues.delete(key);
  });
  return run;
}
