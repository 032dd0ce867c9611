/**
 * Trains retrain.py's new final layer on bottleneck features: a softmax layer (optionally
 * after one ReLU hidden layer), plain SGD or Adam, random batches with replacement,
 * evaluation every `evalStepInterval` steps and at the last step.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreError, cancelledError } from '../errors.js';
import { createRandom, randomIndex } from '../random.js';
import type { MetricPoint, TrainingConfig } from './types.js';

export type { MetricPoint } from './types.js';

/** Features of one split, row-major `[count, featureSize]`, with class indices. */
export type SplitFeatures = { features: Float32Array; labels: Int32Array; count: number };


export type TrainHeadOptions = {
  config: TrainingConfig;
  featureSize: number;
  classCount: number;
  train: SplitFeatures;
  validation: SplitFeatures;
  /**
   * With distortions on, features of the sampled training images computed afresh
   * (distorted decode + forward pass) instead of read from `train.features`.
   */
  distortedFeatures?: (indices: Int32Array, step: number) => Promise<Float32Array>;
  signal?: AbortSignal;
  /** Called at every evaluation step (retrain.py's summaries). */
  onMetrics?: (point: MetricPoint) => void;
  /** Called at most every `progressIntervalMs` (default 200) and at the last step. */
  onStep?: (step: number, totalSteps: number) => void;
  progressIntervalMs?: number;
};

export type TrainHeadResult = {
  /** Image features → class probabilities; the caller owns it (dispose()). */
  head: tf.Sequential;
  metrics: MetricPoint[];
  durationMs: number;
};

/** Layer names of the head; `final_result` is retrain.py's output tensor name. */
export const HEAD_OUTPUT_NAME = 'final_result';
export const HEAD_LOGITS_NAME = 'final_training_ops';

