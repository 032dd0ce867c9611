/**
 * Reading an image file from a path: regular files only (a FIFO, socket or device is refused
 * without blocking, through core/access's `openConfined`), sniffed before it is read, capped
 * in size, read in bounded chunks (a single `read` of 2 GiB or more aborts Node), optionally
 * hashed as it is read. Never throws for a bad file: the problem comes back classified.
 */
import { createHash } from 'node:crypto';
import { lstat, stat } from 'node:fs/promises';
import { DEFAULT_MAX_FILE_BYTES, isInside, openConfined, readOpened } from '../access/index.js';
import { CoreError } from '../errors.js';
import { problemFromFsError, type ImageProblem } from './errors.js';
import { describeNotImage, SNIFF_BYTES, sniffFormat, type SupportedFormat } from './formats.js';

/** Default largest image file read, in bytes (generous for real photos and TIFF scans). */
export const DEFAULT_MAX_IMAGE_BYTES = DEFAULT_MAX_FILE_BYTES;

/** Options of `readImageFile`. */
export type ReadImageOptions = {
  /** Largest accepted file in bytes; default `DEFAULT_MAX_IMAGE_BYTES`. */
  maxBytes?: number;
  /** Also compute the sha256 (hex) of the bytes, chunk by chunk as they are read. */
  hash?: boolean;
  /** Stops between chunks (the read then throws CANCELLED). */
  signal?: AbortSignal;
  /**
   * A real folder path the file must resolve into (symlinks followed); a file that resolves
   * elsewhere is refused with `LINK_OUTSIDE`. Checked on the path that is then opened.
   */
  within?: string;
};

/** A read image file, or why it cannot be used. */
export type ReadImageResult =
  | { ok: true; bytes: Buffer; format: SupportedFormat; sha256?: string }
  | { ok: false; problem: ImageProblem };

/** What a non-regular file is, for a person. */
export async function describeSpecialFile(file: string): Promise<string> {
  const s = await stat(file).catch(() => lstat(file)).catch(() => undefined);
  if (!s) return 'not a regular file';
  if (s.isFIFO()) return 'a named pipe (FIFO), not a regular file';
  if (s.isSocket()) return 'a socket, not a regular file';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device, not a regular file';
  if (s.isDirectory()) return 'a folder, not a file';
  return 'not a regular file';
}

/** The problem for a special file (FIFO, socket, device): never opened, never read. */
export async function specialFileProblem(file: string): Promise<ImageProblem> {
  return { code: 'SPECIAL_FILE', reason: `it is ${await describeSpecialFile(file)}, so it is never read. Remove it or replace it with an image file` };
}

/** The problem for an image file over the size cap. */
export function tooLargeProblem(sizeBytes: number, maxBytes: number): ImageProblem {
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  return {
    code: 'TOO_LARGE',
    reason: `it is ${mib(sizeBytes)}, over the ${mib(maxBytes)} limit for one image. Downscale or re-encode it (photos are rarely over 50 MiB), or raise the limit`,
  };
}

/**
 * Opens `file` (symlinks followed) if it is a regular file, checks it is non-empty, a supported
 * image by its first bytes, and at most `maxBytes`, then reads it whole.
 * @throws CoreError CANCELLED when `signal` fires; nothing else.
 */
export async function readImageFile(file: string, options: ReadImageOptions = {}): Promise<ReadImageResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  let opened;
  try {
    // The cap is checked below, after sniffing: a big video is better reported as "not an image".
    opened = await openConfined(file, { maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    if (error instanceof CoreError && error.code === 'NOT_FOUND') return { ok: false, problem: problemFromFsError({ code: 'ENOENT' }) };
    if (error instanceof CoreError && error.code === 'PATH_NOT_ALLOWED') {
      const changed = /changed while/.test(error.message);
      return { ok: false, problem: changed ? { code: 'UNREADABLE', reason: 'the file changed while it was being opened. Scan again' } : await specialFileProblem(file) };
    }
    return { ok: false, problem: problemFromFsError(error) };
  }
  const { handle, sizeBytes, real } = opened;
  try {
    if (options.within !== undefined && !isInside(real, options.within)) {
      return { ok: false, problem: { code: 'LINK_OUTSIDE', reason: `it leads to ${real}, outside ${options.within}, so it is not read. Scan again` } };
    }
    if (sizeBytes === 0) return { ok: false, problem: { code: 'EMPTY_FILE', reason: 'the file is empty (0 bytes). Remove it or copy the image again' } };
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, sizeBytes));
    const { bytesRead: headRead } = await handle.read(head, 0, head.length, 0);
    const sniff = sniffFormat(head.subarray(0, headRead));
    if (sniff.kind !== 'supported') return { ok: false, problem: { code: 'NOT_IMAGE', reason: describeNotImage(sniff) } };
    if (sizeBytes > maxBytes) return { ok: false, problem: tooLargeProblem(sizeBytes, maxBytes) };
    const hash = options.hash ? createHash('sha256') : undefined;
    const data = await readOpened(handle, sizeBytes, { signal: options.signal, ...(hash ? { onChunk: (chunk: Buffer) => hash.update(chunk) } : {}) });
    return { ok: true, bytes: data, format: sniff.format, ...(hash ? { sha256: hash.digest('hex') } : {}) };
  } catch (error) {
    if (error instanceof CoreError) throw error;
    return { ok: false, problem: problemFromFsError(error) };
  } finally {
    await handle.close();
  }
}
