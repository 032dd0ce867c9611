import { describe, expect, it } from 'vitest';
import { mkdtemp, appendFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRunStore } from '../../../src-main/core/runs/index.js';
import { DEFAULT_CONFIG } from '../../../src-main/core/training/index.js';
import type { ModelInfo } from '../../../src-main/core/models/types.js';

const model: ModelInfo = {
  id: 'tiny', name: 'Tiny', origin: 'imported', format: 'layers', dir: '/models/tiny', inputName: 'input', inputShape: [null, 8, 8, 3],
  spec: { heightPx: 8, widthPx: 8, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } }, bottleneckNode: 'pool', featureSize: 4, outputNode: 'pool',
};
const point = (step: number) => ({ step, wallTimeMs: 1000 + step, relativeTimeMs: step, trainAccuracy: 0.5, trainCrossEntropy: 1, validationAccuracy: 0.4, validationCrossEntropy: 1.2 });

describe('run store', () => {
  it('creates, appends metrics, summarises, lists, renames and removes runs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-runs-'));
    const store = createRunStore(dir);
    const base = { name: 'first', datasetRoot: '/data', modelId: 'tiny', model, config: DEFAULT_CONFIG, classes: ['a', 'b'], appVersion: 'test' };
    const run = await store.create(base, { backend: 'wasm', featureEngine: '', device: 'cpu', phases: {} });
    expect(run.id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    expect((await store.get(run.id)).status).toBe('queued');
    await store.appendMetric(run.id, point(10));
    await store.appendMetric(run.id, point(20));
    await store.writeSummary(run.id, { status: 'completed', backend: 'wasm', featureEngine: 'tfjs-wasm', device: 'cpu', phases: { trainingMs: 5 }, testAccuracy: 0.75 });
    const detail = await store.get(run.id);
    expect(detail.metrics.map((m) => m.step)).toEqual([10, 20]);
    expect(detail).toMatchObject({ status: 'completed', testAccuracy: 0.75, name: 'first', classes: ['a', 'b'] });
    expect(JSON.parse(await readFile(path.join(dir, run.id, 'config.json'), 'utf8')).config.howManyTrainingSteps).toBe(4000);

    const second = await store.create({ ...base, name: 'second' }, { backend: 'wasm', featureEngine: '', device: 'cpu', phases: {} });
    expect((await store.list()).map((r) => r.id).sort()).toEqual([run.id, second.id].sort());
    expect((await store.rename(run.id, 'renamed')).name).toBe('renamed');
    await store.writeSummary(second.id, { status: 'cancelled', backend: 'wasm', featureEngine: '', device: 'cpu', phases: {} });
    await store.remove(second.id);
    expect((await store.list()).map((r) => r.name)).toEqual(['renamed']);
  });

  it('keeps the complete metric lines of a crashed write and rejects hostile ids', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-runs-'));
    const store = createRunStore(dir);
    const run = await store.create({ name: 'x', datasetRoot: '/d', modelId: 'tiny', model, config: DEFAULT_CONFIG, classes: ['a', 'b'], appVersion: 't' }, { backend: 'wasm', featureEngine: '', device: 'cpu', phases: {} });
    await store.appendMetric(run.id, point(10));
    await appendFile(path.join(dir, run.id, 'metrics.jsonl'), '{"step": 20, "wallTi');
    expect((await store.get(run.id)).metrics).toHaveLength(1);
    await expect(store.get('../etc')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.get('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
