import { CoreError } from '../errors.js';
import { openImage } from './decode.js';
import { imageUnreadable, problemFromDecode } from './errors.js';
import { readImageFile } from './read-image-file.js';

/**
 * A square JPEG thumbnail (quality 80) of an image file: EXIF-rotated, first frame, alpha on
 * white, scaled to cover `sizePx` × `sizePx` and centre-cropped.
 * Only a regular file of at most `maxBytes` is read (a FIFO or device fails at once).
 * @throws CoreError INVALID_ARGUMENT for a size outside 1..2048 px; IMAGE_UNREADABLE when the
 *   file cannot be read or decoded (`details.skipCode` says why, e.g. SPECIAL_FILE, TOO_LARGE).
 */
export async function makeThumbnail(file: string, sizePx: number, maxBytes?: number): Promise<Buffer> {
  if (!Number.isInteger(sizePx) || sizePx < 1 || sizePx > 2048) {
    throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number of pixels from 1 to 2048; got ${sizePx}.`);
  }
  const read = await readImageFile(file, { maxBytes });
  if (!read.ok) throw imageUnreadable(file, read.problem);
  try {
    return await openImage(read.bytes).resize(sizePx, sizePx, { fit: 'cover', position: 'centre' }).jpeg({ quality: 80 }).toBuffer();
  } catch (error) {
    throw imageUnreadable(file, problemFromDecode(read.bytes, error));
  }
}
