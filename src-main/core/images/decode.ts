import { createRandom } from '../random.js';
import sharp, { type Sharp } from 'sharp';
import { CoreError } from '../errors.js';
import { imageUnreadable, MAX_INPUT_PIXELS, problemFromDecode } from './errors.js';
import { readImageFile } from './read-image-file.js';
import { sniffFormat } from './formats.js';
import { normalizationAffine, type Normalization, type PreprocessSpec } from './spec.js';

/** A decoded, resized and normalised image. */
export type DecodedImage = {
  /** `heightPx * widthPx * 3` floats, HWC, RGB, normalised with the spec's normalisation. */
  data: Float32Array;
  heightPx: number;
  widthPx: number;
};

/**
 * retrain.py's random input distortions (`add_input_distortions`), applied to the pixels
 * before normalisation. All percentages are of the input size / brightness, e.g. 10 = 10 %.
 */
export type Distortion = {
  /** Mirror horizontally with probability 0.5. */
  flipLeftRight: boolean;
  /** Enlarge by a fixed margin of this percent, then take a random input-sized crop. */
  randomCropPercent: number;
  /** Enlarge by a random factor in [1, 1 + percent/100] before the crop. */
  randomScalePercent: number;
  /** Multiply pixel values by a random factor in [1 - percent/100, 1 + percent/100]. */
  randomBrightnessPercent: number;
};

/** Options of `decodeImage`. */
export type DecodeOptions = {
  /** Random distortions (training augmentation). Omitted or all-off = plain preprocessing. */
  distortion?: Distortion;
  /** Seed for the distortions' random numbers; same seed + same image = same pixels. Default: random. */
  seed?: number;
  /** Name used in error messages when `input` is a buffer. Default: the path, or "image". */
  sourceName?: string;
  /** Reuse this array for the result when it has exactly `heightPx * widthPx * 3` elements. */
  output?: Float32Array;
  /** Largest file read from a path, in bytes; default `DEFAULT_MAX_IMAGE_BYTES` (256 MiB). */
  maxBytes?: number;
  /** A real folder path a file read from a path must resolve into (see `readImageFile`'s `within`). */
  within?: string;
};

/** Whether a distortion setting changes anything (when false, decoding is deterministic and cacheable). */
export function hasDistortion(d: Distortion | undefined): boolean {
  return !!d && (d.flipLeftRight || d.randomCropPercent > 0 || d.randomScalePercent > 0 || d.randomBrightnessPercent > 0);
}

/** Largest input side accepted in a spec, in pixels. */
const MAX_INPUT_SIDE_PX = 4096;

/** Throws INVALID_ARGUMENT unless the spec describes a sensible input. */
export function validateSpec(spec: PreprocessSpec): void {
  const sideOk = (v: number): boolean => Number.isInteger(v) && v > 0 && v <= MAX_INPUT_SIDE_PX;
  if (!spec || !sideOk(spec.heightPx) || !sideOk(spec.widthPx)) {
    throw new CoreError('INVALID_ARGUMENT', `Input size must be whole pixels between 1 and ${MAX_INPUT_SIDE_PX}; got ${spec?.heightPx}x${spec?.widthPx}.`);
  }
  if (spec.crop !== 'center' && spec.crop !== 'squash') {
    throw new CoreError('INVALID_ARGUMENT', `Crop rule must be 'center' or 'squash'; got '${String(spec.crop)}'.`);
  }
  const n = spec.normalization;
  if (n?.kind === 'range') {
    if (!Number.isFinite(n.min) || !Number.isFinite(n.max) || n.min === n.max) {
      throw new CoreError('INVALID_ARGUMENT', `Normalisation range must be two different finite numbers; got [${n.min}, ${n.max}].`);
    }
  } else if (n?.kind === 'meanStd') {
    const std = typeof n.std === 'number' ? [n.std] : n.std;
    if (!std.every((s) => Number.isFinite(s) && s !== 0)) {
      throw new CoreError('INVALID_ARGUMENT', `Normalisation std must be non-zero; got ${String(n.std)}.`);
    }
  } else {
    throw new CoreError('INVALID_ARGUMENT', "Normalisation kind must be 'range' or 'meanStd'.");
  }
}

