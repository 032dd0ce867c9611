import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../helpers/tf.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';

describe('a background write failure during a run', () => {
  let service: Service;
  let dataDir: string;
  let datasetRoot: string;
  let modelDir: string;

  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('run-failures');
    datasetRoot = await makeColourDataset(path.join(base, 'colours'), 8);
    modelDir = await makeTinyBackbone(path.join(base, 'tiny-model'));
    dataDir = path.join(base, 'data');
    service = await createService({ dataDir });
  });
  afterAll(async () => service?.close());

  it('fails that run with the reason, keeps the process alive and runs the next one', async () => {
    const dataset = await service.openDataset({ path: datasetRoot });
    const model = await service.importModel({ path: modelDir, name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    const finished = new Map<string, RunSummary>();
    const waiters = new Map<string, (run: RunSummary) => void>();
    service.on('run.finished', (run) => {
      finished.set(run.id, run);
      waiters.get(run.id)?.(run);
    });
    const finishedRun = (id: string): Promise<RunSummary> =>
      finished.has(id) ? Promise.resolve(finished.get(id) as RunSummary) : new Promise((resolve) => waiters.set(id, resolve));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    let broken = false;
    let runId = '';
    // metrics.jsonl becomes a folder at the first evaluation: every later append fails (EISDIR), as on a full disk.
    const off = service.on('training.progress', (progress) => {
      if (broken || !progress.point || progress.runId !== runId) return;
      broken = true;
      const file = path.join(dataDir, 'runs', runId, 'metrics.jsonl');
      void rm(file, { force: true }).then(() => mkdir(file));
    });
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 3000, evalStepInterval: 10, learningRate: 0.1 } }));
    const failed = await finishedRun(runId);
    off();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Could not record the run's metrics \(.*EISDIR/);

    const { runId: next } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 20, evalStepInterval: 10, learningRate: 0.1 } });
    expect((await finishedRun(next)).status).toBe('completed');
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  }, 120_000);
});
