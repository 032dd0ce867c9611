/**
 * ONNX Runtime fast path: convert TF.js layers and graph models to ONNX, run them with
 * onnxruntime-node, and use them as FeatureExtractors once parity with TF.js is proven.
 */
export {
  convertLayersModelToOnnx,
  convertLayersModelsToOnnx,
  CONVERTER_VERSION,
  DEFAULT_OPSET,
  type ConvertOptions,
  type ConversionResult,
} from './convert.js';
export { createOnnxSession, type OnnxSession, type OnnxSessionOptions } from './session.js';
export {
  checkOnnxParity,
  compareOutputs,
  DEFAULT_PARITY_TOLERANCE,
  type ParityReport,
} from './parity.js';
export {
  createOnnxFeatureExtractor,
  loadCheckedOnnxExtractor,
  type CheckedOnnx,
  type OnnxExtractorOptions,
  type OnnxExtractorResult,
} from './extractor.js';
export { convertTfGraphToOnnx, countGraphOps, type GraphConvertOptions } from './graph/convert.js';
export { readTfGraph, parseTfGraph, type TfGraph } from './graph/tf-graph.js';
export { exportOnnxClassifier, writeOnnxModel, type OnnxExportResult, type ParityImages } from './export.js';