/** Throws INVALID_ARGUMENT for negative or out-of-range distortion percentages. */
export function validateDistortion(d: Distortion): void {
  const check = (name: string, v: number, max: number): void => {
    if (!Number.isFinite(v) || v < 0 || v > max) {
      throw new CoreError('INVALID_ARGUMENT', `${name} must be between 0 and ${max} percent; got ${v}.`);
    }
  };
  check('Random crop', d.randomCropPercent, 100);
  check('Random scale', d.randomScalePercent, 100);
  check('Random brightness', d.randomBrightnessPercent, 100);
}


/**
 * 256-entry tables per channel mapping a uint8 value to its normalised float32. Computed
 * with the exact formula (so 255 maps to exactly `max`), cached per normalisation.
 */
const lutCache = new Map<string, Float32Array>();
function lookupTable(n: Normalization): Float32Array {
  const key = JSON.stringify(n);
  let lut = lutCache.get(key);
  if (lut) return lut;
  lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = normalizeValue(n, c, v);
  }
  if (lutCache.size > 32) lutCache.clear();
  lutCache.set(key, lut);
  return lut;
}

function normalizeValue(n: Normalization, channel: number, value: number): number {
  if (n.kind === 'range') return n.min + (value * (n.max - n.min)) / 255;
  const mean = typeof n.mean === 'number' ? n.mean : n.mean[channel];
  const std = typeof n.std === 'number' ? n.std : n.std[channel];
  return (value - mean) / std;
}

/**
 * The sharp pipeline shared by every decode: first frame/page only, EXIF orientation applied,
 * alpha flattened onto white, any colour space (grey, CMYK, 16-bit) converted to 8-bit sRGB.
 * `failOn: 'truncated'` makes truncated files fail instead of decoding half an image grey.
 */
