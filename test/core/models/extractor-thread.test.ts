import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeTinyBackbone, tempDir } from '../../helpers/fixtures.js';
import { createModelStore, loadFeatureExtractor, loadThreadedFeatureExtractor } from '../../../src-main/core/models/index.js';

const WASM = { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' };

describe('TF.js feature extractor in a worker thread', () => {
  it('gives exactly the main thread’s features, leaves the caller’s buffer intact, and passes errors on', async () => {
    await useWasm();
    const base = await tempDir('thread');
    const store = createModelStore({ dir: path.join(base, 'models') });
    const info = await store.importModel(await makeTinyBackbone(path.join(base, 'tiny')));
    const here = await loadFeatureExtractor(info);
    const threaded = await loadThreadedFeatureExtractor(info, WASM);
    try {
      expect(threaded.engine).toBe('tfjs-wasm');
      expect(threaded.info.featureSize).toBe(8);
      const pixels = Float32Array.from({ length: 3 * 16 * 16 * 3 }, (_, i) => Math.sin(i));
      const expected = await here.extract(pixels, 3);
      const actual = await threaded.extract(pixels, 3);
      expect(Array.from(actual)).toEqual(Array.from(expected));
      // The pipeline reuses its batch buffers: extract must not take them away.
      expect(pixels.length).toBe(3 * 16 * 16 * 3);
      await expect(loadThreadedFeatureExtractor({ ...info, bottleneckNode: 'no_such_layer' }, WASM)).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    } finally {
      here.dispose();
      threaded.dispose();
    }
  });

  it.skipIf(!hasShared)('keeps the calling thread’s event loop running during a MobileNetV2 forward pass', async () => {
    const store = createModelStore({ dir: path.join(await tempDir('thread'), 'models') });
    const info = await store.importModel(sharedPath('models', 'mobilenet_v2_0.35_224'));
    const threaded = await loadThreadedFeatureExtractor(info, WASM);
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      const features = await threaded.extract(new Float32Array(8 * 224 * 224 * 3), 8);
      clearInterval(timer);
      expect(features.length).toBe(8 * 1280);
      expect(ticks).toBeGreaterThan(0);
    } finally {
      threaded.dispose();
    }
  });
});
