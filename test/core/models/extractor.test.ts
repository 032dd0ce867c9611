import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSaveHandler } from '../../../src-main/core/tf/file-io.js';
import { createModelStore, loadFeatureExtractor, type ModelInfo, type ModelStore } from '../../../src-main/core/models/index.js';
import { hasShared, sharedPath, TEST_ENGINE, useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeNestedFeatureModel } from './fixtures.js';
import { rejection } from '../../helpers/errors.js';

let tf: typeof tfTypes;
let root: string;
let store: ModelStore;

beforeAll(async () => {
  tf = await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-extractor-'));
  store = createModelStore({ dir: path.join(root, 'store') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});


/** Deterministic pseudo-random pixels in [-1, 1]. */
function pixels(count: number, size: number, seed = 1): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count * size * size * 3 }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  });
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('loadFeatureExtractor on tiny models', () => {
  let nested: ModelInfo;
  beforeAll(async () => {
    const dir = path.join(root, 'nested');
    (await makeNestedFeatureModel(dir)).dispose();
    nested = await store.importModel(dir, { spec: { normalization: { kind: 'range', min: -1, max: 1 } } });
  });

  it('truncates inside a nested model: pooled out_relu equals the model output, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const whole = await loadFeatureExtractor(nested);
    const truncated = await loadFeatureExtractor({ ...nested, bottleneckNode: 'out_relu' });
    expect(whole.engine).toBe(TEST_ENGINE);
    expect(truncated.info.featureSize).toBe(12);
    expect(truncated.layersModel?.outputs[0].shape).toEqual([null, 12]);
    expect(truncated.layersModel?.inputs[0].shape).toEqual([null, 16, 16, 3]);
    const x = pixels(3, 16);
    const a = await whole.extract(x, 3);
    const b = await truncated.extract(x, 3);
    expect(a.length).toBe(3 * 12);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    // A different node gives different (8-channel) features.
    const conv = await loadFeatureExtractor({ ...nested, bottleneckNode: 'backbone/Conv1' });
    expect((await conv.extract(x, 3)).length).toBe(3 * 8);
    for (const e of [whole, truncated, conv]) e.dispose();
    whole.dispose(); // idempotent
    expect(tf.memory().numTensors).toBe(before);
  });

  it('truncates a nested model that is not fed by the outer input (preprocessing layer before it)', async () => {
    const backboneInput = tf.input({ shape: [8, 8, 3], name: 'inner_input' });
    const c = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'inner_conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }) }).apply(backboneInput) as tfTypes.SymbolicTensor;
    const r = tf.layers.reLU({ name: 'inner_relu' }).apply(c) as tfTypes.SymbolicTensor;
    const backbone = tf.model({ inputs: backboneInput, outputs: r, name: 'inner' });
    const input = tf.input({ shape: [8, 8, 3], name: 'outer_input' });
    const scaled = tf.layers.dense({ units: 3, name: 'mix', kernelInitializer: tf.initializers.glorotUniform({ seed: 10 }) }).apply(input) as tfTypes.SymbolicTensor;
    const features = backbone.apply(scaled) as tfTypes.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(features) as tfTypes.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: pooled, name: 'outer' });
    const dir = path.join(root, 'preprocessed');
    await model.save(fileSaveHandler(dir));
    const x = pixels(2, 8, 5);
    const expected = tf.tidy(() => (model.predict(tf.tensor4d(x, [2, 8, 8, 3])) as tfTypes.Tensor).dataSync() as Float32Array);
    model.dispose();

    const info = await store.importModel(dir, { bottleneckNode: 'inner_relu' });
    expect(info.featureSize).toBe(5);
    const extractor = await loadFeatureExtractor(info);
    expect(maxAbsDiff(await extractor.extract(x, 2), expected)).toBeLessThan(1e-6);
    extractor.dispose();
  });

  it('runs graph models to a node and pools 4-D outputs', async () => {
    const dir = path.join(root, 'graph');
    const { kernel } = await makeGraphModel(dir);
    const info = await store.importModel(dir, { bottleneckNode: 'net/conv/Relu' });
    expect(info.featureSize).toBe(4);
    const before = tf.memory().numTensors;
    const extractor = await loadFeatureExtractor(info);
    expect(extractor.layersModel).toBeUndefined();
    const x = pixels(2, 8, 3).map((v) => (v + 1) / 2);
    const features = await extractor.extract(x, 2);
    const expected = tf.tidy(() => {
      const conv = tf.conv2d(tf.tensor4d(x, [2, 8, 8, 3]), tf.tensor4d(kernel, [3, 3, 3, 4]), 2, 'same');
      return tf.mean(tf.relu(conv), [1, 2]).dataSync() as Float32Array;
    });
    expect(features.length).toBe(8);
    expect(maxAbsDiff(features, expected)).toBeLessThan(1e-5);
    expect(extractor.info.featureSize).toBe(4);
    extractor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a spec that does not match the model input, naming the right size', async () => {
    const before = tf.memory().numTensors;
    const error = await rejection(loadFeatureExtractor({ ...nested, spec: { ...nested.spec, heightPx: 224, widthPx: 224 } }));
    expect(error.code).toBe('INPUT_MISMATCH');
    expect(error.message).toContain('[null,16,16,3]');
    expect(error.message).toContain('Use heightPx 16 and widthPx 16.');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects an unknown node with candidates, and pixels of the wrong length', async () => {
    const error = await rejection(loadFeatureExtractor({ ...nested, bottleneckNode: 'block_13_expand' }));
    expect(error.code).toBe('NODE_NOT_FOUND');
    expect(error.message).toContain('No node "block_13_expand"');
    expect(error.message).toContain('backbone/out_relu [?,8,8,12]');
    expect(error.message).toContain('features [?,12]');

    const extractor = await loadFeatureExtractor(nested, { warm: false });
    const wrong = await rejection(extractor.extract(new Float32Array(10), 1));
    expect(wrong.code).toBe('INVALID_ARGUMENT');
    expect(wrong.message).toContain('16×16×3');
    extractor.dispose();
    await expect(extractor.extract(pixels(1, 16), 1)).rejects.toThrow(/disposed/);
  });
});

