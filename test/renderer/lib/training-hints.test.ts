import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../../../src-main/api/contract.js';
import { curveHints, trainingSpeed } from '../../../src-renderer/lib/training-hints.js';

/** Points every 10 steps, 0.5 s apart, with the given cross-entropies. */
function series(train: number[], validation: number[] = train): MetricPoint[] {
  return train.map((ce, i) => ({
    step: (i + 1) * 10,
    wallTimeMs: 1_700_000_000_000 + i * 500,
    relativeTimeMs: i * 500,
    trainAccuracy: 0.5,
    trainCrossEntropy: ce,
    validationAccuracy: 0.5,
    validationCrossEntropy: validation[i],
  }));
}

const falling = (n: number, from = 1.6, to = 0.3) => Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

describe('trainingSpeed', () => {
  it('is steps per second between the first and last evaluation, and the ETA of the rest', () => {
    // 10 points: steps 10…100 over 4.5 s → 20 steps/s; 400 steps left → 20 s.
    const speed = trainingSpeed(series(falling(10)), 100, 500);
    expect(speed?.stepsPerSecond).toBeCloseTo(20, 6);
    expect(speed?.etaMs).toBeCloseTo(20_000, 3);
  });

  it('is null before two timed points, and the ETA is 0 at the end', () => {
    expect(trainingSpeed(series([1]), 10, 100)).toBeNull();
    expect(trainingSpeed(series(falling(4)), 40, 40)?.etaMs).toBe(0);
  });
});

describe('curveHints', () => {
  it('says nothing about healthy curves or too few points', () => {
    expect(curveHints(series(falling(30)))).toEqual([]);
    expect(curveHints(series([1, 3, 1, 3, 1]))).toEqual([]);
  });

  it('names over-fitting when validation cross-entropy rises while training falls', () => {
    const train = falling(30, 1.6, 0.1);
    const validation = train.map((ce, i) => (i < 15 ? ce : train[14] + (i - 14) * 0.03));
    const hints = curveHints(series(train, validation));
    expect(hints.map((h) => h.kind)).toEqual(['overfitting']);
    expect(hints[0].message).toMatch(/over-fitting/);
  });

  it('names a learning rate too high for a curve that jumps around (learning rate 1.0)', () => {
    const train = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 0.6 : 1.4) - i * 0.005);
    const hints = curveHints(series(train));
    expect(hints.map((h) => h.kind)).toContain('noisy');
    expect(hints.find((h) => h.kind === 'noisy')?.message).toMatch(/lower learning rate/);
  });

  it('names divergence: a cross-entropy that grows, or one that is not finite', () => {
    expect(curveHints(series(falling(20, 0.8, 3)))[0].kind).toBe('diverging');
    const nan = falling(20);
    nan[15] = Number.NaN;
    expect(curveHints(series(nan))[0]).toMatchObject({ kind: 'diverging', message: expect.stringMatching(/NaN/) });
  });
});
