import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeatureEngine, parityPixels, PARITY_IMAGES } from '../../../src-main/core/bottlenecks/feature-engine.js';
import { scanDataset, type Dataset } from '../../../src-main/core/dataset/index.js';
import { selectEngine } from '../../../src-main/core/engine/index.js';
import { decodeImage } from '../../../src-main/core/images/index.js';
import { createExtractorCache } from '../../../src-main/core/models/extractor-cache.js';
import { createModelStore, type ModelInfo } from '../../../src-main/core/models/index.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../../helpers/fixtures.js';
import { useWasm } from '../../helpers/tf.js';
import { makeGraphModel } from '../models/fixtures.js';

describe('choosing the bottleneck engine', () => {
  let base: string;
  let info: ModelInfo;
  let dataset: Dataset;
  const extractors = createExtractorCache();
  const warnings: string[] = [];
  let features: ReturnType<typeof createFeatureEngine>;

  beforeAll(async () => {
    await useWasm();
    const engine = await selectEngine({ force: 'wasm' });
    base = await tempDir('feature-engine');
    dataset = await scanDataset(await makeColourDataset(path.join(base, 'colours'), 3));
    const dir = await makeTinyBackbone(path.join(base, 'tiny'));
    info = await createModelStore({ dir: path.join(base, 'store') }).importModel(dir, { name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    features = createFeatureEngine({ extractors, onnxCacheDir: path.join(base, 'onnx'), engine: () => engine, warn: (m) => warnings.push(m) });
  });
  afterAll(() => extractors.clear());

  it('checks parity on the first photo of each class, then the second', async () => {
    const { pixels, count } = await parityPixels(dataset, info);
    expect(count).toBe(PARITY_IMAGES);
    const expected = ['blue/blue_0.jpg', 'green/green_0.jpg', 'red/red_0.jpg', 'blue/blue_1.png'];
    const size = 16 * 16 * 3;
    for (const [i, file] of expected.entries()) {
      const decoded = await decodeImage(path.join(dataset.root, file), info.spec);
      expect(Array.from(pixels.subarray(i * size, (i + 1) * size))).toEqual(Array.from(decoded.data));
    }
  });

  it('uses ONNX Runtime once its features match TF.js, and says so', async () => {
    const choice = await features.choose(info, dataset, true);
    expect(choice.extractor.engine).toBe('onnxruntime-cpu');
    expect(choice.note).toMatch(/^onnxruntime-cpu \(parity with TF.js: max relative error \S+ on 4 images\)$/);
    // The second run reuses the checked extractor, with the same reason.
    const again = await features.choose(info, dataset, true);
    expect(again.extractor).toBe(choice.extractor);
    expect(again.note).toBe(choice.note);
    expect(warnings).toEqual([]);
  });

  it('uses TF.js in a worker when the settings say TF.js', async () => {
    const choice = await features.choose(info, dataset, false);
    expect(choice.extractor.engine).toBe('tfjs-wasm');
    expect(choice.note).toBe('tfjs-wasm in a worker thread (TF.js chosen in settings)');
  });

  it('converts a graph model too, once its features match TF.js', async () => {
    await makeGraphModel(path.join(base, 'graph'));
    const graph = await createModelStore({ dir: path.join(base, 'store') }).importModel(path.join(base, 'graph'), { name: 'graph', bottleneckNode: 'net/conv/Relu' });
    const choice = await features.choose(graph, dataset, true);
    expect(choice.extractor.engine).toBe('onnxruntime-cpu');
    expect(choice.note).toMatch(/^onnxruntime-cpu \(parity with TF.js: max relative error \S+ on 4 images\)$/);
  });

  it('loads a conversion checked on an earlier run without loading TF.js', async () => {
    // A new process: nothing loaded, the same ONNX cache folder. TF.js on this thread must not be asked for.
    const fresh = createExtractorCache();
    const tfjsCalls: string[] = [];
    const watched = { ...fresh, tfjs: (i: ModelInfo) => (tfjsCalls.push(i.id), fresh.tfjs(i)) };
    const engine = { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' };
    const again = createFeatureEngine({ extractors: watched, onnxCacheDir: path.join(base, 'onnx'), engine: () => engine });
    try {
      const choice = await again.choose(info, dataset, true);
      expect(choice.extractor.engine).toBe('onnxruntime-cpu');
      expect(choice.note).toMatch(/^onnxruntime-cpu \(parity with TF.js: max relative error \S+ on 4 images, checked on an earlier run\)$/);
      expect(choice.extractor.info.featureSize).toBe(info.featureSize);
      expect(tfjsCalls).toEqual([]);
      // Same features as the extractor checked against TF.js.
      const { pixels, count } = await parityPixels(dataset, info);
      const checked = await features.choose(info, dataset, true);
      expect(Array.from(await choice.extractor.extract(pixels, count))).toEqual(Array.from(await checked.extractor.extract(pixels, count)));
    } finally {
      fresh.clear();
    }
  });

  it('remembers a graph node ONNX cannot take and goes to TF.js without converting again', async () => {
    const dir = path.join(base, 'graph-cos');
    await makeGraphModel(dir);
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    json.modelTopology.node.push({ name: 'net/conv/Cos', op: 'Cos', input: ['net/conv/Relu'], attr: { T: { type: 'DT_FLOAT' } } });
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    const graph = await createModelStore({ dir: path.join(base, 'store') }).importModel(dir, { name: 'graph-cos', bottleneckNode: 'net/conv/Cos' });
    const choice = await features.choose(graph, dataset, true);
    expect(choice.extractor.engine).toBe('tfjs-wasm');
    expect(choice.note).toMatch(/^tfjs-wasm in a worker thread: ONNX Runtime not used — Graph node 'net\/conv\/Cos' \(Cos\) cannot be converted to ONNX yet; Retrain Studio will use TF.js for this model\.$/);
    const fresh = createExtractorCache();
    const tfjsCalls: string[] = [];
    const watched = { ...fresh, tfjs: (i: ModelInfo) => (tfjsCalls.push(i.id), fresh.tfjs(i)) };
    const again = createFeatureEngine({ extractors: watched, onnxCacheDir: path.join(base, 'onnx'), engine: () => ({ backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' }) });
    try {
      const second = await again.choose(graph, dataset, true);
      expect(second.extractor.engine).toBe('tfjs-wasm');
      expect(second.note).toBe(`${choice.note} (checked on an earlier run)`);
      expect(tfjsCalls).toEqual([]);
    } finally {
      fresh.clear();
    }
  });

  it('falls back to TF.js when no photo of the dataset can be read', async () => {
    const root = path.join(base, 'unreadable');
    await makeColourDataset(root, 1, { a: [10, 20, 30], b: [200, 20, 30] });
    const unreadable = await scanDataset(root);
    // The files the scan accepted become unreadable afterwards (e.g. replaced on disk).
    for (const c of unreadable.classes) for (const image of c.images) await writeFile(image.path, 'not an image');
    // A cache folder with no earlier check of this model (an earlier check would be used as is).
    const other = createFeatureEngine({ extractors: createExtractorCache(), onnxCacheDir: path.join(base, 'onnx-unchecked'), engine: () => ({ backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm' }) });
    const choice = await other.choose(info, unreadable, true);
    expect(choice.extractor.engine).toBe('tfjs-wasm');
    expect(choice.note).toBe("tfjs-wasm in a worker thread: no readable image to check ONNX Runtime's parity with");
    choice.extractor.dispose();
  });
});
