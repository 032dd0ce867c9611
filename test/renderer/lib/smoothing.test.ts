import { describe, expect, it } from 'vitest';
import { smooth } from '../../../src-renderer/lib/smoothing.js';

describe('smooth (TensorBoard EMA with debias)', () => {
  it('returns the raw values for weight 0', () => {
    expect(smooth([1, 5, 3], 0)).toEqual([1, 5, 3]);
  });

  it('debiases, so the first value is kept and later ones follow the EMA', () => {
    const w = 0.6;
    const out = smooth([1, 0, 0], w);
    expect(out[0]).toBeCloseTo(1, 12);
    // last = 0.4, then 0.24; debias 1-0.36 = 0.64, 1-0.216 = 0.784
    expect(out[1]).toBeCloseTo(0.24 / 0.64, 12);
    expect(out[2]).toBeCloseTo(0.144 / 0.784, 12);
  });

  it('keeps a constant series constant and passes non-finite values through untouched', () => {
    expect(smooth([0.5, 0.5, 0.5], 0.9)).toEqual([0.5, 0.5, 0.5]);
    const out = smooth([1, Number.NaN, 1, 3], 0.5);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeCloseTo(1, 12);
    expect(out[3]).toBeCloseTo((0.125 * 1 + 0.25 * 1 + 0.5 * 3) / (1 - 0.125), 12);
  });

  it('clamps the weight below 1 so values still move', () => {
    const out = smooth([0, 10], 1);
    expect(out[1]).toBeGreaterThan(0);
    expect(out[1]).toBeLessThan(10);
  });
});
