/**
 * Calibration on real data (../shared: MobileNetV2 0.35 on the 200 flower photos; skipped with a
 * note when absent): the run fits a temperature ≠ 1 on its validation split, which lowers the
 * ECE there; the app's classifier and the export apply it and still agree to < 1e-5; the
 * top-1 class of every validation photo is what the uncalibrated head said.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { tempDir } from '../../helpers/fixtures.js';
import { expectExportMatchesApp } from '../../helpers/export-parity.js';
import { createService, type Service } from '../../../src-main/api/service.js';
import type { RunSummary } from '../../../src-main/api/contract.js';

if (!hasShared) console.warn('calibration-flowers.test: ../shared is absent — calibration on real flowers skipped.');

describe.skipIf(!hasShared)('temperature scaling on flower_photos_small', () => {
  let service: Service;
  let dataDir: string;
  beforeAll(async () => {
    await useWasm();
    dataDir = await tempDir('calibration');
    service = await createService({ dataDir });
    await service.updateSettings({ featureEngine: 'tfjs' });
  });
  afterAll(async () => service?.close());

  it('lowers the validation ECE, keeps every top-1, and the export agrees with the app', async () => {
    const flowers = sharedPath('datasets', 'flower_photos_small');
    const dataset = await service.openDataset({ path: flowers, validationPercent: 25, testPercent: 20 });
    const model = await service.importModel({ path: sharedPath('models', 'mobilenet_v2_0.35_224'), spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } } });
    let runId: string | undefined;
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, validationPercentage: 25, testingPercentage: 20, evalStepInterval: 1000 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    const calibration = (await service.getRun({ runId: run.id })).evaluation?.calibration;
    expect(calibration, 'the run stores its calibration').toBeDefined();
    const { temperature, validation, test } = calibration!;
    console.info(
      `flowers calibration: T = ${temperature.toFixed(3)}; validation (${validation.count} photos) ECE ${validation.eceBefore.toFixed(3)} → ${validation.eceAfter.toFixed(3)}, NLL ${validation.nllBefore.toFixed(3)} → ${validation.nllAfter.toFixed(3)}` +
        (test ? `; test (${test.count}) ECE ${test.eceBefore.toFixed(3)} → ${test.eceAfter.toFixed(3)}` : ''),
    );
    expect(Math.abs(Math.log(temperature))).toBeGreaterThan(0.05);
    expect(validation.count).toBeGreaterThanOrEqual(40);
    expect(validation.eceAfter).toBeLessThan(validation.eceBefore);
    expect(validation.nllAfter).toBeLessThan(validation.nllBefore);

    // The run's evaluation used the uncalibrated head: every test photo's top-1 in the app (calibrated) is the same.
    const runDir = path.join(dataDir, 'runs', run.id);
    expect(JSON.parse(await readFile(path.join(runDir, 'model', 'calibration.json'), 'utf8')).temperature).toBe(temperature);
    const evaluation = (await service.getRun({ runId: run.id })).evaluation!;
    const rawWrong = new Map(evaluation.misclassified.map((m) => [m.path, m]));
    const testPhotos = (await service.listDatasetImages({ datasetId: dataset.id, split: 'test', limit: 500 })).images;
    expect(testPhotos.length).toBe(evaluation.testCount);
    let changed = 0;
    for (const photo of testPhotos) {
      const top = (await service.classify({ runId: run.id, image: { path: photo.path }, topK: 1 })).predictions[0];
      const wrong = rawWrong.get(photo.path);
      expect(top.label, photo.path).toBe(wrong ? wrong.predictedLabel : photo.className);
      if (wrong && Math.abs(top.probability - wrong.probability) > 1e-3) changed++;
    }
    if (rawWrong.size) expect(changed, 'calibration changes the probabilities').toBeGreaterThan(0);
    const photos = testPhotos.slice(0, 6).map((p) => p.path);

    const exported = await service.exportRun({ runId: run.id });
    const metadata = JSON.parse(await readFile(path.join(exported.dir, 'metadata.json'), 'utf8'));
    expect(metadata.calibration).toMatchObject({ method: 'temperature', temperature });
    await expectExportMatchesApp(service, run.id, exported.dir, photos.slice(0, 6), 5);
  }, 900_000);
});
