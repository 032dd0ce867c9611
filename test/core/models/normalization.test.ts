import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeTinyBackbone, tempDir } from '../../helpers/fixtures.js';
import { createModelStore } from '../../../src-main/core/models/index.js';

describe('imported models get the pixel range they were trained with', () => {
  it('defaults to [0, 1] for a model with no known architecture', async () => {
    await useWasm();
    const base = await tempDir('norm');
    const store = createModelStore({ dir: path.join(base, 'models') });
    const info = await store.importModel(await makeTinyBackbone(path.join(base, 'tiny')));
    expect(info.spec.normalization).toEqual({ kind: 'range', min: 0, max: 1 });
  });

  it.skipIf(!hasShared)('recognises Keras MobileNetV2 ([-1, 1]) and keeps darknet at [0, 1]', async () => {
    const store = createModelStore({ dir: path.join(await tempDir('norm'), 'models') });
    const mobilenet = await store.importModel(sharedPath('models', 'mobilenet_v2_0.35_224'));
    expect(mobilenet.spec.normalization).toEqual({ kind: 'range', min: -1, max: 1 });
    const darknet = await store.importModel(sharedPath('models', 'darknet_tiny_imagenet'), { labelsFile: 'labels_darknet_order.json' });
    expect(darknet.spec.normalization).toEqual({ kind: 'range', min: 0, max: 1 });
  });
});
