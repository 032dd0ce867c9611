/**
 * The two custom protocols of the desktop shell, as plain `Request → Response` handlers
 * (no Electron import: `main.ts` passes them to `protocol.handle`, tests call them in Node).
 *
 * - `app://retrain-studio/<asset>`: the built renderer (`dist/renderer`), with the CSP.
 * - `rs-image://local/<encodeURIComponent(path)>[?thumb=<px>]`: a local image, served only
 *   when `service.access` allows it (inside an opened dataset, model or export).
 *
 * The path checks are pure functions, tested without Electron.
 */
import { assetContentType, resolveStaticPath } from '../api/static-assets.js';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, LIMITS } from '../api/contract.js';
import type { Logger, Service } from '../api/service-types.js';
import { SNIFF_BYTES, sniffFormat } from '../core/images/formats.js';
import { APP_CSP, APP_HOST, APP_ORIGIN, APP_SCHEME, IMAGE_SCHEME } from './policy.js';

/** Host of every image URL. */
export const IMAGE_HOST = 'local';
/** Thumbnail sizes accepted in `?thumb=`. */
export const THUMBNAIL_MIN_PX = 16;
export const THUMBNAIL_MAX_PX = 1024;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * Checks a local path a renderer asked for, before the service resolves it:
 * a non-empty string of at most `LIMITS.pathChars`, no NUL or other control characters,
 * absolute for `platform` (`/…`, or `X:\…` on Windows), no `.` or `..` segment, also not
 * when percent-encoded (`%2e%2e`), no UNC (`\\server\share`) or device path (`\\?\`,
 * `\\.\`, `CON`, `NUL`…), no NTFS alternate stream (`file.jpg:stream`).
 * Returns the path unchanged.
 * @throws CoreError INVALID_ARGUMENT saying what is wrong.
 */
export function checkLocalPath(value: unknown, platform: NodeJS.Platform = process.platform): string {
  const fail = (why: string): never => {
    throw new CoreError('INVALID_ARGUMENT', `Refused image path: ${why}.`);
  };
  if (typeof value !== 'string' || value === '') return fail('empty');
  if (value.length > LIMITS.pathChars) return fail(`longer than ${LIMITS.pathChars} characters`);
  if (/[\u0000-\u001f]/.test(value)) return fail('it contains a control character');
  if (/^[\\/]{2}/.test(value)) return fail('UNC and device paths are not served');
  const windows = platform === 'win32';
  if (windows ? !/^[A-Za-z]:[\\/]/.test(value) : !value.startsWith('/')) return fail('not an absolute path');
  if (windows && value.indexOf(':', 2) !== -1) return fail('alternate data streams are not served');
  const segments = value.split(windows ? /[\\/]/ : '/').slice(1);
  for (const segment of segments) {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Not percent-encoded text: judged as it is.
    }
    if (segment === '.' || segment === '..' || decoded === '.' || decoded === '..') return fail('"." and ".." segments are not allowed');
    if (windows && WINDOWS_DEVICE.test(segment.trim())) return fail('Windows device names are not served');
  }
  return value;
}

/** What an image URL asks for. */
export type ImageRequest = { file: string; thumbnailPx?: number };

/**
 * Parses `rs-image://local/<encodeURIComponent(absolute path)>[?thumb=<px>]` (the form
 * `src-renderer/lib/api.ts` builds) and checks the path with `checkLocalPath`.
 * @throws CoreError INVALID_ARGUMENT for another scheme or host, a bad escape, a bad path
 *   or a thumbnail size outside 16..1024.
 */
