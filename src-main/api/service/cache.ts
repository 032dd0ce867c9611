/** The bottleneck cache as clients see it: where it is, how big, and clearing it. */
import type { BottleneckCache } from '../../core/bottlenecks/index.js';
import { CoreError } from '../../core/errors.js';
import type { CoreApi } from '../contract.js';

/** getCacheInfo and clearCache; clearing is refused while `isBusy` (a run may be reading it). */
export function createCacheApi(deps: { cache: BottleneckCache; isBusy: () => boolean }): Pick<CoreApi, 'getCacheInfo' | 'clearCache'> {
  const { cache } = deps;
  return {
    getCacheInfo: async () => cache.stats(),
    clearCache: async () => {
      if (deps.isBusy()) throw new CoreError('BUSY', 'The cache cannot be cleared while a run is in progress.');
      await cache.clear();
      return cache.stats();
    },
  };
}
