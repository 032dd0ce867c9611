/** Thumbnails of allowed images, kept in memory: a grid of samples asks for the same ones again and again. */
import type { AccessPolicy } from '../../core/access/index.js';
import { makeThumbnail } from '../../core/images/index.js';

/** How many thumbnails stay in memory (the oldest goes first). */
const MAX_THUMBNAILS = 2000;

/** A JPEG thumbnail of `file` at `sizePx`, after the access policy allowed reading it. */
export function createThumbnails(access: AccessPolicy): (file: string, sizePx: number) => Promise<Buffer> {
  const made = new Map<string, Promise<Buffer>>();
  return async (file, sizePx) => {
    const real = await access.resolveReadable(file);
    const key = `${real}|${sizePx}`;
    let pending = made.get(key);
    if (!pending) {
      pending = makeThumbnail(real, sizePx);
      made.set(key, pending);
      pending.catch(() => made.delete(key));
      if (made.size > MAX_THUMBNAILS) made.delete(made.keys().next().value as string);
    }
    return pending;
  };
}
