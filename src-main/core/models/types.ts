import type * as tf from '@tensorflow/tfjs';
import type { PreprocessSpec } from '../images/spec.js';
import type { ModelFormat } from './data-types.js';

export type { ModelFormat } from './data-types.js';

/** A catalog row: one downloadable official model. Data, not code (see catalog.ts). */
export type CatalogEntry = {
  /** Stable id, retrain.py's --architecture name where one exists, e.g. `mobilenet_0.50_224`. */
  id: string;
  name: string;
  family: 'mobilenet_v1' | 'mobilenet_v2' | 'mobilenet_v3' | 'inception_v3';
  format: ModelFormat;
  /** URL of model.json (layers / graph) as published. */
  url: string;
  /** Whether `url` needs TF Hub's `?tfjs-format=file` suffix on each file. */
  fromTfHub: boolean;
  spec: PreprocessSpec;
  inputName: string;
  /** The node whose output is the bottleneck; 4-D outputs are globally average-pooled. */
  bottleneckNode: string;
  /**
   * True for feature-vector models whose own output is the bottleneck: `bottleneckNode` is
   * the published output name, and when the downloaded graph calls it something else the
   * model's actual output node is used instead.
   */
  bottleneckIsOutput?: boolean;
  featureSize: number;
  approxDownloadBytes: number;
  /** Where the URL and node names come from. */
  source: string;
};

/** A model the app can use, from the catalog cache, an import, or an exported run. */
export type ModelInfo = {
  id: string;
  name: string;
  origin: 'catalog' | 'imported' | 'exported';
  format: ModelFormat;
  /** Folder holding model.json. */
  dir: string;
  spec: PreprocessSpec;
  inputName: string;
  /** [null, h, w, 3] as the model declares it. */
  inputShape: (number | null)[];
  bottleneckNode: string;
  featureSize: number;
  /** The model's own output node (e.g. logits / probabilities of a full classifier). */
  outputNode: string;
  /** Class labels when the model is a full classifier with a labels file. */
  labels?: string[];
  /** Whether the output is already softmaxed (probabilities) or logits. */
  outputIsProbabilities?: boolean;
};

/**
 * The frozen network up to its bottleneck, on some engine (TF.js backend or ONNX Runtime).
 * Owns its resources; call dispose().
 */
export interface FeatureExtractor {
  readonly info: ModelInfo;
  /** Which engine runs it, e.g. `tfjs-wasm`, `tfjs-tensorflow`, `onnxruntime-cpu`. */
  readonly engine: string;
  /**
   * Features for `count` images packed as `[count, h, w, 3]` float32 NHWC, already
   * preprocessed with `info.spec`. Resolves to `[count, featureSize]` row-major
   * (4-D bottleneck outputs are globally average-pooled).
   */
  extract(pixels: Float32Array, count: number): Promise<Float32Array>;
  /**
   * The truncated backbone as a TF.js layers model (input → pooled features) when the
   * source is a layers model; used by export and the ONNX converter. Undefined otherwise.
   */
  readonly layersModel?: tf.LayersModel;
  dispose(): void;
}
