/**
 * Inception v3 for real (../shared/models/inception_v3_nsfwjs_299: 299×299, [0, 1], uint8
 * weights): bottlenecks on ONNX Runtime after the parity check, training and labelling end to
 * end on a few real flower photos; a second service over the same data folder (a new app
 * start) loads the checked ONNX model without loading TF.js or checking parity again.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src-main/api/contract.js';
import { createService, type Service } from '../../../src-main/api/service.js';
import { tempDir } from '../../helpers/fixtures.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';

const CLASSES = ['daisy', 'roses', 'sunflowers'];
const PER_CLASS = 4;

async function smallFlowers(root: string): Promise<string> {
  for (const label of CLASSES) {
    const from = sharedPath('datasets', 'flower_photos_small', label);
    await mkdir(path.join(root, label), { recursive: true });
    const names = (await readdir(from)).filter((n) => n.endsWith('.jpg')).sort().slice(0, PER_CLASS);
    for (const name of names) await copyFile(path.join(from, name), path.join(root, label, name));
  }
  return root;
}

async function train(service: Service, datasetId: string, architecture: string): Promise<RunSummary> {
  let runId: string | undefined;
  const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
  ({ runId } = await service.startTraining({
    datasetId,
    config: { architecture, howManyTrainingSteps: 40, testingPercentage: 25, validationPercentage: 0, evalStepInterval: 20 },
  }));
  return done;
}

describe.skipIf(!hasShared)('real Inception v3 (nsfwjs, 299) end to end on ONNX Runtime', () => {
  let dataDir: string;
  let flowers: string;
  const services: Service[] = [];

  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('inception');
    dataDir = path.join(base, 'data');
    flowers = await smallFlowers(path.join(base, 'flowers'));
  });
  afterAll(async () => {
    for (const s of services) await s.close();
  });

  it('computes bottlenecks on ONNX Runtime, trains, labels, and reuses the checked conversion on the next start', async () => {
    const service = await createService({ dataDir });
    services.push(service);
    const dataset = await service.openDataset({ path: flowers, testPercent: 25 });
    const model = await service.importModel({
      path: sharedPath('models', 'inception_v3_nsfwjs_299'),
      name: 'Inception v3 (nsfwjs)',
      bottleneckNode: 'mixed10',
      spec: { crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 } },
    });
    expect(model).toMatchObject({ featureSize: 2048, inputShape: [null, 299, 299, 3] });

    const run = await train(service, dataset.id, model.id);
    expect(run.status, run.error).toBe('completed');
    expect(run.featureEngine).toBe('onnxruntime-cpu');
    const engine = await service.getEngine({});
    expect(engine.summary).toMatch(/onnxruntime-cpu \(parity with TF\.js: max relative error \S+ on 4 images\)/);
    console.info(`Inception v3: first run phases ${JSON.stringify(run.phases)}; ${engine.summary}`);

    const photo = path.join(flowers, 'sunflowers', (await readdir(path.join(flowers, 'sunflowers'))).sort()[0]);
    const labelled = await service.classify({ runId: run.id, image: { path: photo }, topK: 3 });
    expect(labelled.predictions.map((p) => p.label).sort()).toEqual([...CLASSES].sort());
    const total = labelled.predictions.reduce((sum, p) => sum + p.probability, 0);
    expect(total).toBeCloseTo(1, 4);

    // A new start over the same data folder: the checked ONNX model, no TF.js model loaded.
    await service.close();
    services.pop();
    const next = await createService({ dataDir });
    services.push(next);
    const again = await next.openDataset({ path: flowers, testPercent: 25 });
    const second = await train(next, again.id, model.id);
    expect(second.status, second.error).toBe('completed');
    expect(second.featureEngine).toBe('onnxruntime-cpu');
    expect((await next.getEngine({})).summary).toMatch(/checked on an earlier run/);
    console.info(`Inception v3: second start phases ${JSON.stringify(second.phases)}`);
  });
});
