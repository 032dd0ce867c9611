/** Deterministic keys and vectors shared by the cache tests and the killed-writer fixture. */
import { cacheKey } from '../../../src-main/core/bottlenecks/index.js';

export const SPEC_KEY = 'v1:224x224:center:range(-1,1)';

export function keyFor(n: number, modelId = 'model-a', spec = SPEC_KEY): string {
  return cacheKey({ contentHash: n.toString(16).padStart(64, '0'), modelId, specKey: spec });
}

export function vectorFor(n: number, length = 1280): Float32Array {
  const v = new Float32Array(length);
  for (let i = 0; i < length; i++) v[i] = Math.sin(n * 1000 + i) * (i + 1);
  return v;
}
