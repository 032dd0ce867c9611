/**
 * Small JSON registry files shared by several processes: a locked read-modify-write with an
 * atomic replace, so no process loses another's update and no reader sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { withFileLock, type FileLockOptions } from './lock.js';

/**
 * Writes `file` via a unique temp name, flushed to disk, then renamed over it: readers see
 * the old or the new content, never a mix, and a crash mid-write leaves the old file.
 * `durable: false` skips the flush, for files rewritten every few seconds that a crash may
 * lose (a lease heartbeat).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { durable?: boolean } = {}): Promise<void> {
  // pid + random: two writers (processes, or two writes in one millisecond) never share a temp file.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    if (options.durable !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await renameWithRetry(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}

/** rename() that retries briefly where Windows refuses to replace a file another process holds open for a moment (EPERM/EBUSY/EACCES). */
export async function renameWithRetry(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (process.platform !== 'win32' || attempt >= 20 || !(code === 'EPERM' || code === 'EBUSY' || code === 'EACCES')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 + attempt * 10));
    }
  }
}

/**
 * Reads a JSON file: undefined when it does not exist. A file that is not valid JSON is moved
 * aside to `<file>.corrupt-<time>` (kept for the user to inspect) and read as absent, so one
 * bad write never stops the app; the content is never echoed.
 */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    await rename(file, `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`).catch(() => {});
    return undefined;
  }
}

/**
 * Locked read-modify-write of a JSON file shared across processes. `update` gets the current
 * value (undefined when the file is absent) and returns the new one, or undefined to write
 * nothing. The lock is `<file>.lock`; the folder is created if needed.
 * @returns what was written (or the current value when nothing was)
 */
export async function updateJsonFile<T>(
  file: string,
  update: (current: T | undefined) => T | undefined | Promise<T | undefined>,
  options: FileLockOptions = {},
): Promise<T | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  return withFileLock(
    `${file}.lock`,
    async () => {
      const current = await readJsonFile<T>(file);
      const next = await update(current);
      if (next === undefined) return current;
      await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    },
    options,
  );
}
