/** Row operations on row-major Float32Array feature matrices. */

/** A copy of `features` with every row scaled to unit L2 norm (an all-zero row stays zero). */
export function normaliseRows(features: Float32Array, count: number, featureSize: number): Float32Array {
  const out = new Float32Array(count * featureSize);
  for (let r = 0; r < count; r++) {
    const base = r * featureSize;
    let sum = 0;
    for (let k = 0; k < featureSize; k++) sum += features[base + k] * features[base + k];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let k = 0; k < featureSize; k++) out[base + k] = features[base + k] * scale;
  }
  return out;
}

/** Dot product of row `a` of `x` and row `b` of `y`. */
export function rowDot(x: Float32Array, a: number, y: Float32Array, b: number, featureSize: number): number {
  let sum = 0;
  const ia = a * featureSize;
  const ib = b * featureSize;
  for (let k = 0; k < featureSize; k++) sum += x[ia + k] * y[ib + k];
  return sum;
}
