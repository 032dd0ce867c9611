/**
 * Labelling one image: top-k classes with probabilities and the time each stage took,
 * for a run (backbone + trained head), an exported model, or a full classifier.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { decodeImage, type PreprocessSpec } from '../images/index.js';
import { loadGraphModelFromDir, loadLayersModelFromDir } from '../tf/file-io.js';
import { readLabels } from '../models/labels.js';
import type { ExportMetadata } from '../export/index.js';
import type { ClassifyResult, Prediction } from './types.js';

/** Anything that turns preprocessed pixels into class probabilities. */
export interface ImageClassifier {
  readonly spec: PreprocessSpec;
  readonly labels: string[];
  readonly engine: string;
  /** `count` images `[count, h, w, 3]` → probabilities `[count, labels.length]`. */
  predict(pixels: Float32Array, count: number): Promise<Float32Array>;
  dispose(): void;
}

export type { Prediction } from './types.js';
export type { ClassifyResult } from './types.js';

/** The top `k` labels of a probability row, most likely first. */
export function topK(probabilities: ArrayLike<number>, labels: string[], k: number): Prediction[] {
  return Array.from(probabilities, (probability, i) => ({ label: labels[i] ?? `class ${i}`, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}

/** Decodes one image with the classifier's spec and returns its top-k labels and timings. */
export async function classifyImage(classifier: ImageClassifier, image: string | Uint8Array, k = 5, sourceName?: string): Promise<ClassifyResult> {
  const start = performance.now();
  const decoded = await decodeImage(image, classifier.spec, { sourceName });
  const decodedAt = performance.now();
  const probabilities = await classifier.predict(decoded.data, 1);
  const end = performance.now();
  return {
    predictions: topK(probabilities, classifier.labels, k),
    durationMs: end - start,
    preprocessMs: decodedAt - start,
    inferenceMs: end - decodedAt,
    engine: classifier.engine,
  };
}

/** Probabilities from a TF.js layers model for packed NHWC pixels. */
export function layersModelPredictor(model: tf.LayersModel, spec: PreprocessSpec): (pixels: Float32Array, count: number) => Promise<Float32Array> {
  return async (pixels, count) => {
    const output = tf.tidy(() => model.predict(tf.tensor4d(pixels, [count, spec.heightPx, spec.widthPx, 3])) as tf.Tensor);
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  };
}

/** Labels files are read by the models concern's one reader (one per line, or a JSON array). */
export { readLabels };

/** Loads an export folder written by `exportClassifier` (model.json, metadata.json, labels.txt). */
export async function loadExportedClassifier(dir: string, labelsFile?: string): Promise<ImageClassifier & { metadata: ExportMetadata }> {
  let metadata: ExportMetadata;
  try {
    metadata = JSON.parse(await readFile(path.join(dir, 'metadata.json'), 'utf8')) as ExportMetadata;
  } catch {
    throw new CoreError('MODEL_INVALID', `${dir} has no readable metadata.json: it is not a Retrain Studio export. For other models use --input_* flags with a labelled model import.`);
  }
  const labels = labelsFile ? await readLabels(labelsFile) : await readLabels(path.join(dir, 'labels.txt'));
  if (labels.length !== metadata.classes.length) {
    throw new CoreError('INPUT_MISMATCH', `${labelsFile ?? 'labels.txt'} has ${labels.length} labels but the model outputs ${metadata.classes.length} classes.`);
  }
  const [, heightPx, widthPx] = metadata.inputShape as number[];
  const spec: PreprocessSpec = { heightPx, widthPx, crop: metadata.crop, normalization: metadata.normalization };
  const engine = `tfjs-${tf.getBackend()}`;
  const graph = metadata.graphBackbone;
  if (!graph) {
    const model = await loadLayersModelFromDir(dir);
    return { spec, labels, metadata, engine, predict: layersModelPredictor(model, spec), dispose: () => model.dispose() };
  }
  // A graph-model backbone is run to its bottleneck node and feeds the layers head.
  const backbone = await loadGraphModelFromDir(path.join(dir, graph.dir));
  const head = await loadLayersModelFromDir(path.join(dir, graph.head));
  return {
    spec,
    labels,
    metadata,
    engine,
    predict: async (pixels, count) => {
      const output = tf.tidy(() => {
        const features = backbone.execute(tf.tensor4d(pixels, [count, heightPx, widthPx, 3]), graph.node) as tf.Tensor;
        return head.predict(features.rank === 4 ? tf.mean(features, [1, 2]) : features) as tf.Tensor;
      });
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    },
    dispose: () => {
      backbone.dispose();
      head.dispose();
    },
  };
}

/** label_image.py's flags, as given on the command line (all optional). */
export type LabelFlags = {
  inputLayer?: string;
  outputLayer?: string;
  inputHeight?: number;
  inputWidth?: number;
  inputMean?: number;
  inputStd?: number;
};

/**
 * Checks label_image.py-style flags against what the model declares. A contradiction
 * (wrong input layer name, wrong size, e.g. 224 given to a 299 model) throws
 * CoreError('INPUT_MISMATCH') naming the right values.
 */
export function checkLabelFlags(metadata: ExportMetadata, flags: LabelFlags): void {
  const [, height, width] = metadata.inputShape;
  const right = `--input_layer=${metadata.inputName} --input_height=${height} --input_width=${width} --input_mean=${metadata.inputMean} --input_std=${metadata.inputStd} --output_layer=${metadata.outputName}`;
  const problems: string[] = [];
  if (flags.inputLayer !== undefined && flags.inputLayer !== metadata.inputName) problems.push(`there is no input layer "${flags.inputLayer}": the input is "${metadata.inputName}" ${JSON.stringify(metadata.inputShape)}`);
  if (flags.outputLayer !== undefined && flags.outputLayer !== metadata.outputName) problems.push(`there is no output layer "${flags.outputLayer}": the output is "${metadata.outputName}"`);
  if (flags.inputHeight !== undefined && flags.inputHeight !== height) problems.push(`--input_height=${flags.inputHeight} but the model takes ${height}×${width} images`);
  if (flags.inputWidth !== undefined && flags.inputWidth !== width) problems.push(`--input_width=${flags.inputWidth} but the model takes ${height}×${width} images`);
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));
  if (flags.inputMean !== undefined && !close(flags.inputMean, metadata.inputMean)) problems.push(`--input_mean=${flags.inputMean} but the model was trained with ${metadata.inputMean} (${metadata.normalizationText})`);
  if (flags.inputStd !== undefined && !close(flags.inputStd, metadata.inputStd)) problems.push(`--input_std=${flags.inputStd} but the model was trained with ${metadata.inputStd} (${metadata.normalizationText})`);
  if (problems.length) {
    throw new CoreError('INPUT_MISMATCH', `The flags contradict the model: ${problems.join('; ')}. Use: ${right}`);
  }
}
