/**
 * TensorBoard's scalar smoothing: an exponential moving average with debiasing, so the
 * first points are not pulled toward zero. `weight` in [0, 1): 0 = raw values, 0.6 is
 * TensorBoard's default, values near 1 smooth heavily. Non-finite values pass through
 * unchanged and do not disturb the average; a constant series stays constant.
 */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0 || values.length === 0) return [...values];
  const finite = values.filter(Number.isFinite);
  if (finite.length > 0 && finite.every((value) => value === finite[0])) return [...values];
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    last = last * w + (1 - w) * value;
    count++;
    const debias = 1 - w ** count;
    return last / debias;
  });
}
