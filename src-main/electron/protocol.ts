/**
 * The two custom protocols of the desktop shell, as plain `Request → Response` handlers
 * (no Electron import: `main.ts` passes them to `protocol.handle`, tests call them in Node).
 * They only translate URLs and responses; what is served and how is the host layer's.
 *
 * - `app://retrain-studio/<asset>`: the built renderer (`dist/renderer`), with the CSP.
 * - `rs-image://local/<encodeURIComponent(path)>[?thumb=<px>]`: a local image, through the
 *   host's image server (one path check, `service.access`, regular files only, bounded size).
 */
import { readFile } from 'node:fs/promises';
import { CoreError } from '../api/contract.js';
import type { Logger, Service } from '../api/service-types.js';
import { IMAGE_SCHEME_HOST } from '../api/wire.js';
import { httpStatusFor, toWireError } from '../host/errors.js';
import { createImageServer, parseThumbnailSize, type ImageServer } from '../host/images.js';
import { findStaticFile } from '../host/static-assets.js';
import { APP_CSP, APP_HOST, APP_ORIGIN, APP_SCHEME, IMAGE_SCHEME } from './policy.js';

/** What an image URL asks for: the decoded path (checked by the host) and a thumbnail size. */
export type ImageRequest = { file: string; thumbnailPx?: number };

/**
 * Parses `rs-image://local/<encodeURIComponent(absolute path)>[?thumb=<px>]` (the form
 * `imageSchemeUrl` in api/wire.ts builds). The path itself is checked by the host.
 * @throws CoreError INVALID_ARGUMENT for another scheme or host, credentials, a bad escape
 *   or a thumbnail size outside the allowed range.
 */
export function parseImageUrl(url: string): ImageRequest {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CoreError('INVALID_ARGUMENT', 'Malformed image URL.');
  }
  if (parsed.protocol !== `${IMAGE_SCHEME}:` || parsed.host !== IMAGE_SCHEME_HOST || parsed.username || parsed.password) {
    throw new CoreError('INVALID_ARGUMENT', `Image URLs look like ${IMAGE_SCHEME}://${IMAGE_SCHEME_HOST}/<encoded path>.`);
  }
  let file: string;
  try {
    file = decodeURIComponent(parsed.pathname.slice(1));
  } catch {
    throw new CoreError('INVALID_ARGUMENT', 'The image path is not valid percent-encoding.');
  }
  const thumb = parsed.searchParams.get('thumb');
  return thumb === null ? { file } : { file, thumbnailPx: parseThumbnailSize(thumb) };
}

/** The raw path of an app URL (`/assets/x.js`), or null for another scheme or host. */
function appPath(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && !parsed.username && !parsed.password ? parsed.pathname : null;
  } catch {
    return null;
  }
}

const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' } as const;

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
 * The `app://` handler: serves the built renderer from `rendererDir` with the CSP header
 * (`findStaticFile`: no traversal, dotfiles or listings; symlinks only inside the folder).
 */
export function createAppProtocolHandler(options: { rendererDir: string }): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    const raw = appPath(request.url);
    const found = raw === null ? null : await findStaticFile(options.rendererDir, raw);
    if (!found) return textResponse(404, 'Not found');
    try {
      return bytesResponse(await readFile(found.file), found.contentType, { 'Content-Security-Policy': APP_CSP });
    } catch {
      return textResponse(404, 'Not found');
    }
  };
}

/**
 * The `rs-image://` handler: the URL → the host's image server → bytes, or the error as
 * plain text with the status of the one table (`host/errors.ts`).
 */
export function createImageProtocolHandler(options: {
  service: Pick<Service, 'access'>;
  logger?: Logger;
  platform?: NodeJS.Platform;
}): (request: Request) => Promise<Response> {
  const images: ImageServer = createImageServer({ access: options.service.access, platform: options.platform });
  const logger = options.logger ?? { info: () => {}, warn: () => {}, error: (message) => console.error(message) };
  // The renderer may fetch() or draw images on a canvas; allow exactly its origin.
  const cors = { 'Access-Control-Allow-Origin': APP_ORIGIN };
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    try {
      const { file, thumbnailPx } = parseImageUrl(request.url);
      const image = thumbnailPx === undefined ? await images.image(file) : await images.thumbnail(file, thumbnailPx);
      return bytesResponse(image.bytes, image.contentType, cors);
    } catch (error) {
      const wire = toWireError(error, logger, `${IMAGE_SCHEME}://`);
      return textResponse(httpStatusFor(wire.code), wire.message);
    }
  };
}
