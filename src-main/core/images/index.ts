/**
 * Images: decode, orient, convert, crop/resize, distort and normalise pixels for a model
 * (`decodeImage`, or `createDecodePool` for worker threads), check files (`probeImage`),
 * and make thumbnails. Everything goes through sharp (libvips).
 */
export * from './spec.js';
export {
  decodeImage,
  decodeBytes,
  hasDistortion,
  validateSpec,
  validateDistortion,
  type DecodedImage,
  type DecodeOptions,
  type Distortion,
} from './decode.js';
export { createDecodePool, type DecodePool, type DecodePoolOptions, type PoolDecodeOptions } from './pool.js';
export { probeImage, probeBytes, endsComplete, type ProbeResult, type ProbeOptions } from './probe.js';
export { makeThumbnail } from './thumbnail.js';
export { sniffFormat, describeNotImage, SUPPORTED_FORMATS, SNIFF_BYTES, type SupportedFormat, type SniffResult } from './formats.js';
export { type SkipCode, type ImageProblem, problemFromDecode, problemFromFsError, MAX_INPUT_PIXELS } from './errors.js';
export { readImageFile, DEFAULT_MAX_IMAGE_BYTES, type ReadImageOptions, type ReadImageResult } from './read-image-file.js';
