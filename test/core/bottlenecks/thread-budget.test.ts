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

  it('on this project\'s 2-core machines: 2 decode workers and 1 forward thread for ONNX Runtime; 1 decode worker beside TF.js', () => {
    expect(threadBudget(2, 'onnxruntime-cpu')).toMatchObject({ decodeWorkers: 2, forwardThreads: 1 });
    expect(threadBudget(2, 'tfjs-wasm')).toMatchObject({ decodeWorkers: 1 });
    expect(threadBudget(1, 'tfjs-wasm')).toMatchObject({ decodeWorkers: 1 });
  });
});
