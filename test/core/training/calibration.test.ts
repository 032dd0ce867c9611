/**
 * Temperature scaling on real tensors: the fit finds the temperature that generated the labels,
 * never changes the top-1 class, lowers the NLL and the ECE of over-confident logits, and
 * applyTemperature makes a real head output softmax(logits / T).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { useWasm } from '../../helpers/tf.js';
import { createRandom } from '../../../src-main/core/random.js';
import { createHead } from '../../../src-main/core/training/index.js';
import {
  applyTemperature,
  calibrate,
  expectedCalibrationError,
  fitTemperature,
  headLogits,
  negativeLogLikelihood,
  reliabilityBins,
  softmaxWithTemperature,
  type LabelledLogits,
} from '../../../src-main/core/training/calibration.js';

const argmaxRows = (values: Float32Array, k: number): number[] => Array.from({ length: values.length / k }, (_, i) => {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[i * k + c] > values[i * k + best]) best = c;
  return best;
});

/** Logits whose labels are drawn from softmax(logits / trueT): a perfectly calibrated model at trueT. */
function sampledLogits(count: number, k: number, trueT: number, seed = 1): LabelledLogits {
  const random = createRandom(seed);
  const logits = new Float32Array(count * k);
  for (let i = 0; i < logits.length; i++) logits[i] = (random() - 0.5) * 12;
  const probabilities = softmaxWithTemperature(logits, k, trueT);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let u = random();
    let c = 0;
    while (c < k - 1 && u >= probabilities[i * k + c]) u -= probabilities[i * k + c++];
    labels[i] = c;
  }
  return { logits, labels, classCount: k };
}

describe('temperature scaling', () => {
  beforeAll(useWasm);

  it('recovers the temperature that generated the labels, and lowers NLL and ECE', () => {
    const data = sampledLogits(4000, 5, 2.5);
    const t = fitTemperature(data);
    expect(t).toBeGreaterThan(2.2);
    expect(t).toBeLessThan(2.8);
    const summary = calibrate(data)!;
    expect(summary.temperature).toBeCloseTo(t, 6);
    expect(summary.validation.nllAfter).toBeLessThan(summary.validation.nllBefore);
    expect(summary.validation.eceAfter).toBeLessThan(summary.validation.eceBefore / 2);
    expect(summary.validation.binsAfter.reduce((n, b) => n + b.count, 0)).toBe(4000);
    // The minimum is a minimum: a little either side is worse.
    expect(negativeLogLikelihood(data, 1 / (t * 1.05))).toBeGreaterThan(negativeLogLikelihood(data, 1 / t));
    expect(negativeLogLikelihood(data, 1 / (t / 1.05))).toBeGreaterThan(negativeLogLikelihood(data, 1 / t));
  });

  it('never changes the top-1 class', () => {
    const data = sampledLogits(500, 7, 0.5, 3);
    const t = fitTemperature(data);
    expect(t).toBeLessThan(1);
    expect(argmaxRows(softmaxWithTemperature(data.logits, 7, t), 7)).toEqual(argmaxRows(data.logits, 7));
  });

  it('computes ECE from bins (a known case)', () => {
    // Two images at 0.95 (one right), two at 0.65 (both right): |0.5-0.95|·½ + |1-0.65|·½ = 0.4.
    const probabilities = new Float32Array([0.95, 0.05, 0.95, 0.05, 0.65, 0.35, 0.35, 0.65]);
    const bins = reliabilityBins(probabilities, new Int32Array([0, 1, 0, 1]), 2);
    expect(bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[6]).toMatchObject({ count: 2, accuracy: 1 });
    expect(expectedCalibrationError(bins)).toBeCloseTo(0.4, 6);
  });

  it('does not fit on a validation split of fewer than 5 images', () => {
    expect(calibrate({ logits: new Float32Array(8), labels: new Int32Array(4), classCount: 2 })).toBeUndefined();
  });

  it('applyTemperature makes a real head output softmax(logits / T) with the same top-1', async () => {
    const tf = await useWasm();
    const head = createHead(6, 4, 5, 9);
    // Larger weights than the initialiser's and a non-uniform bias, so that probabilities differ visibly and the bias matters.
    head.layers.forEach((layer) => layer.setWeights(layer.getWeights().map((w, i) => tf.add(tf.mul(w, 40), tf.randomNormal(w.shape, 0, i % 2 ? 2 : 0.1, 'float32', 5 + i)))));
    const random = createRandom(4);
    const features = Float32Array.from({ length: 30 * 6 }, () => random());
    const logits = headLogits(head, features, 30, 6);
    const before = (head.predict(tf.tensor2d(features, [30, 6])) as tf.Tensor).dataSync() as Float32Array;
    applyTemperature(head, 3);
    const after = (head.predict(tf.tensor2d(features, [30, 6])) as tf.Tensor).dataSync() as Float32Array;
    const expected = softmaxWithTemperature(logits, 4, 3);
    let maxDiff = 0;
    after.forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p - expected[i]))));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Math.max(...after.map((p, i) => Math.abs(p - before[i])))).toBeGreaterThan(0.01);
    expect(argmaxRows(after, 4)).toEqual(argmaxRows(before, 4));
    expect(() => applyTemperature(head, 0)).toThrow(/above 0/);
  });
});
