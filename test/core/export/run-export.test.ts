import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyImage, loadExportedClassifier } from '../../../src-main/core/classify/index.js';
import { loadRunClassifier } from '../../../src-main/core/classify/run-classifier.js';
import { exportRunModel } from '../../../src-main/core/export/run-export.js';
import { loadFeatureExtractor } from '../../../src-main/core/models/index.js';
import { makeColourDataset, tempDir } from '../../helpers/fixtures.js';
import { useWasm } from '../../helpers/tf.js';
import { makeGraphModel } from '../models/fixtures.js';
import { makeFinishedRun, RUN_CLASSES } from '../runs/fixtures.js';

describe('exporting a finished run', () => {
  let photos: string;
  beforeAll(async () => {
    await useWasm();
    photos = await makeColourDataset(path.join(await tempDir('run-export-photos'), 'colours'), 1);
  });

  it('writes one model that labels as the run does, and an ONNX file that agrees with it', async () => {
    const run = await makeFinishedRun(await tempDir('run-export'));
    const dir = path.join(await tempDir('run-export-out'), 'flowers');
    const extractor = await loadFeatureExtractor(run.model);
    const result = await exportRunModel({ runs: run.runs, runId: run.runId, chooseDir: async () => dir, loadExtractor: async () => extractor, onnx: true, appVersion: 'test' });
    expect(result.dir).toBe(dir);
    expect(result.files.map((f) => path.relative(dir, f)).sort()).toEqual(['labels.txt', 'metadata.json', 'model.json', 'model.onnx', 'weights.bin']);
    expect((await readdir(dir)).sort()).toEqual(['labels.txt', 'metadata.json', 'model.json', 'model.onnx', 'weights.bin']);
    expect(result.metadata).toMatchObject({ classes: RUN_CLASSES, runId: run.runId, outputName: 'final_result' });
    expect(result.onnx).toMatchObject({ file: path.join(dir, 'model.onnx') });
    expect((result.onnx as { maxAbsError: number }).maxAbsError).toBeLessThan(1e-4);

    const fromExport = await loadExportedClassifier(dir);
    const inApp = await loadRunClassifier(run.runs, run.runId, async () => extractor);
    for (const file of ['blue/blue_0.jpg', 'red/red_0.jpg']) {
      const a = await classifyImage(fromExport, path.join(photos, file), 3);
      const b = await classifyImage(inApp, path.join(photos, file), 3);
      expect(a.predictions.map((p) => p.label)).toEqual(b.predictions.map((p) => p.label));
      a.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(b.predictions[i].probability, 5));
    }
    fromExport.dispose();
    inApp.dispose();
    extractor.dispose();
  });

  it('says why a graph-model backbone has no ONNX file', async () => {
    const run = await makeFinishedRun(await tempDir('run-export-graph'), { makeBackbone: makeGraphModel, bottleneckNode: 'net/conv/Relu' });
    const dir = path.join(await tempDir('run-export-graph-out'), 'out');
    const result = await exportRunModel({ runs: run.runs, runId: run.runId, chooseDir: async () => dir, loadExtractor: loadFeatureExtractor, onnx: true, appVersion: 'test' });
    expect(result.onnx).toEqual({ error: 'tiny is a TF.js graph model; ONNX conversion handles layers models only.' });
    expect(result.metadata.graphBackbone).toEqual({ dir: 'backbone', node: 'net/conv/Relu', head: 'head' });
    expect(result.files.some((f) => f.endsWith('.onnx'))).toBe(false);
  });

  it('refuses a run that did not complete before choosing or writing any folder', async () => {
    const run = await makeFinishedRun(await tempDir('run-export-cancelled'), { status: 'cancelled' });
    let asked = false;
    const chooseDir = async (): Promise<string> => {
      asked = true;
      return tempDir('never');
    };
    await expect(exportRunModel({ runs: run.runs, runId: run.runId, chooseDir, loadExtractor: loadFeatureExtractor, appVersion: 'test' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(asked).toBe(false);
  });
});
