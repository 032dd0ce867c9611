/**
 * Images as a browser receives them: bounded in pixels, in a format every browser shows.
 * Thumbnails are always re-encoded; a full image is sent as it is only when a browser can
 * show its format and it fits the pixel budget, otherwise it is downscaled and re-encoded.
 * Works on bytes already read (the hosts read them confined, see core/access), never on paths.
 */
import sharp, { type Sharp } from 'sharp';
import { CoreError } from '../errors.js';
import { imageUnreadable, problemFromDecode } from './errors.js';
import { sniffFormat, type SupportedFormat } from './formats.js';

/** Longest side of a full image sent to a browser; larger ones are downscaled to fit 4096 × 4096. */
export const BROWSER_MAX_SIDE_PX = 4096;
/** Pixels of a full image sent as it is: 16 MP (4096 × 4096). Above it, it is downscaled. */
export const BROWSER_PIXEL_BUDGET = BROWSER_MAX_SIDE_PX * BROWSER_MAX_SIDE_PX;
/**
 * Largest image decoded at all (625 MP, 25000 × 25000): enough for scans and panoramas, and
 * with sequential reads the decode of a 20000 × 20000 PNG stays near 200 MB. Larger ones are
 * TOO_LARGE rather than a memory bomb.
 */
export const MAX_DECODE_PIXELS = 25_000 * 25_000;
/** Largest thumbnail side. */
export const MAX_THUMBNAIL_PX = 2048;

/** Formats browsers show natively, with their content type. TIFF is not among them. */
const BROWSER_TYPES: Partial<Record<SupportedFormat, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

/** Bytes to send and their content type. */
export type BrowserImage = { bytes: Buffer; contentType: string; reencoded: boolean };

/** The first frame, EXIF-rotated, on white, read sequentially with the decode cap. */
function decoder(bytes: Uint8Array): Sharp {
  return sharp(bytes, { failOn: 'truncated', pages: 1, page: 0, sequentialRead: true, limitInputPixels: MAX_DECODE_PIXELS })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb');
}

/** Reads the header; throws IMAGE_UNREADABLE for non-images, TOO_LARGE beyond `MAX_DECODE_PIXELS`. */
async function inspect(bytes: Uint8Array, name: string): Promise<{ format: SupportedFormat; widthPx: number; heightPx: number }> {
  const sniff = sniffFormat(bytes);
  if (bytes.length === 0 || sniff.kind !== 'supported') throw imageUnreadable(name, problemFromDecode(bytes, undefined, sniff));
  let widthPx: number;
  let heightPx: number;
  try {
    const meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
    widthPx = meta.width ?? 0;
    heightPx = meta.height ?? 0;
  } catch (error) {
    throw imageUnreadable(name, problemFromDecode(bytes, error, sniff));
  }
  if (widthPx * heightPx > MAX_DECODE_PIXELS) {
    throw new CoreError('TOO_LARGE', `${name} is ${widthPx} × ${heightPx} pixels, over the ${MAX_DECODE_PIXELS / 1e6} megapixels the app decodes; downscale it first.`, {
      file: name,
      widthPx,
      heightPx,
    });
  }
  return { format: sniff.format, widthPx, heightPx };
}

async function encode(pipeline: Sharp, bytes: Uint8Array, name: string, quality: number): Promise<Buffer> {
  try {
    return await pipeline.jpeg({ quality }).toBuffer();
  } catch (error) {
    throw imageUnreadable(name, problemFromDecode(bytes, error));
  }
}

/**
 * A full image for a browser: the bytes unchanged when the format is one browsers show and
 * it has at most `BROWSER_PIXEL_BUDGET` pixels; otherwise a JPEG downscaled to fit
 * `BROWSER_MAX_SIDE_PX` × `BROWSER_MAX_SIDE_PX` (TIFF, or a 20000 × 20000 PNG).
 * @throws CoreError IMAGE_UNREADABLE (not an image, corrupt), TOO_LARGE (over `MAX_DECODE_PIXELS`).
 */
export async function browserImage(bytes: Buffer, name: string): Promise<BrowserImage> {
  const { format, widthPx, heightPx } = await inspect(bytes, name);
  const contentType = BROWSER_TYPES[format];
  if (contentType && widthPx * heightPx <= BROWSER_PIXEL_BUDGET) return { bytes, contentType, reencoded: false };
  const pipeline = decoder(bytes).resize(BROWSER_MAX_SIDE_PX, BROWSER_MAX_SIDE_PX, { fit: 'inside', withoutEnlargement: true });
  return { bytes: await encode(pipeline, bytes, name, 85), contentType: 'image/jpeg', reencoded: true };
}

/**
 * A square JPEG thumbnail, always re-encoded (never the original bytes): scaled to cover
 * `sizePx` × `sizePx` and centre-cropped.
 * @throws CoreError INVALID_ARGUMENT for a size outside 1..`MAX_THUMBNAIL_PX`; as `browserImage` otherwise.
 */
export async function browserThumbnail(bytes: Buffer, name: string, sizePx: number): Promise<BrowserImage> {
  if (!Number.isInteger(sizePx) || sizePx < 1 || sizePx > MAX_THUMBNAIL_PX) {
    throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number of pixels from 1 to ${MAX_THUMBNAIL_PX}; got ${sizePx}.`);
  }
  await inspect(bytes, name);
  const pipeline = decoder(bytes).resize(sizePx, sizePx, { fit: 'cover', position: 'centre' });
  return { bytes: await encode(pipeline, bytes, name, 80), contentType: 'image/jpeg', reencoded: true };
}
