export { HYPERPARAMETERS, DEFAULT_CONFIG, PRESETS, resolveConfig, hasDistortions } from './hyperparameters.js';
export type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from './types.js';
export { trainHead, createHead, predictProbabilities, HEAD_OUTPUT_NAME, HEAD_LOGITS_NAME, type TrainHeadOptions, type TrainHeadResult, type SplitFeatures } from './trainer.js';
