/** k-fold cross-validation of a run (issue 10, item 11) on the real service, tiny backbone, colour photos. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/api/service.js';
import { foldAccuracies, meanAndSpread } from '../../src-main/api/service/cross-validate.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { useWasm } from '../helpers/tf.js';

describe('fold accuracies', () => {
  it('counts each fold apart and pools them', () => {
    // 4 images, 2 classes; folds 0,0,1,1; predictions right, wrong, right, right.
    const p = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9]);
    const { perFold, correct } = foldAccuracies(p, Int32Array.from([0, 1, 1, 1]), Int32Array.from([0, 0, 1, 1]), 2, 2);
    expect(perFold).toEqual([0.5, 1]);
    expect(correct).toBe(3);
    expect(meanAndSpread(perFold).mean).toBeCloseTo(0.75);
    expect(meanAndSpread(perFold).spread).toBeCloseTo(Math.SQRT1_2 / 2);
    expect(meanAndSpread([0.8])).toEqual({ mean: 0.8, spread: 0 });
  });
});

describe('crossValidateRun', () => {
  let service: Service;
  let run: RunSummary;
  let datasetRoot: string;

  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('cross-validate');
    datasetRoot = await makeColourDataset(path.join(base, 'colours'), 12);
    const modelDir = await makeTinyBackbone(path.join(base, 'tiny'));
    service = await createService({ dataDir: path.join(base, 'data') });
    const dataset = await service.openDataset({ path: datasetRoot });
    const model = await service.importModel({ path: modelDir, name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', resolve));
    await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 60, evalStepInterval: 30, learningRate: 0.5 } });
    run = await done;
    expect(run.status, run.error).toBe('completed');
  }, 120_000);
  afterAll(async () => service?.close());

  it('trains k heads on the cached bottlenecks (nothing recomputed) and reports each fold, their mean and spread', async () => {
    const cached = await service.getCacheInfo({});
    const result = await service.crossValidateRun({ runId: run.id, folds: 4 });
    expect(result.folds).toBe(4);
    expect(result.foldAccuracies).toHaveLength(4);
    const total = (await service.openDataset({ path: datasetRoot })).imageCount;
    expect(result.images).toBe(total);
    expect(result.mean).toBeCloseTo(result.foldAccuracies.reduce((a, b) => a + b, 0) / 4, 10);
    expect(result.spread).toBeGreaterThanOrEqual(0);
    // The pooled count agrees with the folds (equal-sized within one image per fold).
    expect(Math.abs(result.correct / result.images - result.mean)).toBeLessThan(0.05);
    // Colours a random conv layer separates: the estimate is well above chance (1/3... of the classes).
    expect(result.mean).toBeGreaterThan(0.7);
    expect(result.stepsPerFold).toBe(60);
    expect(await service.getCacheInfo({})).toEqual(cached);
    // Seeded: the same run gives the same folds and the same numbers.
    const again = await service.crossValidateRun({ runId: run.id, folds: 4 });
    expect(again.foldAccuracies).toEqual(result.foldAccuracies);
  }, 120_000);

  it('says what to do when the run’s dataset is not open, and refuses a bad fold count', async () => {
    await expect(service.crossValidateRun({ runId: 'no-such-run' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const { validateRequest } = await import('../../src-main/api/validate.js');
    expect(() => validateRequest('crossValidateRun', { runId: run.id, folds: 1 })).toThrow(/folds/);
    const fresh = await createService({ dataDir: path.join(path.dirname(datasetRoot), 'data') });
    try {
      await expect(fresh.crossValidateRun({ runId: run.id })).rejects.toThrow(/open that folder on the Dataset page first/);
    } finally {
      await fresh.close();
    }
  });
});
