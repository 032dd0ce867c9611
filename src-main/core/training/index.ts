export { HYPERPARAMETERS, DEFAULT_CONFIG, PRESETS, resolveConfig, hasDistortions } from './hyperparameters.js';
export type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from './types.js';
export { trainHead, createHead, predictProbabilities, HEAD_OUTPUT_NAME, HEAD_LOGITS_NAME, type TrainHeadOptions, type TrainHeadResult, type SplitFeatures, type HeadTrainer, fusedUnsupported } from './trainer.js';
export { parseClassWeights, resolveClassWeights, checkClassWeightNames, CLASS_WEIGHTS_PATTERN, type ClassWeightsSpec } from './class-weights.js';
