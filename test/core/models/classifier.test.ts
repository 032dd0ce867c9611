import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { decodeImage } from '../../../src-main/core/images/index.js';
import { createModelStore, loadClassifier, type ModelStore } from '../../../src-main/core/models/index.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeLayersClassifier } from './fixtures.js';

let tf: typeof tfTypes;
let root: string;
let store: ModelStore;

beforeAll(async () => {
  tf = await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-classifier-'));
  store = createModelStore({ dir: path.join(root, 'store') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const input = (count: number, size: number): Float32Array => Float32Array.from({ length: count * size * size * 3 }, (_, i) => ((i * 7919) % 255) / 255);
const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('loadClassifier on tiny models', () => {
  it('passes softmax outputs through and applies softmax to logits', async () => {
    const softmaxDir = path.join(root, 'softmax');
    const logitsDir = path.join(root, 'logits');
    const softmaxModel = await makeLayersClassifier(softmaxDir, { seed: 4 });
    const logitsModel = await makeLayersClassifier(logitsDir, { seed: 4, softmax: false });
    const x = input(2, 8);
    const [direct, logits] = tf.tidy(() => {
      const t = tf.tensor4d(x, [2, 8, 8, 3]);
      return [(softmaxModel.predict(t) as tfTypes.Tensor).dataSync() as Float32Array, (logitsModel.predict(t) as tfTypes.Tensor).dataSync() as Float32Array];
    });
    softmaxModel.dispose();
    logitsModel.dispose();
    const before = tf.memory().numTensors;

    const probabilities = await loadClassifier(await store.importModel(softmaxDir));
    expect(probabilities.appliesSoftmax).toBe(false);
    const p = await probabilities.predict(x, 2);
    expect(maxAbsDiff(p, direct)).toBeLessThan(1e-6);

    const fromLogits = await loadClassifier(await store.importModel(logitsDir));
    expect(fromLogits.appliesSoftmax).toBe(true);
    const q = await fromLogits.predict(x, 2);
    expect(maxAbsDiff(q, direct)).toBeLessThan(1e-5);
    expect(q[0] + q[1] + q[2]).toBeCloseTo(1, 5);
    expect(maxAbsDiff(q, logits)).toBeGreaterThan(1e-3);

    const raw = await loadClassifier(await store.resolve('imported:logits'), { outputIsProbabilities: true });
    expect(maxAbsDiff(await raw.predict(x, 2), logits)).toBeLessThan(1e-6);

    for (const c of [probabilities, fromLogits, raw]) c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('classifies with graph models and refuses labels that do not fit the output', async () => {
    const dir = path.join(root, 'graph');
    await makeGraphModel(dir);
    const info = await store.importModel(dir);
    const classifier = await loadClassifier(info);
    expect(classifier.appliesSoftmax).toBe(false);
    const p = await classifier.predict(input(1, 8), 1);
    expect(p.length).toBe(3);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 5);
    classifier.dispose();

    const error = await loadClassifier({ ...info, labels: ['one', 'two'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('MODEL_INVALID');
    expect((error as CoreError).message).toContain('2 labels but its output head/Softmax has 3 classes');
  });
});

describe.skipIf(!hasShared)('darknet_tiny_imagenet on known ImageNet photos', () => {
  it('has the expected label in the top 5 for at least 17 of 19 photos (squash to 224, [0, 1], logits → softmax)', async () => {
    const info = await store.importModel(sharedPath('models', 'darknet_tiny_imagenet'), {
      labelsFile: 'labels_darknet_order.json',
      spec: { crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 } },
    });
    expect(info.spec).toEqual({ heightPx: 224, widthPx: 224, crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 } });
    const tags = (await readFile(sharedPath('images', 'imagenet_known', 'tags.tsv'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]);
    expect(tags).toHaveLength(19);

    const before = tf.memory().numTensors;
    const classifier = await loadClassifier(info);
    expect(classifier.appliesSoftmax).toBe(true);
    const size = 224 * 224 * 3;
    const batch = new Float32Array(tags.length * size);
    for (const [i, [file]] of tags.entries()) batch.set((await decodeImage(sharedPath('images', 'imagenet_known', file), info.spec)).data, i * size);
    const probabilities = await classifier.predict(batch, tags.length);
    classifier.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const labels = info.labels!;
    const misses: string[] = [];
    let top1 = 0;
    for (const [i, [file, expected]] of tags.entries()) {
      const row = probabilities.subarray(i * 1000, (i + 1) * 1000);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 3);
      const ranked = Array.from(row.keys()).sort((a, b) => row[b] - row[a]);
      if (labels[ranked[0]] === expected) top1++;
      if (!ranked.slice(0, 5).some((k) => labels[k] === expected)) misses.push(`${file}: ${ranked.slice(0, 5).map((k) => labels[k]).join(', ')}`);
    }
    expect(tags.length - misses.length, `top-5 misses:\n${misses.join('\n')}`).toBeGreaterThanOrEqual(17);
    expect(top1).toBeGreaterThanOrEqual(15);
  });
});
