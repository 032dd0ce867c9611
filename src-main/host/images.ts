/**
 * Local images for a client (the Electron `rs-image://` protocol and `serve`'s /files routes):
 * one path check, one confinement, one way of reading, one size bound.
 *
 * 1. `checkRequestPath` (core/access): control characters, `.`/`..` (also percent-encoded),
 *    UNC and device paths, Windows device names and alternate data streams are refused (400).
 * 2. `access.resolveReadable`: realpath, then inside an opened or granted folder (else 403).
 * 3. `openConfined`: only a regular file is opened (lstat, then fstat on the opened handle),
 *    with O_NONBLOCK, so a FIFO named `x.jpg` never holds a thread of the pool; size-capped.
 * 4. `browserImage` / `browserThumbnail` (core/images): thumbnails always re-encoded; a full
 *    image above the pixel budget (16 MP) or in a format browsers cannot show is downscaled.
 */
import { DEFAULTS } from '../api/wire.js';
import { CoreError } from '../api/contract.js';
import { checkRequestPath, openConfined, readOpened, type AccessPolicy } from '../core/access/index.js';
import { browserImage, browserThumbnail, type BrowserImage } from '../core/images/browser-image.js';

export { BROWSER_PIXEL_BUDGET, BROWSER_MAX_SIDE_PX, MAX_DECODE_PIXELS, type BrowserImage } from '../core/images/browser-image.js';

/** What the hosts call. */
export type ImageServer = {
  /** A full image (bytes as they are, or downscaled). */
  image(path: unknown): Promise<BrowserImage>;
  /** A square JPEG thumbnail of `sizePx` (see `parseThumbnailSize`). */
  thumbnail(path: unknown, sizePx: number): Promise<BrowserImage>;
};

/** Options of `createImageServer`. */
export type ImageServerOptions = {
  access: Pick<AccessPolicy, 'resolveReadable'>;
  /** Whose path rules apply; default this process's platform. */
  platform?: NodeJS.Platform;
  /** Thumbnails kept in memory (most recently used); default 2000. */
  cacheEntries?: number;
  /**
   * Images read and decoded at once; default 2. Both run on libuv's thread pool (4 threads by
   * default), which every other file access needs too, and each holds a whole file (up to
   * `DEFAULT_MAX_FILE_BYTES`) in memory: a grid of thumbnails must stall neither.
   */
  maxConcurrentImages?: number;
};

/**
 * The thumbnail size of a request: `DEFAULTS.thumbnailPx` when absent, else a whole number
 * from `DEFAULTS.minThumbnailPx` to `DEFAULTS.maxThumbnailPx`.
 * @throws CoreError INVALID_ARGUMENT otherwise.
 */
export function parseThumbnailSize(value: string | null | undefined): number {
  if (value === null || value === undefined) return DEFAULTS.thumbnailPx;
  const sizePx = Number(value);
  if (!/^\d{1,4}$/.test(value) || sizePx < DEFAULTS.minThumbnailPx || sizePx > DEFAULTS.maxThumbnailPx) {
    throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number from ${DEFAULTS.minThumbnailPx} to ${DEFAULTS.maxThumbnailPx}; got ${JSON.stringify(value.slice(0, 20))}.`);
  }
  return sizePx;
}

/** A counting semaphore: at most `limit` of the given tasks run at once. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** Creates the image server of one host. */
export function createImageServer(options: ImageServerOptions): ImageServer {
  const platform = options.platform ?? process.platform;
  const cacheEntries = options.cacheEntries ?? 2000;
  const oneAtATime = limiter(options.maxConcurrentImages ?? 2);
  const thumbnails = new Map<string, Promise<BrowserImage>>();

  /** Checks, confines and opens `requested`; hands the open file to `use`, then closes it. */
  const withFile = async <T>(requested: unknown, use: (file: { name: string; key: string; read: () => Promise<Buffer> }) => Promise<T>): Promise<T> => {
    const name = checkRequestPath(requested, platform);
    const real = await options.access.resolveReadable(name);
    const opened = await openConfined(real, { label: name });
    try {
      const info = await opened.handle.stat();
      const key = `${real}\0${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
      return await use({ name, key, read: () => readOpened(opened.handle, opened.sizeBytes) });
    } finally {
      await opened.handle.close();
    }
  };

  return {
    image: (requested) => withFile(requested, ({ name, read }) => oneAtATime(async () => browserImage(await read(), name))),
    thumbnail: (requested, sizePx) =>
      withFile(requested, async ({ name, key, read }) => {
        const cacheKey = `${key}\0${sizePx}`;
        const cached = thumbnails.get(cacheKey);
        if (cached) {
          // Most recently used goes last; the first key is the one evicted.
          thumbnails.delete(cacheKey);
          thumbnails.set(cacheKey, cached);
          return cached;
        }
        const pending = oneAtATime(async () => browserThumbnail(await read(), name, sizePx));
        thumbnails.set(cacheKey, pending);
        pending.catch(() => thumbnails.delete(cacheKey));
        while (thumbnails.size > cacheEntries) thumbnails.delete(thumbnails.keys().next().value as string);
        return pending;
      }),
  };
}
