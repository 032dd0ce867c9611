import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunStore } from '../../../src-main/core/runs/index.js';
import { readLease } from '../../../src-main/core/runs/lease.js';
import { DEFAULT_CONFIG } from '../../../src-main/core/training/index.js';
import type { ModelInfo } from '../../../src-main/core/models/types.js';

const model: ModelInfo = {
  id: 'tiny', name: 'Tiny', origin: 'imported', format: 'layers', dir: '/models/tiny', inputName: 'input', inputShape: [null, 8, 8, 3],
  spec: { heightPx: 8, widthPx: 8, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } }, bottleneckNode: 'pool', featureSize: 4, outputNode: 'pool',
};
const base = { name: 'run', datasetRoot: '/data', modelId: 'tiny', model, config: DEFAULT_CONFIG, classes: ['a', 'b'], appVersion: 'test' };
const initial = { backend: 'wasm', featureEngine: '', device: 'cpu', phases: {} };

describe('run leases across processes sharing a data folder', () => {
  it('another store sees a held run as live and cannot delete it; a final summary releases it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-lease-'));
    const owner = createRunStore(dir);
    const other = createRunStore(dir);
    const run = await owner.create(base, initial);
    expect((await other.list())[0]).toMatchObject({ id: run.id, status: 'queued', live: true });
    await expect(other.remove(run.id)).rejects.toMatchObject({ code: 'BUSY', message: expect.stringContaining(`process ${process.pid}`) });
    await owner.writeSummary(run.id, { ...initial, status: 'completed' });
    expect((await other.get(run.id)).live).toBe(false);
    await other.remove(run.id);
    expect(await other.list()).toEqual([]);
  });

  it('a run whose process was killed is no longer live, so it is reported as interrupted', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-lease-'));
    const storeModule = path.resolve('src-main/core/runs/store.ts');
    // A real second process (tsx runs the TypeScript source) creates a run, says so, and waits.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { createRunStore } = await import(${JSON.stringify(storeModule)});
      const run = await createRunStore(${JSON.stringify(dir)}).create(${JSON.stringify(base)}, ${JSON.stringify(initial)});
      console.log(run.id);
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const runId = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
    });
    const store = createRunStore(dir);
    expect((await store.get(runId)).live).toBe(true);
    const lease = JSON.parse(await readFile(path.join(dir, runId, 'lease.json'), 'utf8'));
    expect(lease.pid).toBe(child.pid);
    await expect(store.remove(runId)).rejects.toMatchObject({ code: 'BUSY' });

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect((await store.get(runId))).toMatchObject({ status: 'queued', live: false });
    await store.remove(runId);
  }, 30_000);

  it('a lease not renewed within the expiry is expired even if its process exists', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-lease-'));
    const store = createRunStore(dir);
    const run = await store.create(base, initial);
    const runDir = path.join(dir, run.id);
    expect((await readLease(runDir)).state).toBe('live');
    expect((await readLease(runDir, Date.now() + 60_000)).state).toBe('expired');
    await store.close();
    expect((await readLease(runDir)).state).toBe('none');
  });
});
