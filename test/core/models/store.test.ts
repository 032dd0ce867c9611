import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, createModelStore } from '../../../src-main/core/models/index.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeLayersClassifier, makeNestedFeatureModel } from './fixtures.js';
import { rejection } from '../../helpers/errors.js';


let root: string;
let classifierDir: string;
let nestedDir: string;
let graphDir: string;

beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-store-'));
  classifierDir = path.join(root, 'Tiny Classifier');
  nestedDir = path.join(root, 'nested');
  graphDir = path.join(root, 'graph');
  (await makeLayersClassifier(classifierDir)).dispose();
  (await makeNestedFeatureModel(nestedDir)).dispose();
  await makeGraphModel(graphDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('importModel', () => {
  it('imports a classifier: labels.txt, the layer before the classification layer, input from the model', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const info = await store.importModel(classifierDir);
    expect(info).toEqual({
      id: 'imported:tiny-classifier',
      name: 'Tiny Classifier',
      origin: 'imported',
      format: 'layers',
      dir: classifierDir,
      spec: { heightPx: 8, widthPx: 8, crop: 'center', normalization: { kind: 'range', min: 0, max: 1 } },
      inputName: 'image',
      inputShape: [null, 8, 8, 3],
      outputNode: 'logits',
      bottleneckNode: 'pool',
      featureSize: 6,
      labels: ['red', 'green', 'blue'],
      outputIsProbabilities: true,
    });
  });

  it('uses the output of a feature extractor and accepts nested layer names', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const plain = await store.importModel(nestedDir, { name: 'Backbone' });
    expect(plain).toMatchObject({ id: 'imported:backbone', bottleneckNode: 'features', featureSize: 12, outputNode: 'features', inputName: 'input_1' });
    expect(plain.labels).toBeUndefined();
    const nested = await store.setBottleneckNode(plain.id, 'out_relu');
    expect(nested).toMatchObject({ bottleneckNode: 'out_relu', featureSize: 12 });
    const qualified = await store.setBottleneckNode(plain.id, 'backbone/Conv1');
    expect(qualified).toMatchObject({ bottleneckNode: 'backbone/Conv1', featureSize: 8 });
  });

  it('imports graph models and picks the node feeding the final MatMul', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const info = await store.importModel(graphDir);
    expect(info).toMatchObject({ format: 'graph', inputName: 'images', inputShape: [null, 8, 8, 3], bottleneckNode: 'net/pool/Mean', featureSize: 4, outputNode: 'head/Softmax', outputIsProbabilities: true });
  });

  it('validates bottleneck nodes, listing candidates with their shapes', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const error = await rejection(store.importModel(classifierDir, { bottleneckNode: 'conv_pw_13_relu' }));
    expect(error.code).toBe('NODE_NOT_FOUND');
    expect(error.message).toContain('No node "conv_pw_13_relu"');
    expect(error.message).toContain(path.join(classifierDir, 'model.json'));
    expect(error.message).toContain('block_1_expand [?,4,4,6]');
    expect(error.message).toContain('pool [?,6]');
    expect(error.details?.candidates).toEqual(['conv1', 'block_1_expand', 'pool', 'logits']);

    const info = await store.importModel(classifierDir);
    const set = await rejection(store.setBottleneckNode(info.id, 'nope'));
    expect(set.code).toBe('NODE_NOT_FOUND');
    expect((await store.setBottleneckNode(info.id, 'conv1')).featureSize).toBe(4);
  });

  it('reads JSON labels, and refuses labels that do not match the output', async () => {
    const dir = await mkdtemp(path.join(root, 'labels-'));
    await cp(classifierDir, dir, { recursive: true });
    await rm(path.join(dir, 'labels.txt'));
    await writeFile(path.join(dir, 'classes.json'), JSON.stringify(['a', 'b', 'c']));
    await writeFile(path.join(dir, 'two.txt'), 'a\nb\n');
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    expect((await store.importModel(dir, { labelsFile: 'classes.json' })).labels).toEqual(['a', 'b', 'c']);
    const mismatch = await rejection(store.importModel(dir, { labelsFile: 'two.txt' }));
    expect(mismatch.code).toBe('MODEL_INVALID');
    expect(mismatch.message).toMatch(/has 2 labels but the model's output logits has 3 classes/);
    // Without labels, a softmax output still marks it a classifier.
    expect((await store.importModel(dir)).bottleneckNode).toBe('pool');
  });

  it('takes the spec from userDefinedMetadata, then from options, and checks it against the input', async () => {
    const dir = await mkdtemp(path.join(root, 'meta-'));
    await cp(classifierDir, dir, { recursive: true });
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    json.userDefinedMetadata = { spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'squash' } };
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    expect((await store.importModel(dir)).spec).toEqual({ heightPx: 8, widthPx: 8, crop: 'squash', normalization: { kind: 'range', min: -1, max: 1 } });
    expect((await store.importModel(dir, { spec: { crop: 'center' } })).spec.crop).toBe('center');

    const mismatch = await rejection(store.importModel(dir, { spec: { heightPx: 224, widthPx: 224 } }));
    expect(mismatch.code).toBe('INPUT_MISMATCH');
    expect(mismatch.message).toContain('height 8 ≠ spec 224');
    expect(mismatch.message).toContain('Use heightPx 8 and widthPx 8.');
  });

  it('persists imports across store instances, reuses the id for the same folder and de-duplicates names', async () => {
    const storeDir = await mkdtemp(path.join(root, 'store-'));
    const first = await createModelStore({ dir: storeDir }).importModel(classifierDir, { name: 'Same' });
    const again = await createModelStore({ dir: storeDir }).importModel(classifierDir, { name: 'Same', bottleneckNode: 'conv1' });
    expect(again.id).toBe(first.id);
    const other = await createModelStore({ dir: storeDir }).importModel(nestedDir, { name: 'Same' });
    expect(other.id).toBe('imported:same-2');

    const reopened = createModelStore({ dir: storeDir });
    expect((await reopened.resolve(first.id)).bottleneckNode).toBe('conv1');
    expect((await reopened.listModels()).map((m) => m.id)).toEqual(['imported:same', 'imported:same-2']);
    const file = JSON.parse(await readFile(path.join(storeDir, 'imports.json'), 'utf8'));
    expect(file.models).toHaveLength(2);

    await reopened.remove(other.id);
    expect((await reopened.listModels()).map((m) => m.id)).toEqual(['imported:same']);
    expect(existsSync(path.join(nestedDir, 'model.json'))).toBe(true);
    expect((await rejection(reopened.remove(other.id))).code).toBe('MODEL_NOT_FOUND');
  });

  it('says when an imported folder moved, or a catalog model is not downloaded', async () => {
    const dir = await mkdtemp(path.join(root, 'moving-'));
    await cp(classifierDir, dir, { recursive: true });
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const info = await store.importModel(dir);
    await rename(dir, `${dir}-moved`);
    const moved = await rejection(store.resolve(info.id));
    expect(moved.code).toBe('MODEL_NOT_FOUND');
    expect(moved.message).toContain(dir);
    expect(moved.message).toContain('moved or deleted');

    const notDownloaded = await rejection(store.resolve('mobilenet_0.50_224'));
    expect(notDownloaded.code).toBe('MODEL_NOT_FOUND');
    expect(notDownloaded.message).toContain('is not downloaded');
    expect(notDownloaded.message).toContain('`retrain-studio models --download mobilenet_0.50_224`');
    const unknown = await rejection(store.resolve('resnet_50'));
    expect(unknown.message).toContain('Unknown model "resnet_50"');
  });

  it('fails clearly on folders without a model', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const error = await rejection(store.importModel(path.join(root, 'no-such-folder')));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('No model.json in');
  });

  it('lists the catalog with cache state without touching the network', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')), fetchImpl: () => Promise.reject(new Error('no network in this test')) });
    const listing = await store.listCatalog();
    expect(listing).toHaveLength(CATALOG.length);
    expect(listing.every((e) => !e.cached && e.sizeOnDiskBytes === 0)).toBe(true);
    expect(await store.listModels()).toEqual([]);
  });

  it.skipIf(!hasShared)('imports the shared darknet classifier with its JSON labels and the squash spec', async () => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    const info = await store.importModel(sharedPath('models', 'darknet_tiny_imagenet'), { labelsFile: 'labels_darknet_order.json', spec: { crop: 'squash' } });
    expect(info).toMatchObject({ bottleneckNode: 'leaky_re_lu_15', featureSize: 128, outputNode: 'global_average_pooling2d_1', outputIsProbabilities: false });
    expect(info.labels).toHaveLength(1000);
    expect(info.labels?.[0]).toBe('kit fox');
  });
});
