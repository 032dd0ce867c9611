/** The real shared MobileNetV2 0.35 and real flower photos, when ../shared exists. */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxFeatureExtractor } from '../../../src-main/core/onnx/index.js';
import { loadLayersModelFromDir } from '../../../src-main/core/tf/file-io.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { tfjsExtractor } from './fixtures.js';

/** Centre crop to a square, resize to 224, pixel / 127.5 - 1 (the model's documented input). */
async function preprocess(files: string[]): Promise<Float32Array> {
  const out = new Float32Array(files.length * 224 * 224 * 3);
  for (const [i, file] of files.entries()) {
    const raw = await sharp(file).rotate().removeAlpha().resize(224, 224, { fit: 'cover', position: 'centre' }).raw().toBuffer();
    expect(raw.length).toBe(224 * 224 * 3);
    for (let j = 0; j < raw.length; j++) out[i * raw.length + j] = raw[j] / 127.5 - 1;
  }
  return out;
}

async function flowerPhotos(): Promise<string[]> {
  const root = sharedPath('datasets', 'flower_photos_small');
  const files: string[] = [];
  for (const label of ['daisy', 'roses', 'sunflowers', 'tulips', 'dandelion']) {
    const names = (await readdir(path.join(root, label))).filter((n) => n.endsWith('.jpg')).sort();
    files.push(path.join(root, label, names[0]));
  }
  return files;
}

describe.skipIf(!hasShared)('shared MobileNetV2 0.35 on ONNX Runtime', () => {
  let cacheDir: string;
  let model: tf.LayersModel;

  beforeAll(async () => {
    await useWasm();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'onnx-mobilenet-'));
    model = await loadLayersModelFromDir(sharedPath('models', 'mobilenet_v2_0.35_224'));
  });
  afterAll(async () => {
    model?.dispose();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('matches TF.js within 1e-4 relative on real photos and reuses the cached conversion', async () => {
    const files = await flowerPhotos();
    const parityPixels = await preprocess(files.slice(0, 3));
    const base = tfjsExtractor(model, { id: 'mobilenet_v2_0.35_224' });
    const tensorsBefore = tf.memory().numTensors;

    const first = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 3 });
    expect(first.reason).toBeUndefined();
    expect(first.fromCache).toBe(false);
    expect(first.parity).toMatchObject({ ok: true, images: 3 });
    expect(first.parity.maxRelativeError).toBeLessThanOrEqual(1e-4);
    const extractor = first.extractor!;
    expect(extractor.engine).toBe('onnxruntime-cpu');

    // Photos not used for the parity check give the same 1280 features on both engines.
    const others = await preprocess(files.slice(3));
    const onnxFeatures = await extractor.extract(others, 2);
    const tfjsFeatures = await base.extract(others, 2);
    expect(onnxFeatures.length).toBe(2 * 1280);
    let maxAbs = 0;
    let maxRef = 0;
    for (let i = 0; i < onnxFeatures.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(onnxFeatures[i] - tfjsFeatures[i]));
      maxRef = Math.max(maxRef, Math.abs(tfjsFeatures[i]));
    }
    expect(maxRef).toBeGreaterThan(0.5);
    expect(maxAbs / maxRef).toBeLessThanOrEqual(1e-4);
    extractor.dispose();

    const mtime = (await stat(first.cacheFile!)).mtimeMs;
    const second = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels, parityCount: 3 });
    expect(second.fromCache).toBe(true);
    expect(second.cacheFile).toBe(first.cacheFile);
    expect((await stat(second.cacheFile!)).mtimeMs).toBe(mtime);
    expect(second.parity.ok).toBe(true);
    second.extractor!.dispose();
    expect(await readdir(cacheDir)).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
