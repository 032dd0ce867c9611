import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportRunModel } from '../../../src-main/core/export/run-export.js';
import { describeGraph, loadFeatureExtractor, type ModelGraph } from '../../../src-main/core/models/index.js';
import { describeRunGraph } from '../../../src-main/core/runs/run-graph.js';
import { tempDir } from '../../helpers/fixtures.js';
import { useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeNestedFeatureModel } from '../models/fixtures.js';
import { makeFinishedRun, type FinishedRunOptions } from './fixtures.js';

/** Every file and folder below `dir` with its size and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return Promise.all(entries.sort().map(async (entry) => {
    const info = await stat(path.join(dir, entry));
    return `${entry} ${info.size} ${info.mtimeMs}`;
  }));
}

/** What the graph view draws, without ids of the run or groups (which only the run view has). */
const drawn = (graph: ModelGraph) => ({
  nodes: graph.nodes.map((n) => [n.id, n.op, n.params, n.outputShape]),
  edges: graph.edges.map((e) => [e.from, e.to, e.shape]),
  input: graph.input,
  bottleneck: graph.bottleneck,
  output: graph.output,
  totalParams: graph.totalParams,
});

/** describeRunGraph of a finished run, and describeGraph of that run's TF.js export. */
async function runAndExportGraphs(name: string, options: FinishedRunOptions = {}) {
  const base = await tempDir(name);
  const run = await makeFinishedRun(base, options);
  const before = await snapshot(base);
  const graph = await describeRunGraph(run.runs, run.runId);
  // Read only: not one file of the data folder is created or touched.
  expect(await snapshot(base)).toEqual(before);

  const exportDir = path.join(await tempDir(`${name}-export`), 'export');
  const exported = await exportRunModel({ runs: run.runs, runId: run.runId, chooseDir: async () => exportDir, loadExtractor: loadFeatureExtractor, appVersion: 'test' });
  const graphBackbone = exported.metadata.graphBackbone;
  const fromExport = graphBackbone ? null : await describeGraph({ ...run.model, dir: exportDir, outputNode: exported.metadata.outputName });
  return { run, graph, fromExport };
}

describe("a finished run's graph", () => {
  beforeAll(async () => {
    await useWasm();
  });

  it('is the graph of its export: backbone to the bottleneck, then the head', async () => {
    const { run, graph, fromExport } = await runAndExportGraphs('run-graph-tiny');
    expect(graph.modelId).toBe(`run:${run.runId}`);
    expect(graph.nodes.map((n) => n.id)).toEqual(['input_image', 'conv', 'pool', 'hidden', 'final_training_ops', 'final_result']);
    expect(graph.nodes.filter((n) => n.group === 'retrained_head').map((n) => n.id)).toEqual(['hidden', 'final_training_ops', 'final_result']);
    expect(graph.output).toEqual({ name: 'final_result', shape: [null, 3] });
    expect(drawn(graph)).toEqual(drawn(fromExport as ModelGraph));
  });

  it('pools a 4-D bottleneck inside a nested model as the export does, and leaves out the layers after it', async () => {
    const { graph, fromExport } = await runAndExportGraphs('run-graph-nested', { makeBackbone: makeNestedFeatureModel, bottleneckNode: 'backbone/out_relu' });
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).not.toContain('features');
    expect(ids.slice(-4)).toEqual(['bottleneck_pool', 'hidden', 'final_training_ops', 'final_result']);
    expect(graph.bottleneck.name).toBe('backbone/out_relu');
    expect(graph.edges).toContainEqual({ from: 'backbone/out_relu', to: 'bottleneck_pool', shape: [null, 8, 8, 12] });
    expect(graph.edges).toContainEqual({ from: 'bottleneck_pool', to: 'hidden', shape: [null, 12] });
    expect(graph.totalParams).toBe((fromExport as ModelGraph).totalParams);
    expect(graph.nodes.map((n) => n.op)).toEqual((fromExport as ModelGraph).nodes.map((n) => n.op));
  });

  it('runs a graph-model backbone to its bottleneck node and feeds the head', async () => {
    const { graph } = await runAndExportGraphs('run-graph-graph', { makeBackbone: makeGraphModel, bottleneckNode: 'net/conv/Relu' });
    expect(graph.format).toBe('graph');
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toContain('net/conv/Relu');
    // The backbone's own pooling and classifier come after the bottleneck: not part of the run's model.
    expect(ids.filter((id) => id.startsWith('net/pool') || id.startsWith('head/'))).toEqual([]);
    expect(ids.slice(-4)).toEqual(['bottleneck_pool', 'hidden', 'final_training_ops', 'final_result']);
    expect(graph.output.shape).toEqual([null, 3]);
  });

  it('refuses a run that did not complete', async () => {
    const run = await makeFinishedRun(await tempDir('run-graph-cancelled'), { status: 'cancelled' });
    await expect(describeRunGraph(run.runs, run.runId)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
