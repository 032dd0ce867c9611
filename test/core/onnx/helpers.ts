/** Shared helpers for the ONNX tests: seeded random data and a TF.js ↔ ONNX comparison. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { compareOutputs, convertLayersModelsToOnnx, createOnnxSession, type ConvertOptions, type ParityReport } from '../../../src-main/core/onnx/index.js';

/** Mulberry32: small deterministic PRNG so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [min, max). */
export function randomArray(length: number, seed: number, min = -1, max = 1): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = min + (max - min) * random();
  return out;
}

/**
 * Replaces every weight with seeded random values, so BatchNormalization statistics and
 * biases are not the trivial 0/1 initial values. Variances stay positive.
 */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  let s = seed;
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const values = weights.map((w) => {
      const shape = w.shape as number[];
      const size = shape.reduce((a, b) => a * b, 1);
      const isVariance = w.originalName.includes('moving_variance');
      const data = isVariance ? randomArray(size, s++, 0.5, 1.5) : randomArray(size, s++, -0.8, 0.8);
      return tf.tensor(data, shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Runs `model.predict` on `input` and returns the data (no tensors left behind). */
export function predictData(model: tf.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(input, shape)) as tf.Tensor).dataSync() as Float32Array);
}

/**
 * Converts `model`, runs both engines on seeded random input of `[count, ...imageShape]` and
 * asserts the outputs agree within `tolerance` (relative, see ParityReport). Also checks that
 * the conversion leaves no tensors behind. Returns the report and ONNX output shape.
 */
export async function expectOnnxMatchesTfjs(
  model: tf.LayersModel,
  options: { count?: number; seed?: number; tolerance?: number; convert?: ConvertOptions; inputRange?: [number, number] } = {},
): Promise<ParityReport & { onnxOutputLength: number }> {
  const count = options.count ?? 2;
  const imageShape = model.inputs[0].shape.slice(1) as number[];
  const size = imageShape.reduce((a, b) => a * b, 1);
  const [min, max] = options.inputRange ?? [-1, 1];
  const input = randomArray(count * size, options.seed ?? 7, min, max);
  const before = tf.memory().numTensors;
  const converted = convertLayersModelsToOnnx(model, options.convert);
  expect(tf.memory().numTensors).toBe(before);
  const reference = predictData(model, input, [count, ...imageShape]);
  const session = await createOnnxSession(converted.bytes, { threads: 1 });
  try {
    const output = await session.run(input, count);
    expect(output.length).toBe(reference.length);
    const report = compareOutputs(reference, output, count, options.tolerance ?? 1e-4);
    // The reference must be non-trivial, or agreement proves nothing.
    expect(Math.max(...Array.from(reference, Math.abs))).toBeGreaterThan(1e-3);
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true });
    return { ...report, onnxOutputLength: output.length };
  } finally {
    await session.dispose();
  }
}
