import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headPredictor, loadLabelledModelClassifier, loadRunClassifier } from '../../../src-main/core/classify/run-classifier.js';
import { createExtractorCache } from '../../../src-main/core/models/extractor-cache.js';
import { loadFeatureExtractor, type FeatureExtractor, type ModelInfo } from '../../../src-main/core/models/index.js';
import type { RunStore } from '../../../src-main/core/runs/index.js';
import { loadLayersModelFromDir } from '../../../src-main/core/tf/file-io.js';
import { tempDir } from '../../helpers/fixtures.js';
import { TEST_ENGINE, useWasm } from '../../helpers/tf.js';
import { makeFinishedRun, RUN_CLASSES } from '../runs/fixtures.js';

/** Seeded pixels in [-1, 1] for `count` 16×16 images. */
const pixels = (count: number): Float32Array => Float32Array.from({ length: count * 16 * 16 * 3 }, (_, i) => Math.sin(i * 12.9898) * 0.9);

describe('the classifier of a finished run', () => {
  let tf: typeof tfTypes;
  let base: string;
  let run: { runs: RunStore; runId: string; model: ModelInfo; runDir: string };
  let extractor: FeatureExtractor;

  beforeAll(async () => {
    tf = await useWasm();
    base = await tempDir('run-classifier');
    run = await makeFinishedRun(base);
    extractor = await loadFeatureExtractor(run.model);
  });
  afterAll(() => extractor?.dispose());

  it('predicts what its backbone followed by its saved head predicts', async () => {
    const classifier = await loadRunClassifier(run.runs, run.runId, async () => extractor);
    expect(classifier.labels).toEqual(RUN_CLASSES);
    expect(classifier.engine).toBe(TEST_ENGINE);
    const probabilities = await classifier.predict(pixels(3), 3);

    // The same network assembled by hand from the run folder.
    const head = await loadLayersModelFromDir(path.join(run.runDir, 'model'));
    const features = await extractor.extract(pixels(3), 3);
    const expected = tf.tidy(() => (head.predict(tf.tensor2d(features, [3, 8])) as tfTypes.Tensor).dataSync());
    head.dispose();
    expect(Array.from(probabilities)).toEqual(Array.from(expected));
    // A real head: each row sums to 1 and the images are told apart.
    for (let row = 0; row < 3; row++) expect(probabilities[row * 3] + probabilities[row * 3 + 1] + probabilities[row * 3 + 2]).toBeCloseTo(1, 5);
    expect(Math.max(...probabilities) - Math.min(...probabilities)).toBeGreaterThan(0.05);

    // dispose() releases the head only: the backbone belongs to its cache.
    const tensors = tf.memory().numTensors;
    classifier.dispose();
    expect(tf.memory().numTensors).toBeLessThan(tensors);
    await expect(extractor.extract(pixels(1), 1)).resolves.toHaveLength(8);
  });

  it('keeps working when the cache disposes the backbone it started with', async () => {
    const cache = createExtractorCache({ keep: 1 });
    const classifier = await loadRunClassifier(run.runs, run.runId, (info) => cache.tfjs(info));
    const before = await classifier.predict(pixels(2), 2);
    // Another network loaded into a cache of one evicts (and disposes) the run's backbone.
    await cache.other('another', run.model, () => loadFeatureExtractor(run.model));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Array.from(await classifier.predict(pixels(2), 2))).toEqual(Array.from(before));
    classifier.dispose();
    cache.clear();
  });

  it('headPredictor leaves no tensor behind', async () => {
    const head = await loadLayersModelFromDir(path.join(run.runDir, 'model'));
    const predict = headPredictor(head, 8);
    const before = tf.memory().numTensors;
    await predict(new Float32Array(16).fill(0.5), 2);
    expect(tf.memory().numTensors).toBe(before);
    head.dispose();
  });

  it('refuses a run that did not complete', async () => {
    const cancelled = await makeFinishedRun(await tempDir('run-classifier-cancelled'), { status: 'cancelled' });
    await expect(loadRunClassifier(cancelled.runs, cancelled.runId, async () => extractor)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('is cancelled') });
  });

  it('refuses a model without labels', async () => {
    await expect(loadLabelledModelClassifier(run.model)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('no labels file') });
  });
});
