/** All data-health checks on one dataset's cached bottlenecks, as one report. */
import { CoreError } from '../errors.js';
import { classBalance, BALANCE_RULE } from './balance.js';
import { DEFAULT_DUPLICATE_THRESHOLD, findSimilarPairs, groupDuplicates } from './duplicates.js';
import { findOutliers, OUTLIER_RULE } from './outliers.js';
import { confidentLearning, DEFAULT_FOLDS, DEFAULT_STEPS_PER_FOLD, outOfFoldProbabilities } from './suspects.js';
import type { HealthInput, HealthReport, Suspect } from './types.js';
import { normaliseRows } from './vectors.js';

export type HealthOptions = {
  folds?: number;
  seed?: number;
  stepsPerFold?: number;
  learningRate?: number;
  duplicateThreshold?: number;
  signal?: AbortSignal;
  onPhase?: (message: string) => void;
};

export async function runHealthChecks(input: HealthInput, options: HealthOptions = {}): Promise<HealthReport> {
  const { images, classes, features, featureSize } = input;
  if (features.length !== images.length * featureSize) {
    throw new CoreError('INVALID_ARGUMENT', `Data health: ${features.length} feature values for ${images.length} images of ${featureSize}.`);
  }
  const folds = options.folds ?? DEFAULT_FOLDS;
  const seed = options.seed ?? 0;
  const stepsPerFold = options.stepsPerFold ?? DEFAULT_STEPS_PER_FOLD;
  const threshold = options.duplicateThreshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  const labels = Int32Array.from(images, (image) => image.label);

  options.onPhase?.(`Mislabel suspects: ${folds}-fold heads on ${images.length} images`);
  let t0 = performance.now();
  const probabilities = await outOfFoldProbabilities(features, labels, featureSize, classes.length, { folds, seed, stepsPerFold, learningRate: options.learningRate, signal: options.signal });
  const quality = confidentLearning(probabilities, labels, classes.length);
  const suspects: Suspect[] = [];
  quality.forEach((q, i) => {
    if (q.issue) suspects.push({ path: images[i].path, label: classes[labels[i]], suggested: classes[q.suggested], score: q.score, selfConfidence: q.selfConfidence, split: images[i].split });
  });
  suspects.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1));
  const suspectsMs = performance.now() - t0;

  options.onPhase?.(`Near-duplicates: cosine ≥ ${threshold}`);
  t0 = performance.now();
  const normalised = normaliseRows(features, images.length, featureSize);
  const pairs = await findSimilarPairs(normalised, images.length, featureSize, { threshold, signal: options.signal });
  const duplicates = groupDuplicates(images, classes, pairs);
  const duplicatesMs = performance.now() - t0;

  options.onPhase?.('Outliers');
  t0 = performance.now();
  const outliers = findOutliers(normalised, images, classes, featureSize);
  const outliersMs = performance.now() - t0;

  return {
    images: images.length,
    classes,
    suspects,
    duplicates,
    outliers,
    balance: classBalance(images, classes),
    settings: { folds, seed, stepsPerFold, duplicateThreshold: threshold, outlierRule: OUTLIER_RULE, balanceRule: BALANCE_RULE },
    timings: { suspectsMs, duplicatesMs, outliersMs },
  };
}