export function openImage(bytes: Uint8Array): Sharp {
  return sharp(bytes, { failOn: 'truncated', pages: 1, page: 0, limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha();
}

async function resizedPixels(bytes: Uint8Array, spec: PreprocessSpec, heightPx: number, widthPx: number): Promise<Buffer> {
  // 'center' = cover: the centre crop with the input's aspect ratio (square for square inputs),
  // resized. Done as one resize rather than extract-then-resize because that keeps JPEG
  // shrink-on-load (~1.5x faster on large photos); the only difference is that the resampling
  // kernel reads a few source pixels beyond the crop edge.
  const fit = spec.crop === 'center' ? 'cover' : 'fill';
  const { data, info } = await openImage(bytes)
    .resize(widthPx, heightPx, { fit, position: 'centre' })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== widthPx || info.height !== heightPx) {
    throw new Error(`sharp returned ${info.width}x${info.height}x${info.channels}, expected ${widthPx}x${heightPx}x3`);
  }
  return data;
}

/**
 * Decodes bytes already in memory. Same as `decodeImage` with a buffer; exported for callers
 * that have read the file themselves (e.g. to hash it first).
 */
export async function decodeBytes(bytes: Uint8Array, spec: PreprocessSpec, options: DecodeOptions = {}): Promise<DecodedImage> {
  validateSpec(spec);
  const name = options.sourceName ?? 'image';
  const sniff = sniffFormat(bytes);
  if (bytes.length === 0 || sniff.kind !== 'supported') throw imageUnreadable(name, problemFromDecode(bytes, undefined, sniff));

  const { heightPx, widthPx } = spec;
  const length = heightPx * widthPx * 3;
  const out = options.output && options.output.length === length ? options.output : new Float32Array(length);
  if (options.distortion) validateDistortion(options.distortion);
  const distortion = hasDistortion(options.distortion) ? options.distortion : undefined;

  try {
    if (!distortion) {
      const pixels = await resizedPixels(bytes, spec, heightPx, widthPx);
      const lut = lookupTable(spec.normalization);
      for (let i = 0; i < length; i += 3) {
        out[i] = lut[pixels[i]];
        out[i + 1] = lut[256 + pixels[i + 1]];
        out[i + 2] = lut[512 + pixels[i + 2]];
      }
      return { data: out, heightPx, widthPx };
    }

    // Always draw the same five numbers in the same order, so switching one distortion on
    // or off does not change the values the others get for a given seed.
    const random = createRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    const scaleDraw = random();
    const cropYDraw = random();
    const cropXDraw = random();
    const flipDraw = random();
    const brightnessDraw = random();

    // retrain.py: precrop size = input size * (1 + crop%) * uniform(1, 1 + scale%), truncated.
    const marginScale = 1 + distortion.randomCropPercent / 100;
    const resizeScale = 1 + (scaleDraw * distortion.randomScalePercent) / 100;
    const preHeightPx = Math.max(heightPx, Math.floor(heightPx * marginScale * resizeScale));
    const preWidthPx = Math.max(widthPx, Math.floor(widthPx * marginScale * resizeScale));
    const offsetY = Math.floor(cropYDraw * (preHeightPx - heightPx + 1));
    const offsetX = Math.floor(cropXDraw * (preWidthPx - widthPx + 1));
    const flip = distortion.flipLeftRight && flipDraw < 0.5;
    const b = distortion.randomBrightnessPercent / 100;
    const brightness = 1 - b + brightnessDraw * 2 * b;

    const pixels = await resizedPixels(bytes, spec, preHeightPx, preWidthPx);
    const { scale, offset } = normalizationAffine(spec.normalization);
    // Brightness multiplies the pixel value without clipping, as retrain.py did.
    const s0 = scale[0] * brightness, s1 = scale[1] * brightness, s2 = scale[2] * brightness;
    let o = 0;
    for (let y = 0; y < heightPx; y++) {
      const rowStart = ((y + offsetY) * preWidthPx + offsetX) * 3;
      for (let x = 0; x < widthPx; x++) {
        const p = rowStart + (flip ? widthPx - 1 - x : x) * 3;
        out[o++] = pixels[p] * s0 + offset[0];
        out[o++] = pixels[p + 1] * s1 + offset[1];
        out[o++] = pixels[p + 2] * s2 + offset[2];
      }
    }
    return { data: out, heightPx, widthPx };
  } catch (error) {
    if (error instanceof CoreError) throw error;
    throw imageUnreadable(name, problemFromDecode(bytes, error, sniff));
  }
}

/**
 * Decodes an image file (or its bytes) into model input: EXIF orientation applied, first frame
 * of animations, alpha flattened onto white, converted to sRGB, cropped per `spec.crop`
 * ('center' = centre crop to the input's aspect, then resize; 'squash' = resize the whole image),
 * optionally distorted (retrain.py semantics, deterministic with `options.seed`), then normalised
 * per `spec.normalization`.
 *
 * Supported formats: JPEG, PNG, WebP, GIF, TIFF, AVIF (recognised by content).
 * A path is opened only when it is a regular file (a FIFO, socket or device fails at once,
 * without blocking) of at most `options.maxBytes`.
 * @throws CoreError IMAGE_UNREADABLE (`details.skipCode`: EMPTY_FILE, NOT_IMAGE, CORRUPT,
 *   UNREADABLE, SPECIAL_FILE, TOO_LARGE) with a message naming the file, the reason and what
 *   to do; INVALID_ARGUMENT for a bad spec or distortion.
 */
export async function decodeImage(input: string | Uint8Array, spec: PreprocessSpec, options: DecodeOptions = {}): Promise<DecodedImage> {
  if (typeof input !== 'string') return decodeBytes(input, spec, options);
  validateSpec(spec);
  const read = await readImageFile(input, { maxBytes: options.maxBytes, within: options.within });
  if (!read.ok) throw imageUnreadable(options.sourceName ?? input, read.problem);
  return decodeBytes(read.bytes, spec, { ...options, sourceName: options.sourceName ?? input });
}
