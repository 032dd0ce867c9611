import { describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf.js';
import { createRandom } from '../../../src-main/core/random.js';
import { HEAD_LOGITS_NAME, predictProbabilities, resolveConfig, trainHead, type MetricPoint, type SplitFeatures, type TrainHeadOptions, type TrainingConfig } from '../../../src-main/core/training/index.js';

/**
 * Bottleneck-like features: non-negative (post-ReLU, as MobileNet's pooled outputs), one
 * noisy centre per class, overlapping enough that training takes many steps to converge.
 */
function reluClusters(counts: number[], featureSize: number, seed: number, noise = 1.2): SplitFeatures {
  const centreRandom = createRandom(counts.length * 7919 + featureSize);
  const centres = counts.map(() => Float32Array.from({ length: featureSize }, () => Math.max(0, centreRandom() * 2 - 0.8)));
  const random = createRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const count = counts.reduce((a, b) => a + b, 0);
  const features = new Float32Array(count * featureSize);
  const labels = new Int32Array(count);
  let i = 0;
  counts.forEach((n, c) => {
    for (let j = 0; j < n; j++, i++) {
      labels[i] = c;
      for (let k = 0; k < featureSize; k++) features[i * featureSize + k] = Math.max(0, centres[c][k] + noise * gaussian());
    }
  });
  return { features, labels, count };
}

type Run = { metrics: MetricPoint[]; kernel: Float32Array; bias: Float32Array; probabilities: Float32Array; trainer: string };

async function run(options: Omit<TrainHeadOptions, 'config'> & { config: Partial<TrainingConfig> }, probe: SplitFeatures): Promise<Run> {
  const result = await trainHead({ ...options, config: resolveConfig(options.config) });
  try {
    const [kernel, bias] = result.head.getLayer(HEAD_LOGITS_NAME).getWeights().map((w) => Float32Array.from(w.dataSync()));
    const probabilities = predictProbabilities(result.head, probe.features, probe.count, options.featureSize);
    return { metrics: result.metrics, kernel, bias, probabilities, trainer: result.trainer };
  } finally {
    result.head.dispose();
  }
}

const maxAbs = (a: Float32Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: Float32Array, b: Float32Array): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/**
 * The stated tolerance between the fused trainer and today's TF.js trainer for one seed:
 * weights within 1e-5 of their largest magnitude, predicted probabilities within 1e-5 (the
 * export-parity bound), cross-entropy curves within 1e-5 (relative), accuracies within one
 * example. Measured: weights 2–8e-7 relative, probabilities ≤ 4e-7, cross-entropy ≤ 2e-7,
 * accuracies identical; the sums differ only in float32 summation order.
 */
function expectSameRun(fused: Run, tfjs: Run, batch: number): void {
  expect(fused.metrics.map((m) => m.step)).toEqual(tfjs.metrics.map((m) => m.step));
  expect(maxDiff(fused.kernel, tfjs.kernel) / maxAbs(tfjs.kernel)).toBeLessThan(1e-5);
  expect(maxDiff(fused.bias, tfjs.bias)).toBeLessThan(1e-5 * Math.max(maxAbs(tfjs.bias), 1e-3));
  expect(maxDiff(fused.probabilities, tfjs.probabilities)).toBeLessThan(1e-5);
  fused.metrics.forEach((m, i) => {
    const t = tfjs.metrics[i];
    expect(Math.abs(m.trainCrossEntropy - t.trainCrossEntropy)).toBeLessThan(1e-5 * Math.max(1, t.trainCrossEntropy));
    expect(Math.abs(m.trainAccuracy - t.trainAccuracy)).toBeLessThanOrEqual(1 / batch + 1e-6);
    if (Number.isNaN(t.validationCrossEntropy)) expect(m.validationCrossEntropy).toBeNaN();
    else {
      expect(Math.abs(m.validationCrossEntropy - t.validationCrossEntropy)).toBeLessThan(1e-5 * Math.max(1, t.validationCrossEntropy));
      expect(Math.abs(m.validationAccuracy - t.validationAccuracy)).toBeLessThanOrEqual(0.02 + 1e-6);
    }
  });
}

describe('fused head trainer', () => {
  const featureSize = 256;
  const train = reluClusters([60, 50, 40, 30, 20], featureSize, 1);
  const validation = reluClusters([10, 10, 10, 10, 10], featureSize, 2);

  it.each([
    ['sgd, retrain.py defaults', { learningRate: 0.01 }],
    ['sgd, class-balanced, whole validation set', { learningRate: 0.05, classBalanced: true, validationBatchSize: -1 }],
    ['adam, odd batch sizes', { optimizer: 'adam' as const, learningRate: 0.001, trainBatchSize: 33, validationBatchSize: 21 }],
    ['sgd, inverse class weights', { learningRate: 0.05, classWeights: 'inverse' }],
    ['adam, given class weights', { optimizer: 'adam' as const, learningRate: 0.002, classWeights: 'c0=0.5,c4=3' }],
  ])('gives today’s TF.js run for the same seed (%s)', async (_name, partial) => {
    await useWasm();
    const config: Partial<TrainingConfig> = { howManyTrainingSteps: 300, evalStepInterval: 25, seed: 3, ...partial };
    const classNames = ['c0', 'c1', 'c2', 'c3', 'c4'];
    const common = { featureSize, classCount: 5, train, validation, classNames };
    const tfjs = await run({ ...common, config, trainer: 'tfjs' }, validation);
    const simd = await run({ ...common, config, trainer: 'fused' }, validation);
    const js = await run({ ...common, config, trainer: 'fused', fusedKernels: 'js' }, validation);
    expect([tfjs.trainer, simd.trainer, js.trainer]).toEqual(['tfjs', 'fused-wasm-simd', 'fused-js']);
    // It learned something (so agreeing is not agreeing on nothing).
    expect(tfjs.metrics.at(-1)!.trainCrossEntropy).toBeLessThan(tfjs.metrics[0].trainCrossEntropy * 0.8);
    expectSameRun(simd, tfjs, config.trainBatchSize ?? 100);
    expectSameRun(js, tfjs, config.trainBatchSize ?? 100);
  });

  it('agrees at the bench’s shape (1280 features, batch 100) and is the default for a softmax head', async () => {
    await useWasm();
    const wide = reluClusters([80, 70, 60, 50, 40], 1280, 5, 1.5);
    const valid = reluClusters([20, 20, 20, 20, 20], 1280, 6, 1.5);
    const config = { howManyTrainingSteps: 150, evalStepInterval: 10 };
    const common = { featureSize: 1280, classCount: 5, train: wide, validation: valid };
    const tfjs = await run({ ...common, config, trainer: 'tfjs' }, valid);
    const auto = await run({ ...common, config }, valid);
    expect(auto.trainer).toBe('fused-wasm-simd');
    expectSameRun(auto, tfjs, 100);
  });

  it('agrees with rows that need padding (30 features) and a single block of 3 classes', async () => {
    await useWasm();
    const narrow = reluClusters([40, 30, 20], 30, 7, 0.8);
    const valid = reluClusters([7, 7, 7], 30, 8, 0.8);
    const config = { howManyTrainingSteps: 200, evalStepInterval: 20, learningRate: 0.05, trainBatchSize: 15, validationBatchSize: -1 };
    const common = { featureSize: 30, classCount: 3, train: narrow, validation: valid };
    const tfjs = await run({ ...common, config, trainer: 'tfjs' }, valid);
    const fused = await run({ ...common, config }, valid);
    expect(fused.trainer).toBe('fused-wasm-simd');
    expectSameRun(fused, tfjs, 15);
  });

  it('feeds distorted features of each step through the fused step as TF.js does', async () => {
    await useWasm();
    // Stand-in for distortions: the rows of the batch scaled by a per-step, per-row factor.
    const distortedFeatures = async (indices: Int32Array, step: number): Promise<Float32Array> => {
      const out = new Float32Array(indices.length * featureSize);
      indices.forEach((index, i) => {
        const factor = 0.8 + 0.4 * createRandom(step * 1000 + i)();
        for (let k = 0; k < featureSize; k++) out[i * featureSize + k] = train.features[index * featureSize + k] * factor;
      });
      return out;
    };
    const config = { howManyTrainingSteps: 120, evalStepInterval: 20, learningRate: 0.05, randomBrightness: 10 };
    const common = { featureSize, classCount: 5, train, validation, distortedFeatures };
    const tfjs = await run({ ...common, config, trainer: 'tfjs' }, validation);
    const fused = await run({ ...common, config }, validation);
    expect(fused.trainer).toBe('fused-wasm-simd');
    expectSameRun(fused, tfjs, 100);
  });

  it('falls back to TF.js for a hidden layer and says why; forcing the fused step there is refused', async () => {
    const tf = await useWasm();
    const before = tf.memory().numTensors;
    const config = resolveConfig({ howManyTrainingSteps: 20, evalStepInterval: 10, hiddenUnits: 8 });
    const result = await trainHead({ config, featureSize, classCount: 5, train, validation });
    expect(result.trainer).toBe('tfjs');
    expect(result.trainerNote).toMatch(/--hidden_units 8: the fused step trains a single softmax layer/);
    expect(result.head.layers.map((l) => l.name)).toEqual(['hidden', 'final_training_ops', 'final_result']);
    result.head.dispose();
    await expect(trainHead({ config, featureSize, classCount: 5, train, validation, trainer: 'fused' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['fused', 'tfjs'] as const)('stops with CANCELLED, reports progress and leaks nothing (%s)', async (trainer) => {
    const tf = await useWasm();
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const steps: number[] = [];
    const config = resolveConfig({ howManyTrainingSteps: 1_000_000, evalStepInterval: 100 });
    const promise = trainHead({ config, featureSize, classCount: 5, train, validation, trainer, signal: controller.signal, progressIntervalMs: 0, onStep: (step) => (steps.push(step), step >= 30 && controller.abort()) });
    await expect(promise).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(steps.slice(0, 3)).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
