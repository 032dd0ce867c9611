import sharp from 'sharp';
import { MAX_INPUT_PIXELS, problemFromDecode, type SkipCode } from './errors.js';
import { readImageFile } from './read-image-file.js';
import { sniffFormat, type SupportedFormat } from './formats.js';

/** Result of checking one file: usable (with its format and oriented size) or why not. */
export type ProbeResult =
  | { ok: true; format: SupportedFormat; widthPx: number; heightPx: number; bytes: number }
  | { ok: false; code: SkipCode; reason: string };

/** Side of the tiny thumbnail a probe decodes to; JPEG shrink-on-load keeps this cheap. */
const PROBE_SIDE_PX = 64;

/**
 * Checks that bytes are a supported image that decodes completely (a truncated or corrupt
 * file is caught here, not later during training). Never throws for bad data.
 * Width and height are after EXIF orientation.
 */
export async function probeBytes(bytes: Uint8Array): Promise<ProbeResult> {
  const sniff = sniffFormat(bytes);
  if (bytes.length === 0 || sniff.kind !== 'supported') {
    const problem = problemFromDecode(bytes, undefined, sniff);
    return { ok: false, code: problem.code, reason: problem.reason };
  }
  try {
    const image = sharp(bytes, { failOn: 'truncated', pages: 1, page: 0, limitInputPixels: MAX_INPUT_PIXELS });
    const meta = await image.metadata();
    // Decode every pixel (at a small size): metadata alone does not see truncated data.
    await image.resize(PROBE_SIDE_PX, PROBE_SIDE_PX, { fit: 'inside' }).raw().toBuffer();
    const widthPx = meta.autoOrient?.width ?? meta.width;
    const heightPx = meta.autoOrient?.height ?? meta.height;
    if (!widthPx || !heightPx) throw new Error('image has no size');
    return { ok: true, format: sniff.format, widthPx, heightPx, bytes: bytes.length };
  } catch (error) {
    const problem = problemFromDecode(bytes, error, sniff);
    return { ok: false, code: problem.code, reason: problem.reason };
  }
}

/**
 * Reads a file and checks it is a usable image (see `probeBytes`). Never throws for bad files:
 * unreadable files (missing, permission denied) give `{ ok: false, code: 'UNREADABLE' }`,
 * empty ones `EMPTY_FILE`, non-images `NOT_IMAGE`, truncated/corrupt ones `CORRUPT`, a FIFO,
 * socket or device `SPECIAL_FILE` (never opened), one over `maxBytes` `TOO_LARGE`.
 */
export async function probeImage(file: string, maxBytes?: number): Promise<ProbeResult> {
  const read = await readImageFile(file, { maxBytes });
  if (!read.ok) return { ok: false, code: read.problem.code, reason: read.problem.reason };
  return probeBytes(read.bytes);
}
