import { CoreError } from '../errors.js';
import { describeNotImage, sniffFormat, type SniffResult } from './formats.js';

/**
 * Why a file cannot be used as an image. `HIDDEN` is only produced by the dataset scan
 * (dotfiles, Thumbs.db, …); the others come from reading and decoding. `SPECIAL_FILE`: a
 * FIFO, socket or device (never opened); `TOO_LARGE`: over the file-size cap or the pixel limit;
 * `LINK_OUTSIDE`: a path that resolves outside the folder it must stay in.
 */
export type SkipCode = 'NOT_IMAGE' | 'CORRUPT' | 'EMPTY_FILE' | 'UNREADABLE' | 'HIDDEN' | 'SPECIAL_FILE' | 'TOO_LARGE' | 'LINK_OUTSIDE';

/**
 * Most pixels (width × height) an input image may have before it is decoded: sharp's default
 * (16383²), stated here so every pipeline passes it explicitly.
 */
export const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

/** A classified failure: the skip code and a sentence "what is wrong. what to do". */
export type ImageProblem = { code: SkipCode; reason: string };

/** Problem for a file-system error while reading a file (ENOENT, EACCES, EISDIR, …). */
export function problemFromFsError(error: unknown): ImageProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return { code: 'UNREADABLE', reason: 'the file does not exist (it may have been moved or deleted). Check the path or rescan the folder' };
    case 'EACCES':
    case 'EPERM':
      return { code: 'UNREADABLE', reason: 'permission denied. Give your user read access to the file' };
    case 'EISDIR':
      return { code: 'UNREADABLE', reason: 'it is a folder, not a file' };
    case 'ELOOP':
      return { code: 'UNREADABLE', reason: 'it is a symbolic link loop. Fix or remove the link' };
    default:
      return {
        code: 'UNREADABLE',
        reason: `the file could not be read (${code ?? (error instanceof Error ? error.message : String(error))}). Check the disk and the file's permissions`,
      };
  }
}

/** Problem for bytes that are empty, not a supported image, or fail to decode. */
export function problemFromDecode(bytes: Uint8Array, error: unknown, sniff: SniffResult = sniffFormat(bytes)): ImageProblem {
  if (bytes.length === 0) return { code: 'EMPTY_FILE', reason: 'the file is empty (0 bytes). Remove it or copy the image again' };
  if (sniff.kind !== 'supported') return { code: 'NOT_IMAGE', reason: describeNotImage(sniff) };
  const detail = (error instanceof Error ? error.message : String(error)).trim().replace(/\s+/g, ' ');
  if (/pixel limit/i.test(detail)) {
    return { code: 'TOO_LARGE', reason: `the image has too many pixels to decode (${detail}; the limit is ${MAX_INPUT_PIXELS} pixels, 16383 × 16383). Downscale it` };
  }
  return {
    code: 'CORRUPT',
    reason: `the ${sniff.format.toUpperCase()} data is truncated or corrupt (${detail}). Re-export or re-download the file, or remove it`,
  };
}

/** The CoreError thrown by decoding functions; `details` carries `{ file, skipCode }`. */
export function imageUnreadable(name: string, problem: ImageProblem): CoreError {
  return new CoreError('IMAGE_UNREADABLE', `${name}: ${problem.reason}.`, { file: name, skipCode: problem.code });
}
