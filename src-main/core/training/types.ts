/**
 * Plain data types of training (no tfjs, no Node): the API contract re-exports them,
 * so the renderer compiles against exactly what core produces.
 */

/** retrain.py's hyperparameters (camelCase here; snake_case flag names in HYPERPARAMETERS). */
export type TrainingConfig = {
  /** Model id: a catalog id such as `mobilenet_0.50_224`, or an imported model's id. */
  architecture: string;
  howManyTrainingSteps: number;
  learningRate: number;
  optimizer: 'sgd' | 'adam';
  trainBatchSize: number;
  /** -1 = the whole validation set each evaluation. */
  validationBatchSize: number;
  /** -1 = the whole test set. */
  testBatchSize: number;
  evalStepInterval: number;
  testingPercentage: number;
  validationPercentage: number;
  flipLeftRight: boolean;
  randomCrop: number;
  randomScale: number;
  randomBrightness: number;
  /** 0 = softmax layer only; >0 adds one ReLU hidden layer of this width. */
  hiddenUnits: number;
  classBalanced: boolean;
  /** Loss weight per class: `none`, `inverse` (inverse frequency) or `label=weight,…` (see class-weights.ts). */
  classWeights: string;
  seed: number;
};

/** One row of the hyperparameter table: retrain.py's flag name, default and bounds. */
export type HyperparameterSpec = {
  key: keyof TrainingConfig;
  /** retrain.py's flag name, e.g. `how_many_training_steps`. */
  flag: string;
  type: 'integer' | 'number' | 'boolean' | 'string';
  default: number | boolean | string;
  min?: number;
  max?: number;
  choices?: string[];
  /** For free-text strings: the accepted shape as a regular expression (the API's validator uses it). */
  pattern?: string;
  help: string;
};

/** A named starting point, e.g. the codelab's settings. */
export type Preset = { id: string; name: string; description: string; config: Partial<TrainingConfig> };

/** One evaluation step's scalars (retrain.py's summaries). */
export type MetricPoint = {
  step: number;
  /** Milliseconds since the epoch. */
  wallTimeMs: number;
  /** Milliseconds since training started. */
  relativeTimeMs: number;
  trainAccuracy: number;
  trainCrossEntropy: number;
  validationAccuracy: number;
  validationCrossEntropy: number;
};