/** Builds the untrained head (features → probabilities) with seeded initialisers. */
export function createHead(featureSize: number, classCount: number, hiddenUnits: number, seed: number): tf.Sequential {
  const head = tf.sequential({ name: 'retrained_head' });
  if (hiddenUnits > 0) {
    head.add(tf.layers.dense({ inputShape: [featureSize], units: hiddenUnits, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  }
  head.add(
    tf.layers.dense({
      ...(hiddenUnits > 0 ? {} : { inputShape: [featureSize] }),
      units: classCount,
      name: HEAD_LOGITS_NAME,
      // retrain.py: truncated normal, stddev 0.001, zero bias.
      kernelInitializer: tf.initializers.truncatedNormal({ stddev: 0.001, seed: seed + 1 }),
      biasInitializer: 'zeros',
    }),
  );
  head.add(tf.layers.softmax({ name: HEAD_OUTPUT_NAME }));
  return head;
}

/** Logits of the head (every layer but the final softmax), inside the caller's tidy. */
function headLogits(head: tf.Sequential, x: tf.Tensor): tf.Tensor2D {
  let y = x;
  for (const layer of head.layers.slice(0, -1)) y = layer.apply(y) as tf.Tensor;
  return y as tf.Tensor2D;
}

/** Mean accuracy and softmax cross-entropy of `head` on features `x` with labels. */
function measure(head: tf.Sequential, x: tf.Tensor2D, labels: tf.Tensor1D, classCount: number): { accuracy: number; crossEntropy: number } {
  const [accuracy, crossEntropy] = tf.tidy(() => {
    const logits = headLogits(head, x);
    const onehot = tf.oneHot(labels, classCount);
    const xent = tf.losses.softmaxCrossEntropy(onehot, logits);
    const correct = tf.equal(tf.argMax(logits, 1), labels).asType('float32').mean();
    return [correct.dataSync()[0], xent.dataSync()[0]];
  });
  return { accuracy, crossEntropy };
}

/** Indices of a batch: uniform over images, or uniform over classes then images. */
function sampleBatch(random: () => number, size: number, split: SplitFeatures, byClass: Int32Array[] | null): Int32Array {
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    if (byClass) {
      const members = byClass[randomIndex(random, byClass.length)];
      out[i] = members[randomIndex(random, members.length)];
    } else {
      out[i] = randomIndex(random, split.count);
    }
  }
  return out;
}

function indicesByClass(split: SplitFeatures, classCount: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < split.count; i++) lists[split.labels[i]].push(i);
  return lists.filter((l) => l.length > 0).map((l) => Int32Array.from(l));
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Trains a new head. Same config (including `seed`) and same features give the same
 * metrics. Throws CoreError('CANCELLED') when `signal` fires (nothing leaks), and
 * DATASET_INVALID when a split is empty.
 */
export async function trainHead(options: TrainHeadOptions): Promise<TrainHeadResult> {
  const { config, featureSize, classCount, train, validation, signal } = options;
  if (train.count === 0) throw new CoreError('DATASET_INVALID', 'No training images: lower --testing_percentage/--validation_percentage or add images.');
  const started = Date.now();
  const random = createRandom(config.seed);
  const byClass = config.classBalanced ? indicesByClass(train, classCount) : null;
  const head = createHead(featureSize, classCount, config.hiddenUnits, config.seed);
  const optimizer = config.optimizer === 'adam' ? tf.train.adam(config.learningRate) : tf.train.sgd(config.learningRate);
  const variables = head.trainableWeights.map((w) => w.read() as tf.Variable);

  // Batches are assembled in JS: copying rows is far cheaper than tf.gather on wasm/cpu
  // (≈15 ms for 100×1280 there), and the buffers are reused every step.
  const batchFeatures = new Float32Array(config.trainBatchSize * featureSize);
  const batchLabels = new Int32Array(config.trainBatchSize);
  const validX = validation.count > 0 ? tf.tensor2d(validation.features, [validation.count, featureSize]) : null;
  const validY = validation.count > 0 ? tf.tensor1d(validation.labels, 'int32') : null;

  const metrics: MetricPoint[] = [];
  const total = config.howManyTrainingSteps;
  const interval = options.progressIntervalMs ?? 200;
  let lastProgress = 0;
  let lastYield = Date.now();
  let completed = false;
  try {
    for (let step = 1; step <= total; step++) {
      if (signal?.aborted) throw cancelledError('Training');
      const batch = sampleBatch(random, config.trainBatchSize, train, byClass);
      const distorted = options.distortedFeatures ? await options.distortedFeatures(batch, step) : null;
      for (let i = 0; i < batch.length; i++) {
        batchLabels[i] = train.labels[batch[i]];
        if (!distorted) batchFeatures.set(train.features.subarray(batch[i] * featureSize, (batch[i] + 1) * featureSize), i * featureSize);
      }
      const xs = tf.tensor2d(distorted ?? batchFeatures, [batch.length, featureSize]);
      const ys = tf.tensor1d(batchLabels, 'int32');
      try {
        const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(ys as tf.Tensor1D, classCount), headLogits(head, xs)) as tf.Scalar, false, variables);
        cost?.dispose();

        const isEvalStep = step % config.evalStepInterval === 0 || step === total;
        if (isEvalStep) {
          const trainMeasure = measure(head, xs as tf.Tensor2D, ys as tf.Tensor1D, classCount);
          const validMeasure = validX && validY ? measureValidation(head, validation, { x: validX, y: validY }, config.validationBatchSize, random, classCount, featureSize) : { accuracy: NaN, crossEntropy: NaN };
          const now = Date.now();
          const point: MetricPoint = {
            step,
            wallTimeMs: now,
            relativeTimeMs: now - started,
            trainAccuracy: trainMeasure.accuracy,
            trainCrossEntropy: trainMeasure.crossEntropy,
            validationAccuracy: validMeasure.accuracy,
            validationCrossEntropy: validMeasure.crossEntropy,
          };
          metrics.push(point);
          options.onMetrics?.(point);
        }
      } finally {
        xs.dispose();
        ys.dispose();
      }
      const now = Date.now();
      if (options.onStep && (now - lastProgress >= interval || step === total)) {
        lastProgress = now;
        options.onStep(step, total);
      }
      // Let cancellation, IPC and progress events through without slowing small steps.
      if (now - lastYield >= 50) {
        lastYield = now;
        await yieldToEventLoop();
      }
    }
    completed = true;
    return { head, metrics, durationMs: Date.now() - started };
  } finally {
    validX?.dispose();
    validY?.dispose();
    optimizer.dispose();
    if (!completed) head.dispose();
  }
}

function measureValidation(head: tf.Sequential, validation: SplitFeatures, all: { x: tf.Tensor2D; y: tf.Tensor1D }, batchSize: number, random: () => number, classCount: number, featureSize: number): { accuracy: number; crossEntropy: number } {
  if (batchSize === -1) return measure(head, all.x, all.y, classCount);
  const features = new Float32Array(batchSize * featureSize);
  const labels = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const index = randomIndex(random, validation.count);
    labels[i] = validation.labels[index];
    features.set(validation.features.subarray(index * featureSize, (index + 1) * featureSize), i * featureSize);
  }
  const bx = tf.tensor2d(features, [batchSize, featureSize]);
  const by = tf.tensor1d(labels, 'int32');
  try {
    return measure(head, bx, by, classCount);
  } finally {
    bx.dispose();
    by.dispose();
  }
}

/** Class probabilities of `head` for row-major features, in batches. */
export function predictProbabilities(head: tf.LayersModel, features: Float32Array, count: number, featureSize: number, batchSize = 1024): Float32Array {
  const classCount = (head.outputs[0].shape[1] as number) ?? 0;
  const out = new Float32Array(count * classCount);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const probs = tf.tidy(() => head.predict(tf.tensor2d(features.subarray(start * featureSize, (start + n) * featureSize), [n, featureSize])) as tf.Tensor);
    out.set(probs.dataSync() as Float32Array, start * classCount);
    probs.dispose();
  }
  return out;
}
