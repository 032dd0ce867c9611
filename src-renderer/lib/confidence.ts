/**
 * How much a test accuracy can be trusted: the Wilson score interval (good at small n and
 * near 0 % / 100 %, unlike the normal approximation), and when a test split is too small to
 * tell runs apart. Pure: no DOM.
 */

/** z for a two-sided 95 % interval. */
export const Z_95 = 1.959963984540054;

export type Interval = { low: number; high: number };

/** Wilson score interval for `successes` out of `n` (null when n is 0). */
export function wilsonInterval(successes: number, n: number, z = Z_95): Interval | null {
  if (!(n > 0)) return null;
  const p = Math.min(Math.max(successes / n, 0), 1);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** The interval of an accuracy measured on `n` images (its count of correct ones is rounded back). */
export function accuracyInterval(accuracy: number | undefined, n: number | undefined): Interval | null {
  if (accuracy === undefined || n === undefined || !Number.isFinite(accuracy)) return null;
  return wilsonInterval(Math.round(accuracy * n), n);
}

/** "56.7–91.5 %" */
export function formatInterval(interval: Interval | null, digits = 1): string {
  if (!interval) return '—';
  // A no-break space keeps "%" with its number when the text wraps.
  return `${(interval.low * 100).toFixed(digits)}–${(interval.high * 100).toFixed(digits)}\u00a0%`;
}

/** Wider than this (in accuracy points, high − low) and the split is too small to compare runs. */
export const MAX_USEFUL_WIDTH = 0.1;

/**
 * A warning when `n` test images cannot tell runs apart: accuracy moves in steps of 1/n and
 * the 95 % interval is wider than 10 points. Null when the split is large enough.
 */
export function smallTestSplitWarning(accuracy: number | undefined, n: number | undefined): string | null {
  const interval = accuracyInterval(accuracy, n);
  if (!interval || !n || interval.high - interval.low <= MAX_USEFUL_WIDTH) return null;
  return (
    `Only ${n} test image${n === 1 ? '' : 's'}: accuracy moves in steps of ${(100 / n).toFixed(1)} % and its 95 % interval spans ` +
    `${((interval.high - interval.low) * 100).toFixed(0)} points, so runs that differ by less than that cannot be told apart. ` +
    'A larger --testing_percentage (Dataset page) or more images give a steadier number.'
  );
}
