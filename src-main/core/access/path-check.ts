/**
 * The one lexical check of a path a client asks for, before anything touches the disk.
 * Every host (the app:// image protocol, `serve`'s /files routes, classify by path) uses it.
 */
import { CoreError } from '../errors.js';

/** Longest path accepted from a client, in characters. */
export const MAX_PATH_CHARS = 4096;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Returns `value` when it is a plain absolute path: a non-empty string of at most
 * `MAX_PATH_CHARS`, no NUL or other control characters, not UNC or a device path, no `.`
 * or `..` segment (also percent-encoded), and on Windows no drive-relative path, alternate
 * data stream or device name.
 * @throws CoreError INVALID_ARGUMENT naming what is wrong.
 */
export function checkRequestPath(value: unknown, platform: NodeJS.Platform = process.platform): string {
  const fail = (why: string): never => {
    throw new CoreError('INVALID_ARGUMENT', `Refused path: ${why}.`);
  };
  if (typeof value !== 'string' || value === '') return fail('empty');
  if (value.length > MAX_PATH_CHARS) return fail(`longer than ${MAX_PATH_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(value)) return fail('it contains a control character');
  if (/^[\\/]{2}/.test(value)) return fail('UNC and device paths are not allowed');
  const windows = platform === 'win32';
  if (windows ? !/^[A-Za-z]:[\\/]/.test(value) : !value.startsWith('/')) return fail('not an absolute path');
  if (windows && value.indexOf(':', 2) !== -1) return fail('alternate data streams are not allowed');
  const segments = value.split(windows ? /[\\/]/ : '/').slice(1);
  for (const segment of segments) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Not percent-encoded text: judged as it is.
    }
    if (segment === '.' || segment === '..' || decoded === '.' || decoded === '..') return fail('"." and ".." segments are not allowed');
    if (windows && WINDOWS_DEVICE.test(segment.trim())) return fail('Windows device names are not allowed');
  }
  return value;
}