export function parseImageUrl(url: string, platform: NodeJS.Platform = process.platform): ImageRequest {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CoreError('INVALID_ARGUMENT', 'Malformed image URL.');
  }
  if (parsed.protocol !== `${IMAGE_SCHEME}:` || parsed.host !== IMAGE_HOST || parsed.username || parsed.password) {
    throw new CoreError('INVALID_ARGUMENT', `Image URLs look like ${IMAGE_SCHEME}://${IMAGE_HOST}/<encoded path>.`);
  }
  let file: string;
  try {
    file = decodeURIComponent(parsed.pathname.slice(1));
  } catch {
    throw new CoreError('INVALID_ARGUMENT', 'The image path is not valid percent-encoding.');
  }
  const request: ImageRequest = { file: checkLocalPath(file, platform) };
  const thumb = parsed.searchParams.get('thumb');
  if (thumb !== null) {
    const sizePx = Number(thumb);
    if (!/^\d{1,4}$/.test(thumb) || sizePx < THUMBNAIL_MIN_PX || sizePx > THUMBNAIL_MAX_PX) {
      throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number from ${THUMBNAIL_MIN_PX} to ${THUMBNAIL_MAX_PX}.`);
    }
    request.thumbnailPx = sizePx;
  }
  return request;
}

/**
 * Maps an app URL to a file under `rendererDir`, or null when it must not be served: another
 * scheme or host, undecodable escapes, NUL, backslashes, empty, `.`/`..` (also encoded) or
 * dot-file segments, or anything outside the folder. `/` means `index.html`.
 */
export function resolveAssetPath(rendererDir: string, url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  return resolveStaticPath(rendererDir, parsed.pathname);
}


const IMAGE_TYPES: Partial<Record<string, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' } as const;

/** Protocol responses are not the HTTP server's; this small map is for the image protocol only. */
const PROTOCOL_STATUS: Partial<Record<string, number>> = {
  INVALID_ARGUMENT: 400,
  PATH_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  IMAGE_UNREADABLE: 415,
};

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

function bytesResponse(bytes: Uint8Array, contentType: string, extra: Record<string, string> = {}): Response {
  // Copy into a plain ArrayBuffer-backed view: what `Response` accepts in every runtime.
  const body = new Uint8Array(bytes.byteLength);
  body.set(bytes);
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, ...extra, 'Content-Type': contentType } });
}

/**
 * The `app://` handler: serves the built renderer from `rendererDir` with the CSP header.
 * Symlinks are followed only when their target stays inside the folder.
 */
export function createAppProtocolHandler(options: { rendererDir: string }): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    const candidate = resolveAssetPath(options.rendererDir, request.url);
    if (!candidate) return textResponse(404, 'Not found');
    try {
      const [root, file] = await Promise.all([realpath(options.rendererDir), realpath(candidate)]);
      if (!file.startsWith(root + path.sep) || !(await stat(file)).isFile()) return textResponse(404, 'Not found');
      const type = assetContentType(file);
      return bytesResponse(await readFile(file), type, { 'Content-Security-Policy': APP_CSP });
    } catch {
      return textResponse(404, 'Not found');
    }
  };
}

/**
 * The `rs-image://` handler: checks the URL (`parseImageUrl`), lets the service decide
 * whether the file may be read (realpath inside an opened folder; 403 otherwise), then sends
 * the bytes with the type sniffed from them, a JPEG thumbnail for `?thumb=`, or a JPEG
 * rendition for formats Chromium cannot show (TIFF).
 */
export function createImageProtocolHandler(options: {
  service: Pick<Service, 'access' | 'thumbnail'>;
  logger?: Logger;
  platform?: NodeJS.Platform;
}): (request: Request) => Promise<Response> {
  const { service } = options;
  // The renderer may fetch() or draw images on a canvas; allow exactly its origin.
  const cors = { 'Access-Control-Allow-Origin': APP_ORIGIN };
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    try {
      const { file, thumbnailPx } = parseImageUrl(request.url, options.platform);
      const real = await service.access.resolveReadable(file);
      if (thumbnailPx !== undefined) return bytesResponse(await service.thumbnail(real, thumbnailPx), 'image/jpeg', cors);
      let bytes: Buffer;
      try {
        if (!(await stat(real)).isFile()) throw new Error('not a file');
        bytes = await readFile(real);
      } catch {
        throw new CoreError('NOT_FOUND', `${file} cannot be read (moved, deleted or not a file).`);
      }
      const sniff = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
      if (sniff.kind !== 'supported') throw new CoreError('IMAGE_UNREADABLE', `${file} is not an image the app can show.`);
      const type = IMAGE_TYPES[sniff.format];
      if (!type) return bytesResponse(await service.thumbnail(real, THUMBNAIL_MAX_PX), 'image/jpeg', cors);
      return bytesResponse(bytes, type, cors);
    } catch (error) {
      if (error instanceof CoreError) return textResponse(PROTOCOL_STATUS[error.code] ?? 500, error.message);
      options.logger?.error(`${IMAGE_SCHEME}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return textResponse(500, 'Internal error');
    }
  };
}
