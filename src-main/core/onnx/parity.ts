/** How closely two engines agree on the same inputs. */
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { createOnnxSession, type OnnxSessionOptions } from './session.js';

/** Default tolerance for {@link ParityReport.maxRelativeError}: 1e-4. */
export const DEFAULT_PARITY_TOLERANCE = 1e-4;

/**
 * Agreement between a reference output (TF.js) and a candidate (ONNX Runtime).
 *
 * For image i with reference row `b_i` and candidate row `a_i`:
 * - `absError_i = max_j |a_ij − b_ij|`
 * - `relativeError_i = absError_i / max_j |b_ij|` (the worst element error relative to the
 *   largest reference magnitude of that image, so tiny reference values do not inflate it;
 *   0/0 counts as 0 and x/0 as Infinity)
 *
 * `maxAbsError` and `maxRelativeError` are the maxima over the images. `ok` is true when
 * every value is finite, the shapes agree, `images > 0` and `maxRelativeError <= tolerance`.
 */
export type ParityReport = {
  maxAbsError: number;
  maxRelativeError: number;
  ok: boolean;
  /** Images compared (0 when no comparison ran). */
  images: number;
  tolerance: number;
};

/**
 * Compares `[count, n]` outputs row by row as defined in {@link ParityReport}.
 * A length mismatch or any NaN/Infinity gives `ok: false` and infinite errors.
 */
export function compareOutputs(
  reference: Float32Array,
  candidate: Float32Array,
  count: number,
  tolerance = DEFAULT_PARITY_TOLERANCE,
): ParityReport {
  const failed = { maxAbsError: Infinity, maxRelativeError: Infinity, ok: false, images: count, tolerance };
  if (count < 1 || reference.length !== candidate.length || reference.length % count !== 0) return failed;
  const rowSize = reference.length / count;
  let maxAbsError = 0;
  let maxRelativeError = 0;
  for (let i = 0; i < count; i++) {
    let absError = 0;
    let scale = 0;
    for (let j = i * rowSize; j < (i + 1) * rowSize; j++) {
      const a = candidate[j];
      const b = reference[j];
      if (!Number.isFinite(a) || !Number.isFinite(b)) return failed;
      absError = Math.max(absError, Math.abs(a - b));
      scale = Math.max(scale, Math.abs(b));
    }
    const relativeError = absError === 0 ? 0 : scale === 0 ? Infinity : absError / scale;
    maxAbsError = Math.max(maxAbsError, absError);
    maxRelativeError = Math.max(maxRelativeError, relativeError);
  }
  return { maxAbsError, maxRelativeError, ok: maxRelativeError <= tolerance, images: count, tolerance };
}

/** A report for when no comparison could run. */
export function emptyParity(tolerance = DEFAULT_PARITY_TOLERANCE): ParityReport {
  return { maxAbsError: 0, maxRelativeError: 0, ok: false, images: 0, tolerance };
}

/**
 * Runs `model.predict` (TF.js, current backend) and the ONNX bytes (ONNX Runtime) on the same
 * `[count, h, w, c]` NHWC images and compares the outputs with {@link compareOutputs}.
 * The ONNX model must have been converted from `model` without `poolSpatialOutputs`.
 * @throws CoreError `INPUT_MISMATCH` when `pixels` holds fewer than `count` images.
 */
export async function checkOnnxParity(options: {
  model: tf.LayersModel;
  onnx: Uint8Array;
  pixels: Float32Array;
  count: number;
  tolerance?: number;
  session?: OnnxSessionOptions;
}): Promise<ParityReport> {
  const { model, pixels, count } = options;
  const tolerance = options.tolerance ?? DEFAULT_PARITY_TOLERANCE;
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const imageSize = inputShape.reduce((a, b) => a * b, 1);
  if (!(count >= 1) || pixels.length < count * imageSize) {
    throw new CoreError('INPUT_MISMATCH', `Parity needs ${count} image(s) of [${inputShape.join(', ')}] but got ${pixels.length} floats.`);
  }
  const input = tf.tensor(pixels.subarray(0, count * imageSize), [count, ...inputShape]);
  let reference: Float32Array;
  try {
    const output = model.predict(input) as tf.Tensor;
    reference = (await output.data()) as Float32Array;
    output.dispose();
  } finally {
    input.dispose();
  }
  const session = await createOnnxSession(options.onnx, options.session);
  try {
    const candidate = await session.run(pixels, count);
    return compareOutputs(reference, candidate, count, tolerance);
  } finally {
    await session.dispose();
  }
}
