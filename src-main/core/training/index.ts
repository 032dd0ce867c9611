export { HYPERPARAMETERS, DEFAULT_CONFIG, PRESETS, resolveConfig, hasDistortions, type TrainingConfig, type HyperparameterSpec } from './hyperparameters.js';
export { trainHead, createHead, predictProbabilities, HEAD_OUTPUT_NAME, HEAD_LOGITS_NAME, type TrainHeadOptions, type TrainHeadResult, type SplitFeatures, type MetricPoint } from './trainer.js';
