/**
 * Trains retrain.py's new final layer on bottleneck features: a softmax layer (optionally
 * after one ReLU hidden layer), plain SGD or Adam, random batches with replacement,
 * evaluation every `evalStepInterval` steps and at the last step, optional class weights
 * in the loss. A softmax-only head trains with one fused step per batch (fused-softmax.ts);
 * a hidden layer trains on TF.js. Either way the result is the same TF.js head.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreError, cancelledError } from '../errors.js';
import { createRandom, randomIndex } from '../random.js';
import { resolveClassWeights } from './class-weights.js';
import { FusedSoftmaxLayer, type FusedKernels, type RowSet } from './fused-softmax.js';
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
  /** Class names in label order; needed when `config.classWeights` names classes. */
  classNames?: readonly string[];
  /**
   * 'auto' (default): the fused step where it can run the configuration (see fusedUnsupported),
   * else TF.js. 'fused' / 'tfjs' force one (tests, bench); 'fused' throws where it cannot run.
   */
  trainer?: 'auto' | 'fused' | 'tfjs';
  /** Fused step's kernels: WebAssembly SIMD where available (default), or plain JS loops. */
  fusedKernels?: FusedKernels;
};

export type TrainHeadResult = {
  /** Image features → class probabilities; the caller owns it (dispose()). */
  head: tf.Sequential;
  metrics: MetricPoint[];
  durationMs: number;
  trainer: HeadTrainer;
  /** Why the TF.js trainer ran when 'auto' was asked. */
  trainerNote?: string;
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

/** Which step ran: one fused softmax step (WebAssembly SIMD or JS loops), or TF.js kernels. */
export type HeadTrainer = 'fused-wasm-simd' | 'fused-js' | 'tfjs';

/**
 * Why a configuration cannot take the fused step, or null when it can. The fused step trains
 * one softmax layer; a hidden layer (ReLU + second GEMM and its backward) stays on TF.js.
 */
export function fusedUnsupported(config: TrainingConfig): string | null {
  if (config.hiddenUnits > 0) return `--hidden_units ${config.hiddenUnits}: the fused step trains a single softmax layer; a hidden layer trains on TF.js`;
  return null;
}

/** One training step and the evaluations, on whichever trainer runs them. */
type StepRunner = {
  trainer: HeadTrainer;
  /** A step on rows `batch` of the train split, or on `distorted` rows given for this step. */
  step(batch: Int32Array, distorted: Float32Array | null, labels: Int32Array, exampleWeights: Float32Array | null): void;
  /** Accuracy and cross-entropy on the batch just trained on, after its update. */
  measureBatch(batch: Int32Array, distorted: Float32Array | null, labels: Int32Array): { accuracy: number; crossEntropy: number };
  /** On validation rows `indices` (null = all). */
  measureValidation(indices: Int32Array | null, labels: Int32Array): { accuracy: number; crossEntropy: number };
  /** The trained head (weights written into it); the caller owns it. */
  finish(): tf.Sequential;
  dispose(): void;
};

/**
 * Trains a new head. Same config (including `seed`) and same features give the same
 * metrics; the fused and TF.js trainers give the same run within float rounding. Throws
 * CoreError('CANCELLED') when `signal` fires (nothing leaks), and DATASET_INVALID when a
 * split is empty.
 */
export async function trainHead(options: TrainHeadOptions): Promise<TrainHeadResult> {
  const { config, classCount, train, validation, signal } = options;
  if (train.count === 0) throw new CoreError('DATASET_INVALID', 'No training images: lower --testing_percentage/--validation_percentage or add images.');
  const started = Date.now();
  const random = createRandom(config.seed);
  const byClass = config.classBalanced ? indicesByClass(train, classCount) : null;
  const classWeights = resolveClassWeights(config.classWeights, train, classCount, options.classNames);
  const unsupported = fusedUnsupported(config);
  const wanted = options.trainer ?? 'auto';
  if (wanted === 'fused' && unsupported) throw new CoreError('INVALID_ARGUMENT', `The fused trainer cannot run this configuration: ${unsupported}.`);
  const useFused = wanted === 'fused' || (wanted === 'auto' && !unsupported);
  const runner = useFused ? createFusedRunner(options) : createTfjsRunner(options);

  const batchLabels = new Int32Array(config.trainBatchSize);
  const exampleWeights = classWeights ? new Float32Array(config.trainBatchSize) : null;
  const validBatch = validation.count > 0 && config.validationBatchSize !== -1 ? config.validationBatchSize : 0;
  const validIndices = new Int32Array(validBatch);
  const validLabels = validBatch > 0 ? new Int32Array(validBatch) : validation.labels;

  const metrics: MetricPoint[] = [];
  const total = config.howManyTrainingSteps;
  const interval = options.progressIntervalMs ?? 200;
  let lastProgress = 0;
  let lastYield = Date.now();
  try {
    for (let step = 1; step <= total; step++) {
      if (signal?.aborted) throw cancelledError('Training');
      const batch = sampleBatch(random, config.trainBatchSize, train, byClass);
      const distorted = options.distortedFeatures ? await options.distortedFeatures(batch, step) : null;
      for (let i = 0; i < batch.length; i++) {
        batchLabels[i] = train.labels[batch[i]];
        if (exampleWeights && classWeights) exampleWeights[i] = classWeights[batchLabels[i]];
      }
      runner.step(batch, distorted, batchLabels, exampleWeights);

      if (step % config.evalStepInterval === 0 || step === total) {
        // Metrics are the plain (unweighted) accuracy and cross-entropy, comparable across runs.
        const trainMeasure = runner.measureBatch(batch, distorted, batchLabels);
        let validMeasure = { accuracy: NaN, crossEntropy: NaN };
        if (validation.count > 0) {
          if (validBatch > 0) {
            for (let i = 0; i < validBatch; i++) {
              validIndices[i] = randomIndex(random, validation.count);
              validLabels[i] = validation.labels[validIndices[i]];
            }
            validMeasure = runner.measureValidation(validIndices, validLabels);
          } else {
            validMeasure = runner.measureValidation(null, validLabels);
          }
        }
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
    const head = runner.finish();
    return { head, metrics, durationMs: Date.now() - started, trainer: runner.trainer, ...(unsupported && !useFused ? { trainerNote: unsupported } : {}) };
  } finally {
    // Frees the runner's buffers, and the head unless finish() handed it over.
    runner.dispose();
  }
}

/** The fused softmax step (fused-softmax.ts): the head's seeded initial weights in, trained weights out. */
function createFusedRunner(options: TrainHeadOptions): StepRunner {
  const { config, featureSize, classCount, train, validation } = options;
  const head = createHead(featureSize, classCount, 0, config.seed);
  const logitsLayer = head.getLayer(HEAD_LOGITS_NAME);
  let layer: FusedSoftmaxLayer;
  try {
    const [kernel, bias] = logitsLayer.getWeights().map((w) => w.dataSync() as Float32Array);
    layer = new FusedSoftmaxLayer({
      featureSize,
      classCount,
      kernel,
      bias,
      optimizer: { kind: config.optimizer, learningRate: config.learningRate },
      reserveRows: (options.distortedFeatures ? config.trainBatchSize : train.count) + validation.count,
      ...(options.fusedKernels ? { kernels: options.fusedKernels } : {}),
    });
  } catch (error) {
    head.dispose();
    throw error;
  }
  // Rows are copied once into the kernels' memory; distorted rows arrive per step into a batch area.
  const trainRows = options.distortedFeatures ? layer.addRows(new Float32Array(0), 0) : layer.addRows(train.features, train.count);
  const batchRows = options.distortedFeatures ? layer.addRows(new Float32Array(config.trainBatchSize * featureSize), config.trainBatchSize) : null;
  const validRows = layer.addRows(validation.features, validation.count);
  let handedOver = false;
  const rowsFor = (batch: Int32Array, distorted: Float32Array | null): [RowSet, Int32Array | null] => {
    if (distorted && batchRows) {
      layer.setRows(batchRows, distorted, batch.length);
      return [batchRows, null];
    }
    return [trainRows, batch];
  };
  return {
    trainer: layer.kernels === 'wasm-simd' ? 'fused-wasm-simd' : 'fused-js',
    step(batch, distorted, labels, exampleWeights) {
      const [rows, indices] = rowsFor(batch, distorted);
      layer.step(rows, indices, labels, batch.length, exampleWeights);
    },
    measureBatch(batch, distorted, labels) {
      // Distorted rows are still in the batch area from this step's update.
      return distorted && batchRows ? layer.measure(batchRows, null, labels, batch.length) : layer.measure(trainRows, batch, labels, batch.length);
    },
    measureValidation(indices, labels) {
      return layer.measure(validRows, indices, labels, indices ? indices.length : validation.count);
    },
    finish() {
      const kernel = tf.tensor2d(layer.kernel(), [featureSize, classCount]);
      const bias = tf.tensor1d(layer.biasValues());
      try {
        logitsLayer.setWeights([kernel, bias]);
      } finally {
        kernel.dispose();
        bias.dispose();
      }
      handedOver = true;
      return head;
    },
    dispose() {
      if (!handedOver) head.dispose();
    },
  };
}

/** Today's TF.js step: optimizer.minimize over the head's layers (any hidden layer included). */
function createTfjsRunner(options: TrainHeadOptions): StepRunner {
  const { config, featureSize, classCount, train, validation } = options;
  const head = createHead(featureSize, classCount, config.hiddenUnits, config.seed);
  const optimizer = config.optimizer === 'adam' ? tf.train.adam(config.learningRate) : tf.train.sgd(config.learningRate);
  const variables = head.trainableWeights.map((w) => w.read() as tf.Variable);
  // Batches are assembled in JS: copying rows is far cheaper than tf.gather on wasm/cpu
  // (≈15 ms for 100×1280 there), and the buffers are reused every step.
  const batchFeatures = new Float32Array(config.trainBatchSize * featureSize);
  const validX = validation.count > 0 ? tf.tensor2d(validation.features, [validation.count, featureSize]) : null;
  const validY = validation.count > 0 ? tf.tensor1d(validation.labels, 'int32') : null;
  let handedOver = false;
  const batchTensors = (batch: Int32Array, distorted: Float32Array | null, labels: Int32Array): [tf.Tensor2D, tf.Tensor1D] => {
    if (!distorted) for (let i = 0; i < batch.length; i++) batchFeatures.set(train.features.subarray(batch[i] * featureSize, (batch[i] + 1) * featureSize), i * featureSize);
    return [tf.tensor2d(distorted ?? batchFeatures, [batch.length, featureSize]), tf.tensor1d(labels.subarray(0, batch.length), 'int32')];
  };
  return {
    trainer: 'tfjs',
    step(batch, distorted, labels, exampleWeights) {
      const [xs, ys] = batchTensors(batch, distorted, labels);
      const weights = exampleWeights ? tf.tensor1d(exampleWeights.subarray(0, batch.length)) : null;
      try {
        // With weights, TF.js's default reduction is Σ wᵢ·lossᵢ over the count of non-zero weights.
        const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(tf.oneHot(ys, classCount), headLogits(head, xs), weights ?? undefined) as tf.Scalar;
        optimizer.minimize(loss, false, variables)?.dispose();
      } finally {
        xs.dispose();
        ys.dispose();
        weights?.dispose();
      }
    },
    measureBatch(batch, distorted, labels) {
      const [xs, ys] = batchTensors(batch, distorted, labels);
      try {
        return measure(head, xs, ys, classCount);
      } finally {
        xs.dispose();
        ys.dispose();
      }
    },
    measureValidation(indices, labels) {
      if (!validX || !validY) return { accuracy: NaN, crossEntropy: NaN };
      if (!indices) return measure(head, validX, validY, classCount);
      const features = new Float32Array(indices.length * featureSize);
      for (let i = 0; i < indices.length; i++) features.set(validation.features.subarray(indices[i] * featureSize, (indices[i] + 1) * featureSize), i * featureSize);
      const bx = tf.tensor2d(features, [indices.length, featureSize]);
      const by = tf.tensor1d(labels, 'int32');
      try {
        return measure(head, bx, by, classCount);
      } finally {
        bx.dispose();
        by.dispose();
      }
    },
    finish() {
      handedOver = true;
      return head;
    },
    dispose() {
      validX?.dispose();
      validY?.dispose();
      optimizer.dispose();
      if (!handedOver) head.dispose();
    },
  };
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
