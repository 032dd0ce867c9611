/**
 * Loading a model for inference: the feature extractor (network truncated at the
 * bottleneck, globally average-pooled) and the full classifier (probabilities).
 */
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { loadGraphModelFromDir, loadLayersModelFromDir } from '../tf/file-io.js';
import { inspectModelDir, requireNode } from './inspect.js';
import { checkInputSpec } from './store.js';
import { featureSizeOf, outputIsSoftmax } from './topology.js';
import type { FeatureExtractor, ModelInfo } from './types.js';

type LoadedBase =
  | { kind: 'layers'; model: tf.LayersModel; inputShape: (number | null)[] }
  | { kind: 'graph'; model: tf.GraphModel; inputShape: (number | null)[] };

const normalizeShape = (shape: readonly (number | null | undefined)[] | undefined): (number | null)[] =>
  (shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : null));

/** Loads the model in `info.dir` and checks its input against `info.spec` (INPUT_MISMATCH). */
async function loadBase(info: ModelInfo): Promise<LoadedBase> {
  let base: LoadedBase;
  if (info.format === 'layers') {
    const model = await loadLayersModelFromDir(info.dir);
    base = { kind: 'layers', model, inputShape: normalizeShape(model.inputs[0]?.shape) };
  } else {
    const model = await loadGraphModelFromDir(info.dir);
    const declared = model.inputs.find((i) => i.name === info.inputName) ?? model.inputs[0];
    base = { kind: 'graph', model, inputShape: normalizeShape(declared?.shape) };
  }
  try {
    checkInputSpec({ id: info.id, dir: info.dir, spec: info.spec, inputShape: base.inputShape });
  } catch (error) {
    base.model.dispose();
    throw error;
  }
  return base;
}

function checkPixels(info: ModelInfo, pixels: Float32Array, count: number): void {
  const expected = count * info.spec.heightPx * info.spec.widthPx * 3;
  if (!Number.isInteger(count) || count < 1 || pixels.length !== expected) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `Expected ${count} image(s) of ${info.spec.heightPx}×${info.spec.widthPx}×3 floats (${expected} values) for ${info.id}, got ${pixels.length}.`,
    );
  }
}

/** Global average pooling of a 3-D or 4-D feature map; 2-D passes through. */
function poolFeatures(t: tf.Tensor): tf.Tensor2D {
  if (t.rank === 2) return t as tf.Tensor2D;
  if (t.rank === 4) return tf.mean(t, [1, 2]) as tf.Tensor2D;
  if (t.rank === 3) return tf.mean(t, 1) as tf.Tensor2D;
  return tf.reshape(t, [t.shape[0], -1]) as tf.Tensor2D;
}

/** The symbolic output of a (possibly nested) layer, expressed on the outer model's inputs. */
function symbolicAt(container: tf.LayersModel, layerPath: string[]): tf.SymbolicTensor {
  const layer = container.getLayer(layerPath[0]);
  if (layerPath.length === 1) {
    const output = layer.output;
    return Array.isArray(output) ? output[0] : output;
  }
  if (!(layer instanceof tf.LayersModel)) {
    throw new CoreError('NODE_NOT_FOUND', `Layer ${layerPath[0]} is not a nested model, so ${layerPath.join('/')} does not exist.`);
  }
  const inner = symbolicAt(layer, layerPath.slice(1));
  // A nested model fed straight by the outer input (e.g. Sequential[Model, …]) shares its input tensors.
  if (layer.inputs.every((t, i) => container.inputs[i] === t)) return inner;
  const subModel = tf.model({ inputs: layer.inputs, outputs: inner });
  const call = layer.inboundNodes[layer.inboundNodes.length - 1];
  const fed = subModel.apply(call.inputTensors.length === 1 ? call.inputTensors[0] : call.inputTensors);
  return (Array.isArray(fed) ? fed[0] : fed) as tf.SymbolicTensor;
}

/** Input → pooled features as a layers model sharing the base model's weights. */
function truncateLayersModel(model: tf.LayersModel, layerPath: string[], isOutput: boolean): tf.LayersModel {
  const output = isOutput ? model.outputs[0] : symbolicAt(model, layerPath);
  const rank = output.shape.length;
  if (isOutput && rank === 2) return model;
  let pooled: tf.SymbolicTensor = output;
  if (rank === 4) pooled = tf.layers.globalAveragePooling2d({ name: 'bottleneck_pool' }).apply(output) as tf.SymbolicTensor;
  else if (rank === 3) pooled = tf.layers.globalAveragePooling1d({ name: 'bottleneck_pool' }).apply(output) as tf.SymbolicTensor;
  else if (rank !== 2) pooled = tf.layers.flatten({ name: 'bottleneck_flatten' }).apply(output) as tf.SymbolicTensor;
  return tf.model({ inputs: model.inputs, outputs: pooled, name: 'feature_extractor' });
}

/** Options for loadFeatureExtractor. */
export type LoadFeatureExtractorOptions = {
  /** Run one batch of zeros after loading so the first real batch is not slow. Default true. */
  warm?: boolean;
};

