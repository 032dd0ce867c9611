/**
 * How the contract travels: IPC channels, HTTP routes, the local image scheme, and the
 * defaults and limits every client and host shares. Plain TypeScript (no Node, DOM or
 * Electron), so the renderer, the preload's bundle, the hosts and the CLI read one copy.
 */

/** Electron IPC: every call on one channel as `{ method, request }`; every event on one channel. */
export const IPC = {
  invoke: 'api',
  event: 'event',
} as const;

/** HTTP (`serve`): one POST route per method, the event socket, and the two image routes. */
export const ROUTES = {
  /** `POST /api/<method>` with the request as the JSON body. */
  apiPrefix: '/api/',
  /** WebSocket: every core event as `{ event, payload }`. */
  events: '/events',
  /** `GET /files/image?path=…`: a local image inside an opened or granted folder. */
  image: '/files/image',
  /** `GET /files/thumbnail?path=…&size=…`: a JPEG thumbnail of one. */
  thumbnail: '/files/thumbnail',
} as const;

/** The Electron scheme of local images: `rs-image://local/<encodeURIComponent(path)>[?thumb=<px>]`. */
export const IMAGE_SCHEME = 'rs-image';
export const IMAGE_SCHEME_HOST = 'local';

/** Defaults and bounds shared by the validators, the hosts, the renderer and the CLI. */
export const DEFAULTS = {
  /** Classes shown for one classification (label_image.py's default). */
  topK: 5,
  /** The most classes one classification may return. */
  maxTopK: 100,
  /** Thumbnail size in pixels (longer side) when the client names none. */
  thumbnailPx: 256,
  /** Allowed thumbnail sizes. */
  minThumbnailPx: 16,
  maxThumbnailPx: 1024,
  /** Files and folders one dataset scan may meet before it stops (a folder like `/` is refused quickly). */
  maxDatasetFiles: 500_000,
} as const;

/** Electron image URL of a local file, or of its thumbnail. */
export function imageSchemeUrl(path: string, thumbnailPx?: number): string {
  const base = `${IMAGE_SCHEME}://${IMAGE_SCHEME_HOST}/${encodeURIComponent(path)}`;
  return thumbnailPx ? `${base}?thumb=${thumbnailPx}` : base;
}

/** HTTP URL (relative to the server) of a local file, or of its thumbnail. */
export function imageRouteUrl(path: string, thumbnailPx?: number): string {
  return thumbnailPx
    ? `${ROUTES.thumbnail}?path=${encodeURIComponent(path)}&size=${thumbnailPx}`
    : `${ROUTES.image}?path=${encodeURIComponent(path)}`;
}
