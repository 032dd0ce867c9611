import { describe, expect, it } from 'vitest';
import { accuracyInterval, formatInterval, smallTestSplitWarning, wilsonInterval } from '../../../src-renderer/lib/confidence.js';

describe('Wilson interval', () => {
  it('matches the textbook values (15 of 19, 0 of 10, 100 of 100)', () => {
    // 15/19 = 78.9 %, the walkthrough's test split: 95 % Wilson [0.567, 0.915].
    const a = wilsonInterval(15, 19)!;
    expect(a.low).toBeCloseTo(0.5667, 3);
    expect(a.high).toBeCloseTo(0.9149, 3);
    // At 0 and n the interval stays inside [0, 1] and is not empty (unlike the normal approximation).
    const zero = wilsonInterval(0, 10)!;
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.2775, 3);
    const all = wilsonInterval(100, 100)!;
    expect(all.high).toBe(1);
    expect(all.low).toBeCloseTo(0.963, 3);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('formats an accuracy on n images', () => {
    expect(formatInterval(accuracyInterval(15 / 19, 19))).toBe('56.7–91.5\u00a0%');
    expect(formatInterval(accuracyInterval(undefined, 19))).toBe('—');
  });

  it('warns when the test split is too small to tell runs apart, not when it is large', () => {
    expect(smallTestSplitWarning(15 / 19, 19)).toMatch(/Only 19 test images: accuracy moves in steps of 5\.3 %/);
    expect(smallTestSplitWarning(0.9, 2000)).toBeNull();
  });
});
