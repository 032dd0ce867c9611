/**
 * The evidence on real data from ../shared (skipped, with a note, when absent):
 * MobileNetV2 0.35 on 200 flower photos reaches ≥ 0.70 test accuracy, and its export
 * predicts what the app predicts on real photos (max abs diff < 1e-5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';
import { tempDir } from '../helpers/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { expectExportMatchesApp } from '../helpers/export-parity.js';

if (!hasShared) console.warn('real-models.test: ../shared is absent — real MobileNetV2/flowers checks skipped.');

describe.skipIf(!hasShared)('real MobileNetV2 0.35 on flower_photos_small', () => {
  let service: Service;
  beforeAll(async () => {
    await useWasm();
    // TF.js features throughout, so that this test measures TF.js (ONNX has its own parity tests).
    service = await createService({ dataDir: await tempDir('real') });
    await service.updateSettings({ featureEngine: 'tfjs' });
  });
  afterAll(async () => service?.close());

  it('trains to ≥ 0.70 test accuracy with testing_percentage 30 and exports a model that agrees with the app', async () => {
    const flowers = sharedPath('datasets', 'flower_photos_small');
    const dataset = await service.openDataset({ path: flowers, testPercent: 30 });
    expect(dataset.classes.map((c) => c.count)).toEqual([40, 40, 40, 40, 40]);
    const model = await service.importModel({
      path: sharedPath('models', 'mobilenet_v2_0.35_224'),
      spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    });
    expect(model).toMatchObject({ featureSize: 1280, inputShape: [null, 224, 224, 3] });

    let runId: string | undefined;
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
    // retrain.py's defaults otherwise: 4000 steps of plain SGD at 0.01, batch 100.
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, testingPercentage: 30, validationPercentage: 10, evalStepInterval: 100 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    const detail = await service.getRun({ runId: run.id });
    console.info(`flowers: test accuracy ${(run.testAccuracy! * 100).toFixed(1)}% on ${detail.evaluation?.testCount} photos; phases ${JSON.stringify(run.phases)}`);
    expect(detail.evaluation!.testCount).toBeGreaterThanOrEqual(50);
    expect(run.testAccuracy).toBeGreaterThanOrEqual(0.7);

    const exported = await service.exportRun({ runId: run.id });
    const photos = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'].map((c) => detail.evaluation!.misclassified.find((m) => m.trueLabel === c)?.path ?? path.join(flowers, c));
    const files = (await service.listDatasetImages({ datasetId: dataset.id, split: 'test', limit: 6 })).images.map((i) => i.path).concat(photos.filter((p) => p.endsWith('.jpg')));
    await expectExportMatchesApp(service, run.id, exported.dir, files, 5);
  });
});
