/**
 * Export: one TF.js layers model from image tensor to class probabilities (backbone +
 * retrained head), with labels.txt and metadata.json describing exactly how to feed it.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { fileSaveHandler, readModelJson, writeAtomic } from '../tf/file-io.js';
import { describeNormalization, normalizationAffine, type PreprocessSpec } from '../images/spec.js';
import type { ModelInfo } from '../models/types.js';
import { HEAD_LOGITS_NAME, HEAD_OUTPUT_NAME } from '../training/index.js';
import { browserSnippet } from './snippets.js';

export { browserSnippet, exportSnippets, nodeSnippet, pythonSnippet, type ExportSnippets } from './snippets.js';

/** metadata.json of an export: everything a program needs to feed the model correctly. */
export type ExportMetadata = {
  format: 'retrain-studio-export';
  formatVersion: 1;
  inputName: string;
  inputShape: (number | null)[];
  inputDtype: 'float32';
  /** How pixels in [0, 255] become model input. */
  normalization: PreprocessSpec['normalization'];
  normalizationText: string;
  /** label_image.py's --input_mean / --input_std equivalent: (pixel - mean) / std. */
  inputMean: number;
  inputStd: number;
  crop: PreprocessSpec['crop'];
  outputName: string;
  outputShape: (number | null)[];
  classes: string[];
  backboneId: string;
  bottleneckNode: string;
  /**
   * Present when the backbone is a TF.js graph model, which cannot be joined with a layers
   * head into one model: `backbone/` (the graph model, run to `node`, 4-D outputs averaged
   * over height and width) feeds `head/` (features → probabilities).
   */
  graphBackbone?: { dir: 'backbone'; node: string; head: 'head' };
  runId?: string;
  /**
   * Temperature scaling, already inside the model: its final dense layer's kernel and bias are
   * divided by `temperature`, so `outputName` gives softmax(logits / T), the app's probabilities.
   */
  calibration?: { method: 'temperature'; temperature: number; appliedIn: string };
  appVersion: string;
  createdAt: string;
};

export type ExportOptions = {
  /**
   * Truncated backbone: image → pooled features (FeatureExtractor.layersModel). Omitted for
   * a graph-model backbone, whose files are copied next to the head instead.
   */
  backbone?: tf.LayersModel;
  /** Trained head: features → probabilities. */
  head: tf.LayersModel;
  info: ModelInfo;
  classes: string[];
  dir: string;
  runId?: string;
  /** The temperature already applied to `head` (applyTemperature); recorded in metadata.json. */
  temperature?: number;
  appVersion: string;
};

/** label_image.py's mean/std for a spec's normalisation (per-channel specs use channel 0). */
export function meanStdOf(spec: PreprocessSpec): { mean: number; std: number } {
  const { scale, offset } = normalizationAffine(spec.normalization);
  return { mean: +(-offset[0] / scale[0]).toFixed(6), std: +(1 / scale[0]).toFixed(6) };
}

/** Joins backbone and head into one model whose output layer is `final_result`. */
export function combineModel(backbone: tf.LayersModel, head: tf.LayersModel): tf.LayersModel {
  if (backbone.inputs.length !== 1 || backbone.outputs.length !== 1) {
    throw new CoreError('MODEL_INVALID', 'Export needs a backbone with exactly one input and one output.');
  }
  // Reuse the head's layers (and so its weights) on the backbone's output tensor.
  let y = backbone.outputs[0];
  for (const layer of head.layers) y = layer.apply(y) as tf.SymbolicTensor;
  return tf.model({ inputs: backbone.inputs, outputs: y, name: 'retrained_classifier' });
}

/**
 * Writes model.json + weights.bin, labels.txt and metadata.json into `dir`.
 * Returns the metadata and the files written.
 */
export async function exportClassifier(options: ExportOptions): Promise<{ dir: string; files: string[]; metadata: ExportMetadata }> {
  const { backbone, head, info, classes, dir } = options;
  const { mean, std } = meanStdOf(info.spec);
  const common = {
    format: 'retrain-studio-export' as const,
    formatVersion: 1 as const,
    inputDtype: 'float32' as const,
    normalization: info.spec.normalization,
    normalizationText: describeNormalization(info.spec.normalization),
    inputMean: mean,
    inputStd: std,
    crop: info.spec.crop,
    outputName: HEAD_OUTPUT_NAME,
    outputShape: head.outputs[0].shape as (number | null)[],
    classes,
    backboneId: info.id,
    bottleneckNode: info.bottleneckNode,
    ...(options.runId ? { runId: options.runId } : {}),
    ...(options.temperature !== undefined && options.temperature !== 1
      ? { calibration: { method: 'temperature' as const, temperature: options.temperature, appliedIn: `${HEAD_LOGITS_NAME} (kernel and bias divided by the temperature): ${HEAD_OUTPUT_NAME} is softmax(logits / temperature), the probabilities Retrain Studio shows` } }
      : {}),
    appVersion: options.appVersion,
    createdAt: new Date().toISOString(),
  };
  await mkdir(dir, { recursive: true });
  let metadata: ExportMetadata;
  let modelFiles: string[];
  if (backbone) {
    const model = combineModel(backbone, head);
    metadata = { ...common, inputName: model.inputNames[0], inputShape: model.inputs[0].shape as (number | null)[] };
    // `spec` lets a later import of this folder (e.g. into the graph view) feed it correctly.
    await model.save(fileSaveHandler(dir, { userDefinedMetadata: { spec: info.spec, retrainStudio: metadata } }));
    modelFiles = ['model.json', 'weights.bin'];
  } else {
    metadata = { ...common, inputName: info.inputName, inputShape: info.inputShape, graphBackbone: { dir: 'backbone', node: info.bottleneckNode, head: 'head' } };
    const json = await readModelJson(info.dir);
    await mkdir(path.join(dir, 'backbone'), { recursive: true });
    const shards = json.weightsManifest.flatMap((group) => group.paths);
    for (const file of ['model.json', ...shards]) await copyFile(path.join(info.dir, file), path.join(dir, 'backbone', file));
    await head.save(fileSaveHandler(path.join(dir, 'head')));
    modelFiles = ['backbone/model.json', ...shards.map((f) => `backbone/${f}`), 'head/model.json', 'head/weights.bin'];
  }
  await writeAtomic(path.join(dir, 'labels.txt'), `${classes.join('\n')}\n`);
  await writeAtomic(path.join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2));
  return { dir, files: [...modelFiles, 'labels.txt', 'metadata.json'].map((f) => path.join(dir, f)), metadata };
}

/** A ready-to-copy labelling command for an export (this app's CLI, label_image.py's flags). */
export function labelCommand(dir: string, metadata: ExportMetadata, image = 'image.jpg'): string {
  const [, height, width] = metadata.inputShape;
  const q = (s: string): string => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [
    'retrain-studio label',
    `--graph=${q(dir)}`,
    `--labels=${q(path.join(dir, 'labels.txt'))}`,
    `--input_layer=${metadata.inputName}`,
    `--input_height=${height}`,
    `--input_width=${width}`,
    `--input_mean=${metadata.inputMean}`,
    `--input_std=${metadata.inputStd}`,
    `--output_layer=${metadata.outputName}`,
    `--image=${q(image)}`,
  ].join(' ');
}

/** The browser TF.js snippet (ExportResult.tfjsSnippet); see snippets.ts for Node and Python. */
export function tfjsSnippet(metadata: ExportMetadata): string {
  return browserSnippet(metadata);
}
