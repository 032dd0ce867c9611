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

/** Options of `probeBytes`. */
export type ProbeOptions = {
  /**
   * 'always' (default): decode every pixel, so any truncated or corrupt data is caught.
   * 'whenUnsure': read the header only when the file ends as a complete JPEG or PNG does (the
   * usual way a file is damaged is a cut-off copy or download); decode otherwise. Damage
   * inside a complete-looking file is then reported by the decode that uses the image.
   */
  decode?: 'always' | 'whenUnsure';
};

/** Bytes at the end of a file searched for its end marker (cameras pad or append a little). */
const END_MARKER_WINDOW = 64;

/**
 * Whether the bytes end the way a complete file of this format does: a JPEG's EOI marker
 * (FF D9), a PNG's IEND chunk, within the last few bytes. A cut-off file fails this.
 */
export function endsComplete(bytes: Uint8Array, format: SupportedFormat): boolean {
  const from = Math.max(0, bytes.length - END_MARKER_WINDOW);
  if (format === 'jpeg') {
    for (let i = bytes.length - 2; i >= from; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
    return false;
  }
  if (format === 'png') {
    // ...'IEND' + CRC (AE 42 60 82) closes every PNG.
    for (let i = bytes.length - 8; i >= from; i--) {
      if (bytes[i] === 0x49 && bytes[i + 1] === 0x45 && bytes[i + 2] === 0x4e && bytes[i + 3] === 0x44) return true;
    }
    return false;
  }
  return false;
}

/**
 * Checks that bytes are a supported image that decodes completely (a truncated or corrupt
 * file is caught here, not later during training), or, with `decode: 'whenUnsure'`, that its
 * header is valid and it is not cut off (see `ProbeOptions`). Never throws for bad data.
 * Width and height are after EXIF orientation.
 */
export async function probeBytes(bytes: Uint8Array, options: ProbeOptions = {}): Promise<ProbeResult> {
  const sniff = sniffFormat(bytes);
  if (bytes.length === 0 || sniff.kind !== 'supported') {
    const problem = problemFromDecode(bytes, undefined, sniff);
    return { ok: false, code: problem.code, reason: problem.reason };
  }
  try {
    const image = sharp(bytes, { failOn: 'truncated', pages: 1, page: 0, limitInputPixels: MAX_INPUT_PIXELS });
    const meta = await image.metadata();
    // Decode every pixel (at a small size): metadata alone does not see truncated data.
    // Skipped for a complete-looking JPEG/PNG when asked: the decode is most of a scan's time.
    if (options.decode !== 'whenUnsure' || !endsComplete(bytes, sniff.format)) {
      await image.resize(PROBE_SIDE_PX, PROBE_SIDE_PX, { fit: 'inside' }).raw().toBuffer();
    }
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
