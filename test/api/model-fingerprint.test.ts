import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../helpers/tf.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { bottleneckKey, createBottleneckCache } from '../../src-main/core/bottlenecks/index.js';
import { modelFingerprint } from '../../src-main/core/models/fingerprint.js';

describe('a model changed in place', () => {
  let service: Service;
  let datasetRoot: string;
  let modelDir: string;
  let dataDir: string;

  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('fingerprint');
    datasetRoot = await makeColourDataset(path.join(base, 'colours'), 6);
    modelDir = await makeTinyBackbone(path.join(base, 'tiny-model'));
    dataDir = path.join(base, 'data');
    service = await createService({ dataDir });
  });
  afterAll(async () => service?.close());

  it('never reuses bottlenecks computed with its old weights', async () => {
    const dataset = await service.openDataset({ path: datasetRoot });
    const model = await service.importModel({ path: modelDir, name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    const train = async (): Promise<RunSummary> => {
      const { runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 10, evalStepInterval: 5 } });
      return new Promise((resolve) => {
        const off = service.on('run.finished', (run) => {
          if (run.id !== runId) return;
          off();
          resolve(run);
        });
      });
    };
    // The features of one photo under the model's current fingerprint, straight from the cache.
    const photo = path.join(datasetRoot, 'red', (await readdir(path.join(datasetRoot, 'red')))[0]);
    const cache = createBottleneckCache({ dir: path.join(dataDir, 'bottlenecks') });
    const cachedFeatures = async (): Promise<Float32Array | undefined> =>
      cache.get(bottleneckKey(createHash('sha256').update(await readFile(photo)).digest('hex'), { id: model.id, bottleneckNode: model.bottleneckNode, spec: model.spec }, await modelFingerprint(modelDir))) ?? undefined;
    const first = await train();
    expect(first.phases).toMatchObject({ bottlenecksComputed: 18, bottlenecksFromCache: 0 });
    expect((await train()).phases).toMatchObject({ bottlenecksComputed: 0, bottlenecksFromCache: 18 });
    const before = await cachedFeatures();
    expect(before?.length).toBe(8);

    // New weights, same file name and size, same model id.
    const weightsFile = path.join(modelDir, 'weights.bin');
    const weights = new Float32Array(new Uint8Array(await readFile(weightsFile)).buffer.slice(0));
    for (let i = 0; i < weights.length; i++) weights[i] = weights[i] * -1.5 + 0.01;
    await writeFile(weightsFile, new Uint8Array(weights.buffer));
    const changed = await train();
    expect(changed.status).toBe('completed');
    expect(changed.phases).toMatchObject({ bottlenecksComputed: 18, bottlenecksFromCache: 0 });
    // Computed by the new network, not by the old one still loaded in memory.
    expect(Array.from((await cachedFeatures()) ?? [])).not.toEqual(Array.from(before ?? []));
  }, 120_000);
});