/**
 * Loads `info`'s model truncated at `info.bottleneckNode` (nested layers such as `out_relu`
 * inside a wrapped MobileNetV2 are reachable), with 4-D outputs globally average-pooled.
 * Engine: `tfjs-<active backend>`. The returned `info` carries the actual input shape and
 * feature size. `layersModel` (layers models only) is owned by the extractor: don't dispose it.
 * @throws CoreError NODE_NOT_FOUND (with candidates), INPUT_MISMATCH (model input vs spec),
 *   MODEL_NOT_FOUND / MODEL_INVALID (files)
 */
export async function loadFeatureExtractor(info: ModelInfo, options: LoadFeatureExtractorOptions = {}): Promise<FeatureExtractor> {
  const inspected = await inspectModelDir(info.dir);
  const node = requireNode(inspected, info.bottleneckNode);
  const isOutput = node.id === inspected.topology.outputs[0];
  const base = await loadBase(info);
  const { heightPx, widthPx } = info.spec;

  let layersModel: tf.LayersModel | undefined;
  let run: (x: tf.Tensor4D) => tf.Tensor2D;
  if (base.kind === 'layers') {
    try {
      layersModel = truncateLayersModel(base.model, node.path, isOutput);
    } catch (error) {
      base.model.dispose();
      throw error;
    }
    const truncated = layersModel;
    run = (x) => truncated.predict(x) as tf.Tensor2D;
  } else {
    const graph = base.model;
    run = (x) => poolFeatures(graph.execute(x, node.id) as tf.Tensor);
  }

  let featureSize = layersModel ? (layersModel.outputs[0].shape[1] ?? null) : featureSizeOf(node);
  let disposed = false;
  const extractor: FeatureExtractor = {
    get info() {
      return { ...info, inputShape: base.inputShape, featureSize: featureSize ?? info.featureSize };
    },
    engine: `tfjs-${tf.getBackend()}`,
    ...(layersModel ? { layersModel } : {}),
    async extract(pixels, count) {
      if (disposed) throw new Error(`Feature extractor for ${info.id} was disposed.`);
      checkPixels(info, pixels, count);
      const features = tf.tidy(() => run(tf.tensor4d(pixels, [count, heightPx, widthPx, 3])));
      try {
        featureSize = features.shape[1];
        return (await features.data()) as Float32Array;
      } finally {
        features.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // The truncated model shares every weight with the base model; disposing the base frees them once.
      base.model.dispose();
    },
  };
  if (options.warm ?? true) {
    try {
      await extractor.extract(new Float32Array(heightPx * widthPx * 3), 1);
    } catch (error) {
      extractor.dispose();
      throw error;
    }
  }
  return extractor;
}

/** A full classifier: images → class probabilities. */
export type ModelClassifier = {
  info: ModelInfo;
  /** Whether predict applies softmax itself (the model outputs logits). */
  readonly appliesSoftmax: boolean;
  /**
   * Probabilities `[count, classes]` row-major for `count` images packed as
   * `[count, h, w, 3]` float32, preprocessed with `info.spec`.
   */
  predict(pixels: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
};

/** Options for loadClassifier. */
export type LoadClassifierOptions = {
  /** Override logits/probabilities detection (default: `info.outputIsProbabilities`, else the last layer/op is a softmax). */
  outputIsProbabilities?: boolean;
};

/**
 * Loads the whole model (to `info.outputNode`) as a classifier. Softmax is applied unless the
 * output already is one (last activation softmax), or `outputIsProbabilities` says so.
 * @throws CoreError INPUT_MISMATCH, MODEL_INVALID (labels count ≠ output classes), MODEL_NOT_FOUND
 */
export async function loadClassifier(info: ModelInfo, options: LoadClassifierOptions = {}): Promise<ModelClassifier> {
  const inspected = await inspectModelDir(info.dir);
  const output = requireNode(inspected, info.outputNode || inspected.topology.outputs[0]);
  const isProbabilities = options.outputIsProbabilities ?? info.outputIsProbabilities ?? outputIsSoftmax(inspected.topology);
  const classes = featureSizeOf(output);
  if (info.labels && classes !== null && info.labels.length !== classes) {
    throw new CoreError(
      'MODEL_INVALID',
      `${info.name} has ${info.labels.length} labels but its output ${output.id} has ${classes} classes. Import it again with the matching labels file.`,
    );
  }
  const base = await loadBase(info);
  const { heightPx, widthPx } = info.spec;
  const forward = (x: tf.Tensor4D): tf.Tensor =>
    base.kind === 'layers' ? (base.model.predict(x) as tf.Tensor) : (base.model.execute(x, output.id) as tf.Tensor);
  let disposed = false;
  return {
    info,
    appliesSoftmax: !isProbabilities,
    async predict(pixels, count) {
      if (disposed) throw new Error(`Classifier for ${info.id} was disposed.`);
      checkPixels(info, pixels, count);
      const probabilities = tf.tidy(() => {
        const out = forward(tf.tensor4d(pixels, [count, heightPx, widthPx, 3]));
        const flat = out.rank === 2 ? out : tf.reshape(out, [count, -1]);
        return isProbabilities ? flat : tf.softmax(flat);
      });
      try {
        return (await probabilities.data()) as Float32Array;
      } finally {
        probabilities.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      base.model.dispose();
    },
  };
}
