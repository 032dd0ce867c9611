/**
 * k-fold cross-validation of a run (issue 10, item 11): with a small test split every run reads
 * the same accuracy, so the run's hyperparameters are re-trained k times on the cached
 * bottlenecks of its dataset, each fold held out once (core/health's seeded, stratified
 * out-of-fold heads), and the folds' accuracies give a mean and a spread. Seconds, not minutes:
 * no image is decoded when the bottlenecks are cached.
 */
import { computeBottlenecks, type BottleneckCache, type FeatureEngine } from '../../core/bottlenecks/index.js';
import type { Dataset } from '../../core/dataset/index.js';
import { CoreError } from '../../core/errors.js';
import { assignFolds, outOfFoldProbabilities } from '../../core/health/index.js';
import type { RunStore } from '../../core/runs/index.js';
import { hasDistortions } from '../../core/training/index.js';
import { CROSS_VALIDATION, type CoreApi, type CrossValidation } from '../contract.js';
import { datasetId } from './datasets.js';
import type { EngineArea } from './settings.js';

export type CrossValidateDeps = {
  runs: RunStore;
  cache: BottleneckCache;
  features: FeatureEngine;
  engine: Pick<EngineArea, 'allowOnnx' | 'noteFeatureEngine'>;
  datasets: { get(id: string): Dataset };
};

/** Accuracy of each fold and of all folds pooled, from out-of-fold probabilities. */
export function foldAccuracies(probabilities: Float32Array, labels: Int32Array, fold: Int32Array, folds: number, classCount: number): { perFold: number[]; correct: number } {
  const right = new Array<number>(folds).fill(0);
  const total = new Array<number>(folds).fill(0);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) if (probabilities[i * classCount + c] > probabilities[i * classCount + best]) best = c;
    total[fold[i]]++;
    if (best === labels[i]) {
      right[fold[i]]++;
      correct++;
    }
  }
  return { perFold: right.flatMap((r, f) => (total[f] > 0 ? [r / total[f]] : [])), correct };
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanAndSpread(values: number[]): { mean: number; spread: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, spread: Math.sqrt(variance) };
}

export function createCrossValidateApi(deps: CrossValidateDeps): Pick<CoreApi, 'crossValidateRun'> {
  /** One cross-validation per run at a time: a second click waits for the first's answer. */
  const inFlight = new Map<string, Promise<CrossValidation>>();

  const crossValidate = async (runId: string, folds: number): Promise<CrossValidation> => {
    const started = Date.now();
    const record = await deps.runs.get(runId);
    if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${record.name} is ${record.status}; cross-validate a completed run.`);
    let dataset: Dataset;
    try {
      dataset = deps.datasets.get(datasetId(record.datasetRoot));
    } catch {
      throw new CoreError('NOT_FOUND', `Cross-validation reads the cached bottlenecks of ${record.datasetRoot}: open that folder on the Dataset page first, then try again.`);
    }
    const images = dataset.classes.flatMap((c, label) => c.images.map((image) => ({ image, label })));
    if (images.length < folds * 2) throw new CoreError('DATASET_INVALID', `${folds}-fold cross-validation needs at least ${folds * 2} images; ${record.datasetRoot} has ${images.length}.`);
    const choice = await deps.features.choose(record.model, dataset, deps.engine.allowOnnx());
    deps.engine.noteFeatureEngine(choice.note);
    const bottlenecks = await computeBottlenecks({
      images: images.map(({ image }) => ({ path: image.path, contentHash: image.contentHash })),
      extractor: choice.extractor,
      cache: deps.cache,
    });
    const kept = images.flatMap(({ label }, i) => (bottlenecks.vectors[i] ? [{ label, vector: bottlenecks.vectors[i]! }] : []));
    const featureSize = bottlenecks.featureSize;
    const features = new Float32Array(kept.length * featureSize);
    kept.forEach((k, i) => features.set(k.vector, i * featureSize));
    const labels = Int32Array.from(kept, (k) => k.label);
    const classCount = dataset.classes.length;
    const { config } = record;
    const probabilities = await outOfFoldProbabilities(features, labels, featureSize, classCount, {
      folds,
      seed: config.seed,
      stepsPerFold: config.howManyTrainingSteps,
      learningRate: config.learningRate,
      head: { optimizer: config.optimizer, trainBatchSize: config.trainBatchSize, hiddenUnits: config.hiddenUnits, classBalanced: config.classBalanced },
    });
    // The same seeded assignment outOfFoldProbabilities dealt the images with.
    const fold = assignFolds(labels, classCount, folds, config.seed);
    const { perFold, correct } = foldAccuracies(probabilities, labels, fold, folds, classCount);
    return {
      runId,
      folds,
      images: kept.length,
      foldAccuracies: perFold,
      ...meanAndSpread(perFold),
      correct,
      stepsPerFold: config.howManyTrainingSteps,
      distortionsIgnored: hasDistortions(config),
      durationMs: Date.now() - started,
    };
  };

  return {
    crossValidateRun: ({ runId, folds = CROSS_VALIDATION.defaultFolds }) => {
      const key = `${runId}/${folds}`;
      let running = inFlight.get(key);
      if (!running) {
        running = crossValidate(runId, folds).finally(() => inFlight.delete(key));
        inFlight.set(key, running);
      }
      return running;
    },
  };
}
