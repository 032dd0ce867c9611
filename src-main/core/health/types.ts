/** Plain data types of the data-health checks (no tfjs, no Node). */
import type { Split } from '../dataset/types.js';

/** One image as the checks see it; `features` row `i` belongs to `images[i]`. */
export type HealthImage = {
  /** Path relative to the dataset root, posix separators, e.g. `roses/1.jpg`. */
  path: string;
  /** Class index into `classes`. */
  label: number;
  split: Split;
  /** sha256 of the file's bytes (from the scan): equal hashes are exact duplicates. */
  contentHash: string;
};

/** Row-major features `[count, featureSize]` of `images`, as cached bottlenecks. */
export type HealthInput = {
  images: HealthImage[];
  classes: string[];
  features: Float32Array;
  featureSize: number;
};

/** An image whose given label is probably wrong. */
export type Suspect = {
  path: string;
  label: string;
  /** The class the out-of-fold heads put first (other than the label). */
  suggested: string;
  /** (1 − normalized margin) / 2 = (1 + p[suggested] − p[label]) / 2 in [0, 1]; higher = more likely mislabelled. */
  score: number;
  /** Out-of-fold probability of the given label (cleanlab's self-confidence). */
  selfConfidence: number;
  split: Split;
};

export type DuplicateKind = 'leakage' | 'conflicting' | 'redundant';

/** A group of (near-)identical images. */
export type DuplicateGroup = {
  paths: string[];
  /** Lowest cosine similarity among the pairs that joined the group (1 for byte-identical files). */
  similarity: number;
  /** conflicting (labels differ) before leakage (splits differ) before redundant. */
  kind: DuplicateKind;
  /** Every file has the same bytes. */
  exact: boolean;
  splits: Split[];
  labels: string[];
  /** What to do, for a person. */
  fix: string;
};

/** An image far from every class centroid. */
export type Outlier = {
  path: string;
  label: string;
  /** 1 − the highest cosine similarity to any class centroid (its own left out of its centroid). */
  score: number;
  /** Cosine similarity to its own class's centroid. */
  ownSimilarity: number;
  split: Split;
};

export type ClassBalance = { name: string; total: number; train: number; validation: number; test: number };

export type BalanceReport = {
  classes: ClassBalance[];
  /** Largest class total / smallest (Infinity when one is empty). */
  ratio: number;
  /** Why the balance deserves attention, for a person; empty when it is fine. */
  warnings: string[];
};

export type HealthReport = {
  images: number;
  classes: string[];
  suspects: Suspect[];
  duplicates: DuplicateGroup[];
  outliers: Outlier[];
  balance: BalanceReport;
  /** The settings the results depend on, stated with them. */
  settings: {
    folds: number;
    seed: number;
    stepsPerFold: number;
    duplicateThreshold: number;
    outlierRule: string;
    balanceRule: string;
  };
  timings: { suspectsMs: number; duplicatesMs: number; outliersMs: number };
};
