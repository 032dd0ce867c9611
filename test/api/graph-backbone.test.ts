/**
 * A TF.js graph model as the backbone (as the catalog's TF Hub MobileNet v2/v3 and
 * Inception v3 are): training, export as backbone/ + head/, and labelling from the export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { useWasm } from '../helpers/tf.js';
import { makeColourDataset, tempDir } from '../helpers/fixtures.js';
import { makeGraphModel } from '../core/models/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { expectExportMatchesApp } from '../helpers/export-parity.js';

describe('graph-model backbone', () => {
  let service: Service;
  let base: string;
  beforeAll(async () => {
    await useWasm();
    base = await tempDir('graph-backbone');
    service = await createService({ dataDir: path.join(base, 'data') });
  });
  afterAll(async () => service?.close());

  it('trains on a graph backbone and exports a model that predicts what the app predicts', async () => {
    const photos = await makeColourDataset(path.join(base, 'photos'), 12);
    await makeGraphModel(path.join(base, 'graph'));
    const model = await service.importModel({ path: path.join(base, 'graph'), bottleneckNode: 'net/conv/Relu' });
    expect(model).toMatchObject({ format: 'graph', featureSize: 4, inputShape: [null, 8, 8, 3] });
    const dataset = await service.openDataset({ path: photos });
    let runId: string | undefined;
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 80, evalStepInterval: 40, learningRate: 1 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    // Graph backbones convert to ONNX too (core/onnx/graph) and pass the parity check.
    expect(run.featureEngine).toBe('onnxruntime-cpu');

    const exported = await service.exportRun({ runId: run.id, onnx: true });
    expect(exported.onnx).toMatchObject({ error: expect.stringContaining('graph model') });
    const metadata = JSON.parse(await readFile(path.join(exported.dir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ inputName: 'images', graphBackbone: { dir: 'backbone', node: 'net/conv/Relu', head: 'head' }, outputName: 'final_result' });
    expect(exported.tfjsSnippet).toContain("backbone.execute(x, 'net/conv/Relu')");

    await expectExportMatchesApp(service, run.id, exported.dir, ['red/red_1.png', 'green/green_2.jpg', 'blue/blue_3.png'].map((f) => path.join(photos, f)));
    const graph = await service.describeModel({ runId: run.id });
    expect(graph.format).toBe('graph');
    expect(graph.nodes.map((n) => n.name)).toContain('net/conv/Relu');
  });
});
