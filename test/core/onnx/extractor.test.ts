import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { compareOutputs, createOnnxFeatureExtractor } from '../../../src-main/core/onnx/index.js';
import { useWasm } from '../../helpers/tf.js';
import { tfjsExtractor } from './fixtures.js';
import { randomArray, randomizeWeights } from './helpers.js';

const SIZE = 10;
const IMAGE = SIZE * SIZE * 3;

/** A small MobileNet-like backbone ending in pooled features; same seed → same weights. */
function backbone(seed: number, options: { pool?: boolean; extra?: tf.layers.Layer } = {}): tf.LayersModel {
  const input = tf.input({ shape: [SIZE, SIZE, 3] });
  let y = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(y) as tf.SymbolicTensor;
  if (options.extra) y = options.extra.apply(y) as tf.SymbolicTensor;
  if (options.pool !== false) y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y });
  randomizeWeights(model, seed);
  return model;
}

describe('createOnnxFeatureExtractor', () => {
  let cacheDir: string;
  const parityPixels = randomArray(3 * IMAGE, 42);

  beforeAll(async () => {
    await useWasm();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'onnx-cache-'));
  });
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('converts, proves parity, caches, and extracts the same features as TF.js', async () => {
    const base = tfjsExtractor(backbone(1));
    const tensorsBefore = tf.memory().numTensors;
    const result = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 3 });
    expect(result.reason).toBeUndefined();
    expect(result.parity.ok).toBe(true);
    expect(result.parity.images).toBe(3);
    expect(result.parity.maxRelativeError).toBeLessThanOrEqual(1e-4);
    expect(result.fromCache).toBe(false);
    expect(result.cacheFile && path.dirname(result.cacheFile)).toBe(cacheDir);
    expect((await stat(result.cacheFile!)).size).toBeGreaterThan(100);

    const extractor = result.extractor!;
    expect(extractor.engine).toBe('onnxruntime-cpu');
    expect(extractor.info).toBe(base.info);
    expect(extractor.layersModel).toBe(base.layersModel);

    const fresh = randomArray(5 * IMAGE, 99);
    const features = await extractor.extract(fresh, 5);
    expect(features.length).toBe(5 * 6);
    expect(compareOutputs(await base.extract(fresh, 5), features, 5).ok).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    extractor.dispose();
    base.dispose();
  });

  it('reuses the cached .onnx on the next run, even when the rebuilt model has new auto-generated layer names', async () => {
    const first = tfjsExtractor(backbone(2));
    const a = await createOnnxFeatureExtractor(first, { cacheDir, parityPixels, parityCount: 3 });
    expect(a.fromCache).toBe(false);
    const mtime = (await stat(a.cacheFile!)).mtimeMs;

    const rebuilt = backbone(2);
    expect(rebuilt.layers.map((l) => l.name)).not.toEqual(first.layersModel!.layers.map((l) => l.name));
    const second = tfjsExtractor(rebuilt);
    const b = await createOnnxFeatureExtractor(second, { cacheDir, parityPixels, parityCount: 3 });
    expect(b.fromCache).toBe(true);
    expect(b.cacheFile).toBe(a.cacheFile);
    expect((await stat(b.cacheFile!)).mtimeMs).toBe(mtime);
    expect(b.extractor).toBeDefined();

    // Different weights → a different cache entry.
    const other = tfjsExtractor(backbone(3));
    const c = await createOnnxFeatureExtractor(other, { cacheDir, parityPixels, parityCount: 1 });
    expect(c.fromCache).toBe(false);
    expect(c.cacheFile).not.toBe(a.cacheFile);

    for (const r of [a, b, c]) r.extractor?.dispose();
    for (const e of [first, second, other]) e.dispose();
  });

  it('replaces a damaged cache file', async () => {
    const base = tfjsExtractor(backbone(4));
    const a = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 2 });
    a.extractor?.dispose();
    await writeFile(a.cacheFile!, 'truncated');
    const b = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 2 });
    expect(b.fromCache).toBe(false);
    expect(b.parity.ok).toBe(true);
    expect((await stat(b.cacheFile!)).size).toBeGreaterThan(100);
    b.extractor?.dispose();
    base.dispose();
  });

  it('pools a 4-D bottleneck the way the TF.js extractor does', async () => {
    const base = tfjsExtractor(backbone(5, { pool: false }));
    const result = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 2 });
    expect(result.parity.ok).toBe(true);
    expect((await result.extractor!.extract(parityPixels, 1)).length).toBe(6);
    result.extractor!.dispose();
    base.dispose();
  });

  it('returns no extractor and names the layer when a layer cannot be converted', async () => {
    const emptyDir = await mkdtemp(path.join(os.tmpdir(), 'onnx-cache-'));
    const base = tfjsExtractor(backbone(6, { extra: tf.layers.conv2dTranspose({ filters: 4, kernelSize: 2, name: 'decoder_up' }) }));
    const result = await createOnnxFeatureExtractor(base, { cacheDir: emptyDir, parityPixels, parityCount: 2 });
    expect(result.extractor).toBeUndefined();
    expect(result.reason).toMatch(/Layer 'decoder_up' \(Conv2DTranspose\) cannot be converted to ONNX yet/);
    expect(result.parity).toMatchObject({ ok: false, images: 0 });
    expect(await readdir(emptyDir)).toEqual([]);
    await rm(emptyDir, { recursive: true });
    base.dispose();
  });

  it('returns no extractor with the parity numbers when the engines disagree', async () => {
    // A TF.js extractor that is off by 1% simulates a conversion bug.
    const base = tfjsExtractor(backbone(7), { distort: (x) => tf.mul(x, 1.01) });
    const result = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 3 });
    expect(result.extractor).toBeUndefined();
    expect(result.parity.ok).toBe(false);
    expect(result.parity.maxRelativeError).toBeGreaterThan(5e-3);
    expect(result.parity.maxRelativeError).toBeLessThan(2e-2);
    expect(result.reason).toMatch(/disagree on 3 image\(s\): max relative error 9\.\d\de-3/);
    // A looser tolerance accepts the same numbers.
    const loose = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 3, tolerance: 0.02 });
    expect(loose.extractor).toBeDefined();
    expect(loose.fromCache).toBe(true);
    loose.extractor!.dispose();
    base.dispose();
  });

  it('explains when there is no layers model, and rejects missing parity images', async () => {
    const base = tfjsExtractor(backbone(8));
    const graphOnly = { ...base, layersModel: undefined, info: { ...base.info, name: 'Some graph model' } };
    const result = await createOnnxFeatureExtractor(graphOnly, { cacheDir, parityPixels, parityCount: 1 });
    expect(result.extractor).toBeUndefined();
    expect(result.reason).toMatch(/Some graph model has no TF.js layers model to convert/);

    const error = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels: new Float32Array(10), parityCount: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('INVALID_ARGUMENT');
    base.dispose();
  });
});
