/**
 * Bottlenecks: the frozen network's features for every image, computed once per
 * (image content, model, preprocessing spec) and kept in a content-addressed disk cache.
 */
export {
  CACHE_FORMAT_VERSION,
  cacheKey,
  createBottleneckCache,
  entryPath,
  type BottleneckCache,
  type BottleneckCacheCounters,
  type BottleneckCacheOptions,
  type BottleneckCacheStats,
  type BottleneckKeyParts,
} from './cache.js';
export {
  computeBottlenecks,
  bottleneckKey,
  threadBudget,
  type ThreadBudget,
  type BottleneckFailure,
  type BottleneckImage,
  type BottleneckProgress,
  type BottleneckResult,
  type BottleneckStats,
  type ComputeBottlenecksOptions,
  type DecodeFunction,
  type DecodedPixels,
} from './compute.js';
export { createFeatureEngine, parityPixels, PARITY_IMAGES, type FeatureEngine, type FeatureEngineChoice, type FeatureEngineOptions } from './feature-engine.js';
