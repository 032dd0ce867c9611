/**
 * Dataset: scan a folder of class folders into classes, images (content-hashed) and issues,
 * with a stable train/validation/test split (retrain.py's hashing, on class-relative paths).
 */
export { scanDataset, resplit, assertTrainable, labelFor, isHiddenName, MIN_IMAGES_PER_CLASS, RECOMMENDED_IMAGES_PER_CLASS, type ScanOptions } from './scan.js';
export { DEFAULT_MAX_SCAN_FILES } from './walk.js';
export {
  splitFor,
  splitPercentage,
  splitHashName,
  splitFromPercentage,
  assignSplits,
  validateSplitPercents,
  MAX_NUM_IMAGES_PER_CLASS,
  type Split,
  type SplitInput,
} from './split.js';
export type { Dataset, DatasetClass, DatasetImage, DatasetIssue } from './types.js';
export { exclusionsFile, readExclusions, excludeFiles, restoreFiles, exclusionFilter, normaliseDatasetPath, type Exclusion } from './exclusions.js';
export { fixLogFile, readFixLog, moveToClass, undoMove, type MoveFix } from './fixes.js';
