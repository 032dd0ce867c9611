import { describe, expect, it } from 'vitest';
import { threadBudget } from '../../../src-main/core/bottlenecks/index.js';

describe('threadBudget', () => {
  it('never plans more busy threads than the cores allow (decodes + half for the forward pass)', () => {
    for (const cores of [1, 2, 3, 4, 8, 16, 64]) {
      const b = threadBudget(cores);
      const n = Math.min(cores, 8);
      expect(b.decodeWorkers).toBe(n);
      expect(b.forwardThreads).toBe(Math.max(1, Math.floor(n / 2)));
      expect(b.decodeWorkers + b.forwardThreads).toBeLessThanOrEqual(Math.max(2, Math.floor(n * 1.5)));
      expect(b.libuvThreads).toBeGreaterThanOrEqual(b.decodeWorkers);
    }
  });

  it('on this project\'s 2-core machines: 2 decode workers, 1 forward thread', () => {
    expect(threadBudget(2)).toMatchObject({ decodeWorkers: 2, forwardThreads: 1 });
  });
});
