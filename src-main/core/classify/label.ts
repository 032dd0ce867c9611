/**
 * label_image.py, reborn: classify one image with an exported model (whose metadata.json
 * says how to feed it) or with any TF.js classifier plus a labels file and input flags.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import type { PreprocessSpec } from '../images/spec.js';
import * as tf from '@tensorflow/tfjs';
import { inspectModelDir, loadClassifier, modelIO, type ModelInfo } from '../models/index.js';
import { classifyImage, checkLabelFlags, loadExportedClassifier, readLabels, type ClassifyResult, type ImageClassifier, type LabelFlags } from './index.js';

export type LabelRequest = LabelFlags & {
  /** Export folder, or any TF.js classifier folder / its model.json. */
  graph: string;
  labels?: string;
  image: string;
  topK?: number;
  /** For non-export models: how to fit the image (label_image.py resized the whole image). */
  crop?: PreprocessSpec['crop'];
};

/** The model a `label` request names, without the image: what `--graph`, `--labels` and the input flags select. */
export type LabelModelRequest = Omit<LabelRequest, 'image' | 'topK'>;

/**
 * Loads the classifier `label` uses for `request` (an export with its metadata, or a TF.js
 * classifier with a labels file and input flags); the caller disposes it.
 * @throws CoreError INPUT_MISMATCH when flags contradict the model; INVALID_ARGUMENT without labels
 */
export async function loadLabelClassifier(request: LabelModelRequest): Promise<ImageClassifier> {
  const dir = request.graph.endsWith('.json') ? path.dirname(request.graph) : request.graph;
  const isExport = await stat(path.join(dir, 'metadata.json')).then(() => true, () => false);
  let classifier: ImageClassifier;
  if (isExport) {
    const exported = await loadExportedClassifier(dir, request.labels);
    checkLabelFlags(exported.metadata, request);
    classifier = exported;
  } else {
    if (!request.labels) throw new CoreError('INVALID_ARGUMENT', `${dir} is not a Retrain Studio export: pass --labels (one label per line) for its classes.`);
    const model = await inspectModelDir(dir);
    const io = modelIO(model);
    const [, declaredHeight, declaredWidth] = io.inputShape;
    const height = request.inputHeight ?? declaredHeight;
    const width = request.inputWidth ?? declaredWidth;
    if (!height || !width) throw new CoreError('INVALID_ARGUMENT', `The input size of ${dir} is not declared: pass --input_height and --input_width.`);
    if ((declaredHeight && declaredHeight !== height) || (declaredWidth && declaredWidth !== width)) {
      throw new CoreError('INPUT_MISMATCH', `--input_height/--input_width ${height}×${width} contradict the model's input ${JSON.stringify(io.inputShape)}: use --input_height=${declaredHeight} --input_width=${declaredWidth}.`);
    }
    const spec: PreprocessSpec = {
      heightPx: height,
      widthPx: width,
      crop: request.crop ?? 'squash',
      // label_image.py's defaults: mean 0, std 255 → [0, 1].
      normalization: { kind: 'meanStd', mean: request.inputMean ?? 0, std: request.inputStd ?? 255 },
    };
    const labels = await readLabels(request.labels);
    const info: ModelInfo = { id: `file:${dir}`, name: path.basename(dir), origin: 'imported', format: model.format, dir, spec, ...io, bottleneckNode: io.outputNode, featureSize: labels.length, labels };
    // The models concern knows logits from probabilities (softmax applied when needed).
    const loaded = await loadClassifier(info);
    classifier = { spec, labels, engine: `tfjs-${tf.getBackend()}`, predict: loaded.predict, dispose: loaded.dispose };
  }
  return classifier;
}

/** Classifies one image; throws INPUT_MISMATCH when flags contradict the model. */
export async function labelImage(request: LabelRequest): Promise<ClassifyResult & { labels: string[] }> {
  const classifier = await loadLabelClassifier(request);
  try {
    const result = await classifyImage(classifier, request.image, request.topK ?? 5);
    return { ...result, labels: classifier.labels };
  } finally {
    classifier.dispose();
  }
}
