/** Byte arithmetic on TF.js weight manifests (no tensors). */
import type * as tf from '@tensorflow/tfjs';

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Number of elements of a weight (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * Bytes one weight occupies in its shard: elements × size of the stored dtype (the
 * quantization dtype when quantized). Null when it cannot be known (string weights).
 */
export function weightByteLength(spec: tf.io.WeightsManifestEntry): number | null {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = DTYPE_BYTES[dtype];
  return size === undefined ? null : elementCount(spec.shape) * size;
}

/** Bytes a weights group's shards must hold in total; null if any weight is of unknown size. */
export function groupByteLength(weights: readonly tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const w of weights) {
    const bytes = weightByteLength(w);
    if (bytes === null) return null;
    total += bytes;
  }
  return total;
}
