/**
 * retrain.py's hyperparameters as a data table: flag names, defaults and bounds. The CLI,
 * the renderer's form and validation are all generated from it.
 */
import { CoreError } from '../errors.js';
import { CLASS_WEIGHTS_PATTERN, parseClassWeights } from './class-weights.js';
import type { HyperparameterSpec, Preset, TrainingConfig } from './types.js';

export type { HyperparameterSpec, Preset, TrainingConfig } from './types.js';

/** Every hyperparameter with retrain.py's flag name and default. */
export const HYPERPARAMETERS: readonly HyperparameterSpec[] = [
  { key: 'architecture', flag: 'architecture', type: 'string', default: 'mobilenet_1.0_224', help: 'Which model architecture to use (a catalog id or an imported model).' },
  { key: 'howManyTrainingSteps', flag: 'how_many_training_steps', type: 'integer', default: 4000, min: 1, max: 1_000_000, help: 'How many training steps to run before ending.' },
  { key: 'learningRate', flag: 'learning_rate', type: 'number', default: 0.01, min: 1e-7, max: 100, help: 'How large a learning rate to use when training.' },
  { key: 'optimizer', flag: 'optimizer', type: 'string', default: 'sgd', choices: ['sgd', 'adam'], help: 'sgd is plain gradient descent, as retrain.py; adam converges faster at small learning rates.' },
  { key: 'trainBatchSize', flag: 'train_batch_size', type: 'integer', default: 100, min: 1, max: 100_000, help: 'How many images to train on at a time.' },
  { key: 'validationBatchSize', flag: 'validation_batch_size', type: 'integer', default: 100, min: -1, max: 100_000, help: 'How many images to use in an evaluation batch (-1 = the whole validation set).' },
  { key: 'testBatchSize', flag: 'test_batch_size', type: 'integer', default: -1, min: -1, max: 100_000, help: 'How many images to test on (-1 = the whole test set).' },
  { key: 'evalStepInterval', flag: 'eval_step_interval', type: 'integer', default: 10, min: 1, max: 1_000_000, help: 'How often to evaluate the training results.' },
  { key: 'testingPercentage', flag: 'testing_percentage', type: 'number', default: 10, min: 0, max: 90, help: 'What percentage of images to use as a test set.' },
  { key: 'validationPercentage', flag: 'validation_percentage', type: 'number', default: 10, min: 0, max: 90, help: 'What percentage of images to use as a validation set.' },
  { key: 'flipLeftRight', flag: 'flip_left_right', type: 'boolean', default: false, help: 'Randomly flip half of the training images horizontally (bypasses the bottleneck cache).' },
  { key: 'randomCrop', flag: 'random_crop', type: 'number', default: 0, min: 0, max: 100, help: 'A percentage of margin to randomly crop off the training images.' },
  { key: 'randomScale', flag: 'random_scale', type: 'number', default: 0, min: 0, max: 100, help: 'A percentage by which to randomly scale up the training images.' },
  { key: 'randomBrightness', flag: 'random_brightness', type: 'number', default: 0, min: 0, max: 100, help: 'A percentage by which to randomly multiply the training images’ pixel values.' },
  { key: 'hiddenUnits', flag: 'hidden_units', type: 'integer', default: 0, min: 0, max: 4096, help: 'Width of an optional ReLU hidden layer before the softmax (0 = none, as retrain.py).' },
  { key: 'classBalanced', flag: 'class_balanced', type: 'boolean', default: false, help: 'Sample training batches evenly across classes instead of uniformly over images.' },
  { key: 'classWeights', flag: 'class_weights', type: 'string', default: 'none', pattern: CLASS_WEIGHTS_PATTERN, help: 'Weight of each class in the loss: none, inverse (inverse frequency over the training images) or label=weight pairs such as daisy=2,roses=0.5 (others weigh 1).' },
  { key: 'seed', flag: 'seed', type: 'integer', default: 0, min: 0, max: 2 ** 31 - 1, help: 'Random seed: the same seed and data give the same metrics.' },
];

/** retrain.py's defaults. */
export const DEFAULT_CONFIG: TrainingConfig = Object.fromEntries(HYPERPARAMETERS.map((h) => [h.key, h.default])) as TrainingConfig;

/** Named starting points, e.g. the codelab's settings. */
export const PRESETS: Preset[] = [
  { id: 'codelab', name: 'TensorFlow for Poets codelab', description: 'mobilenet_0.50_224, 500 steps, as the codelab ran it.', config: { architecture: 'mobilenet_0.50_224', howManyTrainingSteps: 500 } },
  { id: 'retrain-defaults', name: 'retrain.py defaults', description: 'inception_v3, 4000 steps, learning rate 0.01.', config: { architecture: 'inception_v3', howManyTrainingSteps: 4000 } },
  { id: 'quick', name: 'Quick check', description: '200 steps with Adam: a fast first look at a new dataset.', config: { howManyTrainingSteps: 200, optimizer: 'adam' as const, learningRate: 0.001 } },
  { id: 'augmented', name: 'With distortions', description: 'Flip, crop, scale and brightness distortions (slow: bypasses the cache).', config: { flipLeftRight: true, randomCrop: 10, randomScale: 10, randomBrightness: 10, howManyTrainingSteps: 500 } },
];

/** True when any distortion is on (those steps recompute features and bypass the cache). */
export function hasDistortions(config: TrainingConfig): boolean {
  return config.flipLeftRight || config.randomCrop > 0 || config.randomScale > 0 || config.randomBrightness > 0;
}

/**
 * Fills defaults and checks every value against the table. Throws
 * CoreError('INVALID_ARGUMENT') naming the flag and its accepted range.
 */
export function resolveConfig(partial: Partial<TrainingConfig>): TrainingConfig {
  const config = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    const spec = HYPERPARAMETERS.find((h) => h.key === key);
    if (!spec) throw new CoreError('INVALID_ARGUMENT', `Unknown hyperparameter "${key}". Known: ${HYPERPARAMETERS.map((h) => h.key).join(', ')}.`);
    (config as Record<string, unknown>)[key] = checkValue(spec, value);
  }
  if (config.testingPercentage + config.validationPercentage >= 100) {
    throw new CoreError('INVALID_ARGUMENT', `--testing_percentage (${config.testingPercentage}) + --validation_percentage (${config.validationPercentage}) must leave images for training (sum < 100).`);
  }
  return config;
}

function checkValue(spec: HyperparameterSpec, value: unknown): unknown {
  const fail = (what: string): never => {
    throw new CoreError('INVALID_ARGUMENT', `--${spec.flag}: ${what} (got ${JSON.stringify(value)}).`);
  };
  switch (spec.type) {
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be true or false');
      return value;
    case 'string':
      if (typeof value !== 'string' || value.length === 0) fail('must be a non-empty string');
      if (spec.choices && !spec.choices.includes(value as string)) fail(`must be one of ${spec.choices.join(', ')}`);
      if (spec.key === 'classWeights') parseClassWeights(value as string);
      return value;
    default: {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('must be a number');
      const n = value as number;
      if (spec.type === 'integer' && !Number.isInteger(n)) fail('must be a whole number');
      if (spec.key === 'validationBatchSize' || spec.key === 'testBatchSize') {
        if (n === 0 || n < -1) fail('must be -1 (all) or a positive number');
      }
      if (spec.min !== undefined && n < spec.min) fail(`must be ≥ ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be ≤ ${spec.max}`);
      return n;
    }
  }
}
