/**
 * The classifiers the app labels with: a finished run (its backbone + the head it trained)
 * and an imported full classifier with a labels file.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { loadClassifier } from '../models/index.js';
import type { FeatureExtractor, ModelInfo } from '../models/types.js';
import type { RunStore } from '../runs/store.js';
import { loadLayersModelFromDir } from '../tf/file-io.js';
import { applyTemperature, readTemperature } from '../training/calibration.js';
import { readLabels, type ImageClassifier } from './index.js';

/**
 * Features → probabilities with a trained head, `[count, featureSize]` in, `[count, classes]`
 * out. The head stays owned by the caller.
 */
export function headPredictor(head: tf.LayersModel, featureSize: number): (features: Float32Array, count: number) => Promise<Float32Array> {
  return async (features, count) => {
    const probabilities = tf.tidy(() => head.predict(tf.tensor2d(features, [count, featureSize])) as tf.Tensor);
    try {
      return (await probabilities.data()) as Float32Array;
    } finally {
      probabilities.dispose();
    }
  };
}

/**
 * Loads run `runId`'s classifier: its head and labels from `<run>/model/`, on the backbone
 * `loadExtractor` gives for the run's model (TF.js, so labelling matches the export exactly),
 * asked for again at each prediction: the extractor stays owned by whoever cached it, and
 * may be replaced there. The run's temperature (model/calibration.json) is applied to the head,
 * so probabilities are calibrated, as in the export. dispose() releases the head only.
 * @throws CoreError INVALID_ARGUMENT when the run is not completed; NOT_FOUND for an unknown run
 */
export async function loadRunClassifier(runs: RunStore, runId: string, loadExtractor: (info: ModelInfo) => Promise<FeatureExtractor>): Promise<ImageClassifier> {
  const record = await runs.get(runId);
  if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${runId} is ${record.status}; only completed runs can classify.`);
  const modelDir = path.join(await runs.runDir(runId), 'model');
  const head = await loadLayersModelFromDir(modelDir);
  try {
    const labels = await readLabels(path.join(modelDir, 'labels.txt'));
    applyTemperature(head, await readTemperature(modelDir));
    const extractor = await loadExtractor(record.model);
    const predictHead = headPredictor(head, extractor.info.featureSize);
    return {
      spec: record.model.spec,
      labels,
      engine: extractor.engine,
      // Asked for at each call: the cache may have disposed the first one (evicted, or the engine changed).
      predict: async (pixels, count) => predictHead(await (await loadExtractor(record.model)).extract(pixels, count), count),
      dispose: () => head.dispose(),
    };
  } catch (error) {
    head.dispose();
    throw error;
  }
}

/**
 * A full classifier (imported with a labels file) as an ImageClassifier on the current TF.js backend.
 * @throws CoreError INVALID_ARGUMENT when the model has no labels; what loadClassifier throws
 */
export async function loadLabelledModelClassifier(info: ModelInfo): Promise<ImageClassifier> {
  if (!info.labels?.length) throw new CoreError('INVALID_ARGUMENT', `${info.name} has no labels file: import it with one, or classify with a trained run.`);
  const loaded = await loadClassifier(info);
  return { spec: info.spec, labels: info.labels, engine: `tfjs-${tf.getBackend()}`, predict: loaded.predict, dispose: loaded.dispose };
}
