import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile, readFile, rename, readdir } from 'node:fs/promises';
import path from 'node:path';
import { useWasm } from '../helpers/tf.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { expectExportMatchesApp } from '../helpers/export-parity.js';
import { readTensorBoardScalars } from '../../src-main/core/runs/index.js';

/** Resolves with the run's final summary. */
function finished(service: Service, runId: () => string | undefined): Promise<RunSummary> {
  return new Promise((resolve) => {
    const off = service.on('run.finished', (run) => {
      if (run.id === runId()) {
        off();
        resolve(run);
      }
    });
  });
}

describe('service: dataset → bottlenecks → training → evaluation → export → labelling', () => {
  let service: Service;
  let base: string;
  let datasetRoot: string;
  let modelDir: string;
  let dataDir: string;

  beforeAll(async () => {
    await useWasm();
    base = await tempDir('service');
    datasetRoot = await makeColourDataset(path.join(base, 'colours'), 14);
    await writeFile(path.join(datasetRoot, 'red', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    modelDir = await makeTinyBackbone(path.join(base, 'tiny-model'));
    dataDir = path.join(base, 'data');
    service = await createService({ dataDir });
  });
  afterAll(async () => service?.close());

  // What the later tests need, made by whichever needs it first, so that each test passes
  // alone (`vitest -t`): a dataset of other images than the first test's (seed 2: its
  // bottleneck counts stay exact), the imported backbone, and one short completed run.
  let opened: Promise<{ datasetId: string; modelId: string; root: string }> | undefined;
  const datasetAndModel = () =>
    (opened ??= (async () => {
      const root = await makeColourDataset(path.join(base, 'colours-2'), 6, undefined, 2);
      const dataset = await service.openDataset({ path: root });
      const model = await service.importModel({ path: modelDir, name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
      return { datasetId: dataset.id, modelId: model.id, root };
    })());
  let completed: Promise<RunSummary> | undefined;
  const completedRun = () =>
    (completed ??= (async () => {
      const { datasetId, modelId } = await datasetAndModel();
      let runId: string | undefined;
      const done = finished(service, () => runId);
      ({ runId } = await service.startTraining({ datasetId, config: { architecture: modelId, howManyTrainingSteps: 10, evalStepInterval: 5, learningRate: 0.5 } }));
      const run = await done;
      expect(run.status, run.error).toBe('completed');
      return run;
    })());

  it('trains a run, caches bottlenecks, exports a model that predicts what the app predicts', async () => {
    const dataset = await service.openDataset({ path: datasetRoot });
    expect(dataset.classes.map((c) => [c.name, c.count])).toEqual([['blue', 14], ['green', 14], ['red', 14]]);
    expect(dataset.issues.find((i) => i.path.endsWith('broken.jpg'))).toMatchObject({ severity: 'skipped' });
    expect(dataset.trainable).toBe(true);

    const model = await service.importModel({ path: modelDir, name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    expect(model).toMatchObject({ featureSize: 8, inputShape: [null, 16, 16, 3], normalization: expect.stringContaining('[-1, 1]') });

    // Events can arrive before the reply that names the run: record them all, filter later.
    const phases: Array<[string, string]> = [];
    const points: Array<[string, number]> = [];
    let runId: string | undefined;
    service.on('run.phase', (p) => phases.push([p.runId, p.phase]));
    service.on('training.progress', (p) => p.point && points.push([p.runId, p.point.step]));
    const done = finished(service, () => runId);
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 120, evalStepInterval: 20, learningRate: 0.5, testingPercentage: 20, validationPercentage: 20 } }));
    const run = await done;
    expect(run.status).toBe('completed');
    expect(phases.filter(([id]) => id === runId).map(([, phase]) => phase)).toEqual(['queued', 'loading', 'bottlenecks', 'training', 'evaluating', 'saving', 'done']);
    expect(points.filter(([id]) => id === runId).map(([, step]) => step)).toEqual([20, 40, 60, 80, 100, 120]);
    expect(run.phases.bottlenecksComputed).toBe(42);
    expect(run.phases.bottlenecksFromCache).toBe(0);
    expect(run.testAccuracy).toBeGreaterThanOrEqual(0.8);
    expect(run.backend).toBe('wasm');
    // 'auto': ONNX Runtime computes bottlenecks once its features match TF.js.
    expect(run.featureEngine).toBe('onnxruntime-cpu');
    expect((await service.getEngine({})).summary).toMatch(/onnxruntime-cpu \(parity with TF.js: max relative error/);

    const detail = await service.getRun({ runId: run.id });
    expect(detail.metrics).toHaveLength(6);
    expect(detail.evaluation?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(detail.evaluation?.testCount);
    // TensorBoard can read the run: train and validation event files with both tags.
    const runDir = path.join(dataDir, 'runs', run.id);
    const [trainEvents] = await readdir(path.join(runDir, 'train'));
    const scalars = await readTensorBoardScalars(path.join(runDir, 'train', trainEvents));
    expect(scalars.filter((s) => s.tag === 'accuracy').map((s) => s.step)).toEqual([20, 40, 60, 80, 100, 120]);

    // A second run over the same images computes no bottleneck, even after the folder moves.
    const moved = `${datasetRoot}-moved`;
    await rename(datasetRoot, moved);
    const reopened = await service.openDataset({ path: moved });
    let second: string | undefined;
    const secondDone = finished(service, () => second);
    ({ runId: second } = await service.startTraining({ datasetId: reopened.id, config: { architecture: model.id, howManyTrainingSteps: 20, evalStepInterval: 10, testingPercentage: 20, validationPercentage: 20 } }));
    const secondRun = await secondDone;
    expect(secondRun.phases).toMatchObject({ bottlenecksComputed: 0, bottlenecksFromCache: 42 });
    expect((await service.listRuns({})).map((r) => r.id)).toEqual(expect.arrayContaining([run.id, second]));

    // Export, load fresh from disk, compare with the app's own labelling.
    const exported = await service.exportRun({ runId: run.id });
    expect(exported.labelCommand).toContain('--input_layer=input_image ');
    expect(exported.labelCommand).toContain('--input_height=16');
    const metadata = JSON.parse(await readFile(path.join(exported.dir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ inputName: 'input_image', inputShape: [null, 16, 16, 3], outputName: 'final_result', classes: ['blue', 'green', 'red'], normalization: { kind: 'range', min: -1, max: 1 } });
    const files = ['blue/blue_0.jpg', 'green/green_3.png', 'red/red_5.png'];
    const inApp = await expectExportMatchesApp(service, run.id, exported.dir, files.map((f) => path.join(moved, f)));
    inApp.forEach((result, i) => {
      expect(result.predictions[0].label).toBe(files[i].split('/')[0]);
      expect(result.durationMs).toBeGreaterThan(0);
    });

    // The ONNX export agrees with TF.js.
    const withOnnx = await service.exportRun({ runId: run.id, onnx: true });
    expect(withOnnx.onnx).toMatchObject({ file: path.join(withOnnx.dir, 'model.onnx') });
    expect((withOnnx.onnx as { maxAbsError: number }).maxAbsError).toBeLessThan(1e-4);

    // CSV of the scalars has one row per evaluation step of each run.
    const csv = await service.exportScalars({ runIds: [run.id], format: 'csv' });
    expect(csv.text.trim().split('\n')).toHaveLength(1 + 6);
  });

  it('trains with distortions, recomputing features through the network each step', async () => {
    const { datasetId, modelId } = await datasetAndModel();
    // An undistorted run first caches every image's bottleneck.
    await completedRun();
    const before = await service.getCacheInfo({});
    let runId: string | undefined;
    const done = finished(service, () => runId);
    ({ runId } = await service.startTraining({ datasetId, config: { architecture: modelId, howManyTrainingSteps: 6, evalStepInterval: 3, trainBatchSize: 8, flipLeftRight: true, randomCrop: 10, randomScale: 10, randomBrightness: 20 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    expect(run.config).toMatchObject({ flipLeftRight: true, randomBrightness: 20 });
    // Distorted images are never cached: the cache holds exactly the undistorted entries it had.
    expect((await service.getCacheInfo({})).entries).toBe(before.entries);
  });

  it('cancels a run and records it as cancelled', async () => {
    const { datasetId, modelId } = await datasetAndModel();
    let runId: string | undefined;
    const done = finished(service, () => runId);
    const off = service.on('training.progress', (p) => p.runId === runId && p.step > 10 && void service.cancelTraining({ runId }).catch(() => {}));
    ({ runId } = await service.startTraining({ datasetId, config: { architecture: modelId, howManyTrainingSteps: 1_000_000 } }));
    const run = await done;
    off();
    expect(run.status).toBe('cancelled');
    await expect(service.exportRun({ runId: run.id })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('exports only to the exports folder or a folder the user chose', async () => {
    const done = await completedRun();
    const { root } = await datasetAndModel();
    await expect(service.exportRun({ runId: done.id, path: path.join(root, 'model') })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(service.exportRun({ runId: done.id, path: '/etc/retrain' })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    const chosen = await tempDir('chosen');
    service.access.grant(chosen, 'write');
    expect((await service.exportRun({ runId: done.id, path: path.join(chosen, 'flowers') })).dir).toBe(path.join(chosen, 'flowers'));
  });

  it('refuses to read files outside opened folders', async () => {
    const run = await completedRun();
    const { root } = await datasetAndModel();
    // A real image outside every opened folder: only the access check can refuse it.
    const outside = path.join(base, 'outside');
    await makeColourDataset(outside, 1);
    const image = path.join(outside, 'red', 'red_0.jpg');
    await expect(service.access.resolveReadable('/etc/passwd')).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(service.classify({ runId: run.id, image: { path: image } })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(service.access.resolveReadable(`${root}/../outside/red/red_0.jpg`)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    // The same run classifies the same kind of image inside the opened dataset.
    const inside = await service.classify({ runId: run.id, image: { path: path.join(root, 'red', 'red_0.jpg') } });
    expect(inside.predictions).toHaveLength(3);
  });

  it("describes a run's model (backbone to the bottleneck, then the head) without writing a file", async () => {
    const run = await completedRun();
    const files = async (): Promise<string[]> => (await readdir(dataDir, { recursive: true })).sort();
    const before = await files();
    const graph = await service.describeModel({ runId: run.id });
    expect(await files()).toEqual(before);
    expect(before.filter((f) => f.startsWith(path.join('exports', run.id)))).toEqual([]);
    expect(graph).toMatchObject({ modelId: `run:${run.id}`, format: 'layers', bottleneck: { name: 'pool', shape: [null, 8] }, output: { name: 'final_result', shape: [null, 3] } });
    expect(graph.nodes.map((n) => n.id)).toEqual(['input_image', 'conv', 'pool', 'final_training_ops', 'final_result']);
  });

  it('keeps settings in the data folder for the next start, and writes only what changed', async () => {
    const settingsDir = path.join(base, 'settings-data');
    const first = await createService({ dataDir: settingsDir });
    const second = await createService({ dataDir: settingsDir });
    try {
      expect(await first.updateSettings({ featureEngine: 'tfjs' })).toEqual({ backend: 'auto', featureEngine: 'tfjs' });
      expect((await first.getEngine({})).summary).toContain('Bottlenecks: TF.js (chosen in settings).');
      // The second process started before that change; its own update keeps it.
      await second.updateSettings({ backend: 'auto' });
      expect(JSON.parse(await readFile(path.join(settingsDir, 'settings.json'), 'utf8'))).toEqual({ backend: 'auto', featureEngine: 'tfjs' });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
    const restarted = await createService({ dataDir: settingsDir });
    await expect(restarted.getSettings({})).resolves.toEqual({ backend: 'auto', featureEngine: 'tfjs' });
    await restarted.close();
  });

  it('rejects a dataset folder without classes with a readable error', async () => {
    const empty = await tempDir('empty');
    const summary = await service.openDataset({ path: empty });
    expect(summary.trainable).toBe(false);
    expect(summary.issues[0].message).toMatch(/class/i);
  });
});
