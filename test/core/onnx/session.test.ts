import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { compareOutputs, convertLayersModelToOnnx, createOnnxSession } from '../../../src-main/core/onnx/index.js';
import { useWasm } from '../../helpers/tf.js';
import { predictData, randomArray, randomizeWeights } from './helpers.js';

describe('createOnnxSession', () => {
  let model: tf.LayersModel;
  let bytes: Uint8Array;
  const imageSize = 6 * 6 * 3;

  beforeAll(async () => {
    await useWasm();
    const input = tf.input({ shape: [6, 6, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
    model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(pooled) as tf.SymbolicTensor });
    randomizeWeights(model, 3);
    bytes = convertLayersModelToOnnx(model);
  });

  it('runs on the CPU provider with any batch size and reports its shapes', async () => {
    const session = await createOnnxSession(bytes, { threads: 1 });
    expect(session.executionProvider).toBe('cpu');
    expect(session.inputName).toBe('input');
    expect(session.outputName).toBe('output');
    expect(session.imageShape).toEqual([6, 6, 3]);
    for (const count of [1, 3]) {
      const pixels = randomArray(count * imageSize, count);
      const output = await session.run(pixels, count);
      const reference = predictData(model, pixels, [count, 6, 6, 3]);
      expect(output.length).toBe(count * 3);
      expect(compareOutputs(reference, output, count).ok).toBe(true);
    }
    await session.dispose();
    await session.dispose();
    await expect(session.run(new Float32Array(imageSize), 1)).rejects.toThrow(/after dispose/);
  });

  it('reads only the first count images of a larger buffer, including a subarray at an offset', async () => {
    const session = await createOnnxSession(bytes);
    const all = randomArray(4 * imageSize, 11);
    const second = all.subarray(imageSize, 3 * imageSize);
    const output = await session.run(second, 1);
    const reference = predictData(model, all.slice(imageSize, 2 * imageSize), [1, 6, 6, 3]);
    expect(compareOutputs(reference, output, 1).ok).toBe(true);
    await session.dispose();
  });

  it('rejects too few pixels with INPUT_MISMATCH', async () => {
    const session = await createOnnxSession(bytes);
    await expect(session.run(new Float32Array(imageSize), 2)).rejects.toMatchObject({ code: 'INPUT_MISMATCH' });
    await expect(session.run(new Float32Array(imageSize), 0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await session.dispose();
  });

  it('falls back to the CPU with a reason when CUDA is preferred but unavailable', async () => {
    const session = await createOnnxSession(bytes, { preferCuda: true });
    // No GPU and no CUDA provider libraries here; on a CUDA machine the provider is 'cuda'.
    if (session.executionProvider === 'cpu') expect(session.fallbackReason).toMatch(/CUDA/);
    const output = await session.run(randomArray(imageSize, 1), 1);
    expect(output.length).toBe(3);
    await session.dispose();
  });

  it('refuses bytes that are not an ONNX model with ENGINE_UNAVAILABLE', async () => {
    const error = await createOnnxSession(new TextEncoder().encode('not a model')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('ENGINE_UNAVAILABLE');
  });
});

describe('compareOutputs', () => {
  it('measures the worst element error relative to the largest reference value per image', () => {
    const reference = Float32Array.from([1, -4, 0, 0.5, 0.5, 0]);
    const candidate = Float32Array.from([1.002, -4, 0, 0.5, 0.4, 0]);
    const report = compareOutputs(reference, candidate, 2, 0.01);
    expect(report.maxAbsError).toBeCloseTo(0.1, 6);
    // image 0: 0.002 / 4 = 5e-4; image 1: 0.1 / 0.5 = 0.2
    expect(report.maxRelativeError).toBeCloseTo(0.2, 6);
    expect(report.ok).toBe(false);
    expect(compareOutputs(reference, reference, 2).maxRelativeError).toBe(0);
    expect(compareOutputs(reference, reference, 2).ok).toBe(true);
  });

  it('fails on NaN, length mismatch and errors against an all-zero reference', () => {
    expect(compareOutputs(Float32Array.from([1, 2]), Float32Array.from([1, NaN]), 1).ok).toBe(false);
    expect(compareOutputs(Float32Array.from([1, 2]), Float32Array.from([1]), 1).ok).toBe(false);
    const zero = compareOutputs(Float32Array.from([0, 0]), Float32Array.from([0, 1e-9]), 1);
    expect(zero.maxRelativeError).toBe(Infinity);
    expect(zero.ok).toBe(false);
  });
});
