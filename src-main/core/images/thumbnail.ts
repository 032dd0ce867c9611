import { readFile } from 'node:fs/promises';
import { CoreError } from '../errors.js';
import { openImage } from './decode.js';
import { imageUnreadable, problemFromDecode, problemFromFsError } from './errors.js';
import { sniffFormat } from './formats.js';

/**
 * A square JPEG thumbnail (quality 80) of an image file: EXIF-rotated, first frame, alpha on
 * white, scaled to cover `sizePx` × `sizePx` and centre-cropped.
 * @throws CoreError INVALID_ARGUMENT for a size outside 1..2048 px; IMAGE_UNREADABLE when the
 *   file cannot be read or decoded.
 */
export async function makeThumbnail(file: string, sizePx: number): Promise<Buffer> {
  if (!Number.isInteger(sizePx) || sizePx < 1 || sizePx > 2048) {
    throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number of pixels from 1 to 2048; got ${sizePx}.`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw imageUnreadable(file, problemFromFsError(error));
  }
  const sniff = sniffFormat(bytes);
  if (bytes.length === 0 || sniff.kind !== 'supported') throw imageUnreadable(file, problemFromDecode(bytes, undefined, sniff));
  try {
    return await openImage(bytes).resize(sizePx, sizePx, { fit: 'cover', position: 'centre' }).jpeg({ quality: 80 }).toBuffer();
  } catch (error) {
    throw imageUnreadable(file, problemFromDecode(bytes, error, sniff));
  }
}
