/**
 * Opening a file on behalf of a request: confined to a folder, regular files only, size-capped.
 * A FIFO, socket or device is refused before `open` can block on it, and the opened file is
 * checked again with fstat, so a file swapped between the check and the open is refused too.
 */
import { constants } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';
import { isInside } from './policy.js';

/** Default cap on a file read for a request: generous for real photos and model shards. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Options of `openConfined` and `readConfined`. */
export type ConfinedReadOptions = {
  /** The folder the file must be inside (after symlinks on both are resolved). Omit when `file` was already confined. */
  root?: string;
  /** Largest accepted size in bytes; default `DEFAULT_MAX_FILE_BYTES`. */
  maxBytes?: number;
  /** How the file is named in errors (e.g. `model.json of "My model"`); default the path. */
  label?: string;
};

/** An opened regular file: its real path, size and handle (the caller closes it). */
export type ConfinedFile = { real: string; sizeBytes: number; handle: FileHandle };

/**
 * Resolves `file` (relative paths against `root`), checks it lies inside `root`, is a regular
 * file and at most `maxBytes`, and opens it for reading.
 * @throws CoreError NOT_FOUND (missing), PATH_NOT_ALLOWED (outside `root`, or not a regular
 *   file), TOO_LARGE (over the cap). Messages name the file, never its contents.
 */
export async function openConfined(file: string, options: ConfinedReadOptions = {}): Promise<ConfinedFile> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  const label = options.label ?? file;
  const requested = options.root !== undefined ? path.resolve(options.root, file) : path.resolve(file);
  let real: string;
  try {
    real = await realpath(requested);
  } catch {
    throw new CoreError('NOT_FOUND', `${label} does not exist.`, { file });
  }
  if (options.root !== undefined) {
    const root = await realpath(options.root).catch(() => path.resolve(options.root as string));
    if (!isInside(real, root)) {
      throw new CoreError('PATH_NOT_ALLOWED', `${label} points outside ${root}; only files inside that folder are read.`, { file });
    }
  }
  const before = await lstat(real);
  if (!before.isFile()) throw new CoreError('PATH_NOT_ALLOWED', `${label} is not a regular file (a folder, device, FIFO or socket is never read).`, { file });
  if (before.size > maxBytes) throw tooLarge(label, before.size, maxBytes, file);
  // O_NONBLOCK: should the path have become a FIFO since lstat, open returns instead of waiting for a writer.
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const after = await handle.stat();
    if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
      throw new CoreError('PATH_NOT_ALLOWED', `${label} changed while it was being opened; try again.`, { file });
    }
    if (after.size > maxBytes) throw tooLarge(label, after.size, maxBytes, file);
    return { real, sizeBytes: after.size, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Largest single read: Node refuses one read of 2 GiB or more, and a chunk bounds each wait. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

/** Options of `readOpened`. */
export type ReadOpenedOptions = {
  /** Sees each chunk as it arrives (e.g. to hash the file while reading it). */
  onChunk?: (chunk: Buffer) => void;
  /** Checked before each chunk; stops the read with CANCELLED. */
  signal?: AbortSignal;
};

/**
 * Reads the first `sizeBytes` of an opened file in chunks; a file that shrank since its fstat
 * gives what is there.
 */
export async function readOpened(handle: FileHandle, sizeBytes: number, options: ReadOpenedOptions = {}): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(sizeBytes);
  let offset = 0;
  while (offset < sizeBytes) {
    throwIfAborted(options.signal, 'Reading a file');
    const { bytesRead } = await handle.read(bytes, offset, Math.min(READ_CHUNK_BYTES, sizeBytes - offset), offset);
    if (bytesRead === 0) break;
    options.onChunk?.(bytes.subarray(offset, offset + bytesRead));
    offset += bytesRead;
  }
  return offset === sizeBytes ? bytes : bytes.subarray(0, offset);
}

/**
 * Reads a whole confined file (see `openConfined`) into a Buffer.
 * @throws as `openConfined`.
 */
export async function readConfined(file: string, options: ConfinedReadOptions = {}): Promise<{ real: string; bytes: Buffer }> {
  const opened = await openConfined(file, options);
  try {
    return { real: opened.real, bytes: await readOpened(opened.handle, opened.sizeBytes) };
  } finally {
    await opened.handle.close();
  }
}

function tooLarge(label: string, sizeBytes: number, maxBytes: number, file: string): CoreError {
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  return new CoreError('TOO_LARGE', `${label} is ${mib(sizeBytes)}, over the ${mib(maxBytes)} limit; use a smaller file or raise the limit.`, { file, sizeBytes, maxBytes });
}
