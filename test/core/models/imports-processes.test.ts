/**
 * imports.json shared by several processes (the app, `serve`, a CLI run on one data folder):
 * concurrent imports from two real processes must all be persisted.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelStore } from '../../../src-main/core/models/index.js';
import { useWasm } from '../../helpers/tf.js';
import { makeLayersClassifier, makeNestedFeatureModel, startFileServer, type FileServer } from './fixtures.js';
import type { CatalogEntry, ModelInfo } from '../../../src-main/core/models/index.js';

const WORKER = path.join(import.meta.dirname, 'store-worker.fixture.ts');
let root: string;
let modelDirs: string[];
let server: FileServer;

beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-imports-'));
  const template = path.join(root, 'template');
  (await makeLayersClassifier(template)).dispose();
  modelDirs = [];
  for (let i = 0; i < 40; i++) {
    const dir = path.join(root, 'models', `model-${String(i).padStart(2, '0')}`);
    await cp(template, dir, { recursive: true });
    modelDirs.push(dir);
  }
  const nested = path.join(root, 'nested');
  (await makeNestedFeatureModel(nested)).dispose();
  server = await startFileServer({ '/tiny': nested });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

function runWorker<T>(args: string[]): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as T) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

describe('the model store across processes', () => {
  it('two processes importing 40 models at once into one folder persist all 40', async () => {
    const storeDir = path.join(root, 'store');
    // Interleaved halves so both processes write at the same time.
    const [a, b] = await Promise.all([
      runWorker<string[]>(['import', storeDir, ...modelDirs.filter((_, i) => i % 2 === 0)]),
      runWorker<string[]>(['import', storeDir, ...modelDirs.filter((_, i) => i % 2 === 1)]),
    ]);
    expect(a).toHaveLength(20);
    expect(b).toHaveLength(20);
    const file = JSON.parse(await readFile(path.join(storeDir, 'imports.json'), 'utf8')) as { models: Array<{ id: string; dir: string }> };
    expect(file.models.map((m) => m.dir).sort()).toEqual([...modelDirs].sort());
    // Every answered id is the persisted one (no two processes handed out the same id).
    expect(new Set(file.models.map((m) => m.id)).size).toBe(40);
    expect(file.models.map((m) => m.id).sort()).toEqual([...a, ...b].sort());
    const listed = await createModelStore({ dir: storeDir }).listModels();
    expect(listed).toHaveLength(40);
    // No lock or temp file is left behind.
    expect(await readdir(storeDir)).toEqual(['imports.json']);
  }, 120_000);

  it('two processes downloading one catalog model share one download', async () => {
    const storeDir = path.join(root, 'store-download');
    const entry: CatalogEntry = {
      id: 'tiny', name: 'Tiny', family: 'mobilenet_v2', format: 'layers', url: `${server.baseUrl}/tiny/model.json`, fromTfHub: false,
      spec: { heightPx: 16, widthPx: 16, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
      inputName: 'input_1', bottleneckNode: 'out_relu', featureSize: 12, approxDownloadBytes: 1e4, source: 'local test server',
    };
    const [a, b] = await Promise.all([0, 1].map(() => runWorker<ModelInfo>(['download', storeDir, JSON.stringify(entry)])));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ id: 'tiny', bottleneckNode: 'out_relu', featureSize: 12 });
    // The second process waited for the first and used its result instead of writing into the same .partial folder.
    expect(server.requests.filter((r) => r.path === '/tiny/weights.bin' && r.status === 200)).toHaveLength(1);
    expect((await readdir(storeDir)).sort()).toEqual(['tiny']);
  }, 120_000);
});
