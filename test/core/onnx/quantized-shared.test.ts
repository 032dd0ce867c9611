/**
 * The real layers models of ../shared: MobileNetV2 1.0 from nsfwjs (uint8-quantized weights) and the float darknet classifier, converted to ONNX and
 * checked against TF.js on real flower photos, as the app does before using ONNX Runtime.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src-main/core/images/index.js';
import { loadFeatureExtractor } from '../../../src-main/core/models/extractor.js';
import type { ModelInfo } from '../../../src-main/core/models/types.js';
import { createOnnxFeatureExtractor } from '../../../src-main/core/onnx/index.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';

const ZERO_ONE = { kind: 'range' as const, min: 0, max: 1 };

function info(id: string, size: number, bottleneckNode: string, featureSize: number, normalization = ZERO_ONE): ModelInfo {
  return {
    id,
    name: id,
    origin: 'imported',
    format: 'layers',
    dir: sharedPath('models', id),
    spec: { heightPx: size, widthPx: size, crop: 'squash', normalization },
    inputName: 'input',
    inputShape: [null, size, size, 3],
    bottleneckNode,
    featureSize,
    outputNode: bottleneckNode,
  };
}

// Inception v3 (inception_v3_nsfwjs_299, uint8) is checked the same way in inception-shared.test.ts.
const MODELS = [
  info('mobilenet_v2_nsfwjs_224', 224, 'out_relu', 1280),
  info('darknet_tiny_imagenet', 224, 'leaky_re_lu_15', 128),
];

describe.skipIf(!hasShared)('real quantized layers models on ONNX Runtime', () => {
  let cacheDir: string;
  let photos: string[];
  beforeAll(async () => {
    await useWasm();
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'onnx-quantized-'));
    const root = sharedPath('datasets', 'flower_photos_small');
    photos = [];
    for (const label of ['tulips', 'dandelion']) {
      const names = (await readdir(path.join(root, label))).filter((n) => n.endsWith('.jpg')).sort();
      photos.push(path.join(root, label, names[0]));
    }
  });
  afterAll(async () => {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  for (const model of MODELS) {
    it(`${model.id}: features match TF.js within 1e-4 relative on real photos`, async () => {
      const base = await loadFeatureExtractor(model, { warm: false });
      try {
        const images = await Promise.all(photos.map((p) => decodeImage(p, model.spec)));
        const pixels = new Float32Array(images.length * images[0].data.length);
        images.forEach((image, i) => pixels.set(image.data, i * image.data.length));
        const result = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels: pixels, parityCount: images.length, threads: 1 });
        console.info(`${model.id}: parity max |Δ| ${result.parity.maxAbsError.toExponential(2)}, relative ${result.parity.maxRelativeError.toExponential(2)} on ${result.parity.images} photos`);
        expect(result.reason).toBeUndefined();
        expect(result.parity).toMatchObject({ ok: true, images: 2 });
        expect(result.extractor!.info.featureSize).toBe(model.featureSize);
        result.extractor!.dispose();
      } finally {
        base.dispose();
      }
    });
  }
});
