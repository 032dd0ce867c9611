/**
 * Models: the catalog of official TF.js models, the download cache and imports
 * (createModelStore), loading a network truncated at its bottleneck (loadFeatureExtractor)
 * or whole (loadClassifier), and the graph description for the graph view (describeGraph).
 */
export type { CatalogEntry, FeatureExtractor, ModelFormat, ModelInfo } from './types.js';
export { CATALOG, findCatalogEntry } from './catalog.js';
export {
  checkInputSpec,
  createModelStore,
  type CatalogListing,
  type DownloadOptions,
  type DownloadProgress,
  type ImportOptions,
  type ModelStore,
  type ModelStoreOptions,
} from './store.js';
export {
  loadClassifier,
  loadFeatureExtractor,
  type LoadClassifierOptions,
  type LoadFeatureExtractorOptions,
  type ModelClassifier,
} from './extractor.js';
export { describeGraph, type GraphEdge, type GraphGroup, type GraphNode, type ModelGraph } from './graph.js';
export { parseTopology, type ModelTopology, type Shape, type TopologyNode } from './topology.js';
export { weightByteLength } from './weights.js';
export { loadThreadedFeatureExtractor } from './extractor-thread.js';
export { inspectModelDir, modelIO } from './inspect.js';
export { readLabels, type ReadLabelsOptions } from './labels.js';
