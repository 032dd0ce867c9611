/**
 * Runs waiting in the queue are `queued` (not `running`) in listRuns, sweep runs are named
 * with retrain.py's flag, every run records the bottleneck node it trained on, and a model
 * that is not downloaded is refused with the next step. Real
 * service, real tiny backbone and images.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { useWasm } from '../helpers/tf.js';

describe('service: queued runs, sweep names, bottleneck node', () => {
  let service: Service;
  let base: string;

  beforeAll(async () => {
    await useWasm();
    base = await tempDir('queue-status');
    service = await createService({ dataDir: path.join(base, 'data') });
  });
  afterAll(async () => service?.close());

  it('lists the runs behind the first as queued, names them learning_rate = …, and records the bottleneck node', async () => {
    const root = await makeColourDataset(path.join(base, 'colours'), 6);
    const dataset = await service.openDataset({ path: root });
    const model = await service.importModel({ path: await makeTinyBackbone(path.join(base, 'tiny')), name: 'tiny' });
    const finished = new Map<string, RunSummary>();
    service.on('run.finished', (run) => finished.set(run.id, run));
    // The first run trains "forever" until cancelled, so the others wait behind it.
    let firstTraining!: () => void;
    const training = new Promise<void>((resolve) => (firstTraining = resolve));
    let firstId: string | undefined;
    service.on('training.progress', (p) => p.runId === firstId && p.step > 2 && firstTraining());
    const { runIds } = await service.startSweep({
      datasetId: dataset.id,
      config: { architecture: model.id, howManyTrainingSteps: 1_000_000, evalStepInterval: 1000 },
      parameter: 'learningRate',
      values: [0.1, 0.5, 1],
    });
    firstId = runIds[0];
    // Before the queue reaches them, right after the call: none of the later runs is running.
    const early = await service.listRuns({});
    for (const id of runIds.slice(1)) expect(early.find((r) => r.id === id)?.status).toBe('queued');
    await training;
    const listed = await service.listRuns({});
    const byId = (id: string) => listed.find((r) => r.id === id) as RunSummary;
    expect(runIds.map((id) => byId(id).status)).toEqual(['running', 'queued', 'queued']);
    expect((await service.getRun({ runId: runIds[1] })).status).toBe('queued');
    expect(runIds.map((id) => byId(id).name)).toEqual(['learning_rate = 0.1', 'learning_rate = 0.5', 'learning_rate = 1']);
    expect(byId(runIds[0]).bottleneckNode).toBe(model.bottleneckNode);
    expect(model.bottleneckNode).toBeTruthy();

    // Cancelling a queued run finishes it as cancelled without ever running.
    await service.cancelTraining({ runId: runIds[2] });
    await service.cancelTraining({ runId: runIds[1] });
    await service.cancelTraining({ runId: runIds[0] });
    await expect.poll(() => finished.size, { timeout: 60_000 }).toBe(3);
    expect(runIds.map((id) => finished.get(id)?.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(finished.get(runIds[2])?.error).toMatch(/before it started/);
    expect(finished.get(runIds[0])?.bottleneckNode).toBe(model.bottleneckNode);
  }, 120_000);

  it('refuses a catalog model that is not downloaded with the next step, naming no "Models view"', async () => {
    const dataset = await service.openDataset({ path: await makeColourDataset(path.join(base, 'colours-2'), 4) });
    const missing = (await service.listModels({})).find((m) => m.origin === 'catalog' && !m.cached);
    expect(missing).toBeDefined();
    const error = await service.startTraining({ datasetId: dataset.id, config: { architecture: missing!.id } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const message = (error as Error).message;
    expect(message).toMatch(/Download button on the Model & settings page/);
    expect(message).toMatch(/import a local model/);
    expect(message).not.toMatch(/Models view/);
  });
});
