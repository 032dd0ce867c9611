import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelStore, loadFeatureExtractor, type CatalogEntry, type DownloadProgress } from '../../../src-main/core/models/index.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeNestedFeatureModel, startFileServer, type FileServer } from './fixtures.js';
import { rejection } from '../../helpers/errors.js';


const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

let root: string;
let server: FileServer;
let tinyDir: string;
let graphDir: string;

beforeAll(async () => {
  const tf = await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-download-'));
  tinyDir = path.join(root, 'src-tiny');
  graphDir = path.join(root, 'src-graph');
  (await makeNestedFeatureModel(tinyDir)).dispose();
  await makeGraphModel(graphDir);
  expect(tf.getBackend()).toBe('wasm');
  server = await startFileServer({
    '/tiny': tinyDir,
    '/hub/graph/1': graphDir,
    ...(hasShared ? { '/mobilenet': sharedPath('models', 'mobilenet_v2_0.35_224') } : {}),
  });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

type Source = { label: string; route: string; sourceDir: () => string; size: number; features: number; skip: boolean };
const SOURCES: Source[] = [
  { label: 'tiny generated nested model', route: '/tiny', sourceDir: () => tinyDir, size: 16, features: 12, skip: false },
  { label: 'shared mobilenet_v2_0.35_224', route: '/mobilenet', sourceDir: () => sharedPath('models', 'mobilenet_v2_0.35_224'), size: 224, features: 1280, skip: !hasShared },
];

describe.each(SOURCES)('download of the $label', (source) => {
  let storeDir: string;
  const entry = (id: string, overrides: Partial<CatalogEntry> = {}): CatalogEntry => ({
    id,
    name: `Test ${id}`,
    family: 'mobilenet_v2',
    format: 'layers',
    url: `${server.baseUrl}${source.route}/model.json`,
    fromTfHub: false,
    spec: { heightPx: source.size, widthPx: source.size, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    inputName: 'input_1',
    bottleneckNode: 'out_relu',
    featureSize: source.features,
    approxDownloadBytes: 2e6,
    source: 'local test server',
    ...overrides,
  });
  const weightsPath = `${source.route}/weights.bin`;
  const requestsFor = (p: string) => server.requests.filter((r) => r.path === p);

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(root, 'store-'));
  });

  it.skipIf(source.skip)('downloads with progress, verifies, and records sizes and hashes', async () => {
    const store = createModelStore({ dir: storeDir, catalog: [entry('plain')] });
    const events: DownloadProgress[] = [];
    const info = await store.download('plain', { onProgress: (p) => events.push(p) });

    const modelJsonBytes = (await stat(path.join(source.sourceDir(), 'model.json'))).size;
    const weightBytes = (await stat(path.join(source.sourceDir(), 'weights.bin'))).size;
    expect(info).toMatchObject({ id: 'plain', origin: 'catalog', format: 'layers', bottleneckNode: 'out_relu', featureSize: source.features });
    expect(info.inputShape).toEqual([null, source.size, source.size, 3]);
    expect(info.dir).toBe(path.join(storeDir, 'plain'));

    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.every((e) => e.modelId === 'plain')).toBe(true);
    expect(events[0].totalBytes).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i].receivedBytes).toBeGreaterThanOrEqual(events[i - 1].receivedBytes);
    const last = events[events.length - 1];
    expect(last.totalBytes).toBe(modelJsonBytes + weightBytes);
    expect(last.receivedBytes).toBe(modelJsonBytes + weightBytes);
    expect(events.some((e) => e.file === 'weights.bin')).toBe(true);

    const manifest = JSON.parse(await readFile(path.join(info.dir, 'retrain-studio.json'), 'utf8'));
    expect(manifest.sourceUrl).toBe(`${server.baseUrl}${source.route}/model.json`);
    expect(Date.parse(manifest.downloadedAt)).not.toBeNaN();
    expect(manifest.totalBytes).toBe(modelJsonBytes + weightBytes);
    expect(manifest.files).toEqual([
      { path: 'model.json', bytes: modelJsonBytes, sha256: await sha256(path.join(source.sourceDir(), 'model.json')) },
      { path: 'weights.bin', bytes: weightBytes, sha256: await sha256(path.join(source.sourceDir(), 'weights.bin')) },
    ]);
    expect((await readdir(storeDir)).sort()).toEqual(['plain']);

    const [listing] = await store.listCatalog();
    expect(listing).toMatchObject({ id: 'plain', cached: true });
    expect(listing.sizeOnDiskBytes).toBeGreaterThan(modelJsonBytes + weightBytes);
  });

  it.skipIf(source.skip)('resumes an interrupted shard with a Range request instead of fetching it again', async () => {
    const store = createModelStore({ dir: storeDir, catalog: [entry('resume')] });
    const weightBytes = (await stat(path.join(source.sourceDir(), 'weights.bin'))).size;
    server.dropAfter(weightsPath, Math.floor(weightBytes / 2));
    const before = requestsFor(weightsPath).length;

    const failure = await rejection(store.download('resume'));
    expect(failure.code).toBe('DOWNLOAD_FAILED');
    expect(failure.message).toContain(`${server.baseUrl}${weightsPath}`);
    expect(failure.message).toMatch(/connection lost|received \d+ of \d+ bytes/);
    expect(failure.message).toContain('resume');
    const part = path.join(storeDir, 'resume.partial', 'weights.bin.part');
    const partBytes = (await stat(part)).size;
    expect(partBytes).toBeGreaterThan(0);
    expect(partBytes).toBeLessThan(weightBytes);
    expect(existsSync(path.join(storeDir, 'resume'))).toBe(false);
    expect((await rejection(store.resolve('resume'))).code).toBe('MODEL_NOT_FOUND');

    const modelJsonRequests = requestsFor(`${source.route}/model.json`).length;
    const events: DownloadProgress[] = [];
    const info = await store.download('resume', { onProgress: (p) => events.push(p) });
    expect(info.id).toBe('resume');

    const weightRequests = requestsFor(weightsPath).slice(before);
    expect(weightRequests).toHaveLength(2);
    const [first, second] = weightRequests;
    expect(first.range).toBeNull();
    expect(second.range).toBe(`bytes=${partBytes}-`);
    expect(second.status).toBe(206);
    expect(second.bytesSent).toBe(weightBytes - partBytes);
    // model.json was complete: not fetched again.
    expect(requestsFor(`${source.route}/model.json`).length).toBe(modelJsonRequests);
    // Resumed bytes count as received from the start of the second attempt.
    const firstWeightEvent = events.find((e) => e.file === 'weights.bin' && e.receivedBytes > 0);
    expect(events[events.length - 1].receivedBytes).toBe(events[events.length - 1].totalBytes);
    expect(firstWeightEvent).toBeDefined();

    expect(await sha256(path.join(info.dir, 'weights.bin'))).toBe(await sha256(path.join(source.sourceDir(), 'weights.bin')));
    expect(existsSync(path.join(storeDir, 'resume.partial'))).toBe(false);
  });

  it.skipIf(source.skip)('rejects shards whose length does not match the weight specs and leaves nothing behind', async () => {
    const store = createModelStore({ dir: storeDir, catalog: [entry('corrupt')] });
    server.corrupt(weightsPath, -4);
    try {
      const failure = await rejection(store.download('corrupt'));
      expect(failure.code).toBe('DOWNLOAD_FAILED');
      expect(failure.message).toMatch(/hold \d+ bytes but model\.json's weight specs need \d+/);
      expect(failure.message).toContain(`${server.baseUrl}${weightsPath}`);
    } finally {
      server.corrupt(weightsPath, 0);
    }
    expect(existsSync(path.join(storeDir, 'corrupt'))).toBe(false);
    expect(existsSync(path.join(storeDir, 'corrupt.partial'))).toBe(false);
    expect((await rejection(store.resolve('corrupt'))).message).toContain('retrain-studio models --download corrupt');
  });
});