describe.skipIf(!hasShared)('loadFeatureExtractor on the shared MobileNetV2 0.35', () => {
  let info: ModelInfo;
  beforeAll(async () => {
    info = await store.importModel(sharedPath('models', 'mobilenet_v2_0.35_224'), { spec: { normalization: { kind: 'range', min: -1, max: 1 } } });
  });

  it('gives [n, 1280], and out_relu inside the nested Model pooled equals the model output', async () => {
    const before = tf.memory().numTensors;
    const whole = await loadFeatureExtractor(info);
    const atReluInfo = await store.setBottleneckNode(info.id, 'out_relu');
    const atRelu = await loadFeatureExtractor(atReluInfo);
    const x = pixels(2, 224, 7);
    const a = await whole.extract(x, 2);
    const b = await atRelu.extract(x, 2);
    expect(a.length).toBe(2 * 1280);
    expect(whole.info.featureSize).toBe(1280);
    expect(atRelu.layersModel?.outputs[0].shape).toEqual([null, 1280]);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    expect(a.some((v) => v > 0.01)).toBe(true);
    whole.dispose();
    atRelu.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the right input size and the candidate nodes', async () => {
    const mismatch = await rejection(loadFeatureExtractor({ ...info, spec: { ...info.spec, heightPx: 192, widthPx: 192 } }));
    expect(mismatch.code).toBe('INPUT_MISMATCH');
    expect(mismatch.message).toContain('Use heightPx 224 and widthPx 224.');
    const missing = await rejection(loadFeatureExtractor({ ...info, bottleneckNode: 'conv_pw_13_relu' }));
    expect(missing.code).toBe('NODE_NOT_FOUND');
    expect(missing.message).toContain('model2/out_relu [?,7,7,1280]');
    expect(missing.message).toContain('global_average_pooling2d_GlobalAveragePooling2D2 [?,1280]');
  });
});
