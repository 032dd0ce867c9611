/**
 * Data health on cached bottlenecks: mislabel suspects (k-fold confident learning),
 * near-duplicates and leakage, outliers, and class balance. Pure functions of features.
 */
export type * from './types.js';
export { runHealthChecks, type HealthOptions } from './audit.js';
export { assignFolds, confidentLearning, outOfFoldProbabilities, DEFAULT_FOLDS, DEFAULT_STEPS_PER_FOLD, type LabelQuality, type OutOfFoldOptions } from './suspects.js';
export { findSimilarPairs, groupDuplicates, DEFAULT_DUPLICATE_THRESHOLD, DEFAULT_MAX_PAIRS, type SimilarPairs, type SimilarPairsOptions } from './duplicates.js';
export { centroidSimilarities, findOutliers, OUTLIER_RULE, OUTLIER_MAD_FACTOR } from './outliers.js';
export { classBalance, BALANCE_RULE, IMBALANCE_RATIO } from './balance.js';
export { normaliseRows, rowDot } from './vectors.js';
export { healthInputFromDataset } from './input.js';