describe('download edge cases (tiny models)', () => {
  const tinyEntry = (id: string, overrides: Partial<CatalogEntry> = {}): CatalogEntry => ({
    id,
    name: id,
    family: 'mobilenet_v2',
    format: 'layers',
    url: `${server.baseUrl}/tiny/model.json`,
    fromTfHub: false,
    spec: { heightPx: 16, widthPx: 16, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    inputName: 'input_1',
    bottleneckNode: 'out_relu',
    featureSize: 12,
    approxDownloadBytes: 2e6,
    source: 'local test server',
    ...overrides,
  });

  it('works offline once downloaded', async () => {
    const offline = await startFileServer({ '/tiny': tinyDir });
    const dir = await mkdtemp(path.join(root, 'offline-'));
    const catalog = [tinyEntry('offline', { url: `${offline.baseUrl}/tiny/model.json` })];
    const info = await createModelStore({ dir, catalog }).download('offline');
    await offline.close();

    const store = createModelStore({ dir, catalog, fetchImpl: () => Promise.reject(new Error('network is off')) });
    expect(await store.resolve('offline')).toEqual(info);
    expect(await store.download('offline')).toEqual(info);
    expect((await store.listModels()).map((m) => m.id)).toEqual(['offline']);
    const extractor = await loadFeatureExtractor(await store.resolve('offline'));
    expect((await extractor.extract(new Float32Array(16 * 16 * 3), 1)).length).toBe(12);
    extractor.dispose();

    await store.remove('offline');
    expect(existsSync(info.dir)).toBe(false);
    expect((await rejection(store.resolve('offline'))).code).toBe('MODEL_NOT_FOUND');
  });

  it('appends ?tfjs-format=file to every TF Hub file and falls back to the output for feature-vector rows', async () => {
    const dir = await mkdtemp(path.join(root, 'hub-'));
    const before = server.requests.length;
    const catalog: CatalogEntry[] = [
      tinyEntry('hub', {
        family: 'mobilenet_v3',
        format: 'graph',
        url: `${server.baseUrl}/hub/graph/1/model.json`,
        fromTfHub: true,
        spec: { heightPx: 8, widthPx: 8, crop: 'center', normalization: { kind: 'range', min: 0, max: 1 } },
        inputName: 'images',
        bottleneckNode: 'Identity',
        bottleneckIsOutput: true,
        featureSize: 3,
      }),
    ];
    const info = await createModelStore({ dir, catalog }).download('hub');
    const requests = server.requests.slice(before);
    expect(requests.map((r) => `${r.path}${r.query}`)).toEqual([
      '/hub/graph/1/model.json?tfjs-format=file',
      '/hub/graph/1/group1-shard1of1.bin?tfjs-format=file',
    ]);
    expect(info).toMatchObject({ format: 'graph', inputName: 'images', bottleneckNode: 'head/Softmax', outputNode: 'head/Softmax', featureSize: 3, outputIsProbabilities: true });
    expect(info.inputShape).toEqual([null, 8, 8, 3]);
  });

  it('says HTTP 404 with the URL', async () => {
    const dir = await mkdtemp(path.join(root, 'missing-'));
    const url = `${server.baseUrl}/nothing/here/model.json`;
    const failure = await rejection(createModelStore({ dir, catalog: [tinyEntry('missing', { url })] }).download('missing'));
    expect(failure.code).toBe('DOWNLOAD_FAILED');
    expect(failure.message).toMatch(new RegExp(`^${url.replace(/[.?/]/g, '\\$&')}: HTTP 404 Not Found`));
  });

  it('reports a network failure as DOWNLOAD_FAILED and a cancelled download as CANCELLED', async () => {
    const dir = await mkdtemp(path.join(root, 'cancel-'));
    const noNetwork = createModelStore({ dir, catalog: [tinyEntry('x')], fetchImpl: () => Promise.reject(new TypeError('fetch failed')) });
    const failure = await rejection(noNetwork.download('x'));
    expect(failure.code).toBe('DOWNLOAD_FAILED');
    expect(failure.message).toContain('fetch failed');

    const controller = new AbortController();
    const store = createModelStore({ dir, catalog: [tinyEntry('x')] });
    const cancelled = await rejection(
      store.download('x', {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.totalBytes !== null) controller.abort();
        },
      }),
    );
    expect(cancelled.code).toBe('CANCELLED');
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
    // Cancelling keeps what arrived: the next call finishes the job.
    const info = await store.download('x');
    expect(info.featureSize).toBe(12);
  });

  it('rejects unknown ids and catalog rows whose bottleneck node does not exist', async () => {
    const dir = await mkdtemp(path.join(root, 'bad-'));
    const store = createModelStore({ dir, catalog: [tinyEntry('wrong-node', { bottleneckNode: 'conv_pw_13_relu' })] });
    const unknown = await rejection(store.download('nope'));
    expect(unknown.code).toBe('MODEL_NOT_FOUND');
    expect(unknown.message).toContain('wrong-node');

    const wrong = await rejection(store.download('wrong-node'));
    expect(wrong.code).toBe('NODE_NOT_FOUND');
    expect(wrong.message).toContain('backbone/out_relu [?,8,8,12]');
    // Verified files stay in the partial folder; nothing half-done in the final one.
    expect(existsSync(path.join(dir, 'wrong-node'))).toBe(false);
    expect(existsSync(path.join(dir, 'wrong-node.partial', 'weights.bin'))).toBe(true);
  });
});
