/**
 * serve's upload and download routes (issue 10, item 8) on the real service and server: a
 * folder of real photos uploaded file by file and opened as a dataset; names that escape the
 * folder refused; per-file and total limits; the token and the Origin checked as for /api;
 * an export downloaded as a zip equal to the files on disk; the scalars as CSV and JSON.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSFER_ROUTES, type RunSummary } from '../../src-main/api/contract.js';
import { createService, type Service } from '../../src-main/api/service.js';
import { createServer, type RunningServer } from '../../src-main/server/index.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';

const FLOWERS = sharedPath('datasets', 'flower_photos_small');
const TOKEN = 'upload-test-token-0123456789';

describe('serve: upload a dataset, download an export and the scalars', () => {
  let base: string;
  let dataDir: string;
  let service: Service;
  let server: RunningServer;
  const auth = { Authorization: `Bearer ${TOKEN}` };

  const startUpload = async (name: string): Promise<string> => {
    const response = await fetch(`${server.url}${TRANSFER_ROUTES.uploadStart}?name=${encodeURIComponent(name)}`, { method: 'POST', headers: auth });
    expect(response.status).toBe(200);
    return ((await response.json()) as { result: { uploadId: string } }).result.uploadId;
  };
  const put = (uploadId: string, relative: string, body: Buffer, headers: Record<string, string> = auth) =>
    fetch(`${server.url}${TRANSFER_ROUTES.uploadFile}${uploadId}?path=${encodeURIComponent(relative)}`, { method: 'PUT', headers, body: new Uint8Array(body) });
  const finish = (uploadId: string) => fetch(`${server.url}${TRANSFER_ROUTES.uploadFile}${uploadId}${TRANSFER_ROUTES.uploadFinishSuffix}`, { method: 'POST', headers: auth });

  beforeAll(async () => {
    await useWasm();
    base = await tempDir('upload');
    dataDir = path.join(base, 'data');
    service = await createService({ dataDir });
    server = await createServer({ service, token: TOKEN, uploadsDir: path.join(dataDir, 'uploads'), uploadLimits: { fileBytes: 2 * 1024 * 1024, totalBytes: 40 * 1024 * 1024 } });
  });
  afterAll(async () => {
    await server?.close();
    await service?.close();
  });

  it.skipIf(!hasShared)('stores a folder of real photos sent file by file under the data folder, keeps only images, and it opens as a dataset', async () => {
    const uploadId = await startUpload('flower_photos_small');
    let sent = 0;
    // As a browser's directory picker names them: the chosen folder first.
    for (const entry of await readdir(FLOWERS, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const relative = `flower_photos_small/${path.relative(FLOWERS, file).split(path.sep).join('/')}`;
      const response = await put(uploadId, relative, await readFile(file));
      expect(response.status, await response.clone().text()).toBe(200);
      const { result } = (await response.json()) as { result: { stored: boolean } };
      expect(result.stored).toBe(entry.name !== 'LICENSE.txt');
      sent++;
    }
    expect(sent).toBe(201);
    const done = await finish(uploadId);
    expect(done.status).toBe(200);
    const { result } = (await done.json()) as { result: { path: string; files: number; skipped: string[] } };
    expect(result.files).toBe(200);
    expect(result.skipped).toEqual(['flower_photos_small/LICENSE.txt']);
    // Under the data folder, the wrapping folder unwrapped: its class folders at the top.
    expect(result.path).toBe(path.join(dataDir, 'uploads', 'flower_photos_small'));
    expect((await readdir(result.path)).sort()).toEqual(['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    const original = await readFile(path.join(FLOWERS, 'roses', (await readdir(path.join(FLOWERS, 'roses')))[0]));
    const stored = await readFile(path.join(result.path, 'roses', (await readdir(path.join(FLOWERS, 'roses')))[0]));
    expect(stored.equals(original)).toBe(true);
    const dataset = await service.openDataset({ path: result.path });
    expect(dataset.imageCount).toBe(200);
    expect(dataset.classes.map((c) => c.name)).toEqual(['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    expect(dataset.trainable).toBe(true);
    // No staging folder is left behind.
    expect((await readdir(path.join(dataDir, 'uploads'))).filter((n) => n.startsWith('.'))).toEqual([]);
    // A second upload of the same name gets its own folder.
    const again = await startUpload('flower_photos_small');
    expect((await put(again, 'daisy/a.jpg', original)).status).toBe(200);
    const second = ((await (await finish(again)).json()) as { result: { path: string } }).result.path;
    expect(second).toBe(path.join(dataDir, 'uploads', 'flower_photos_small-2'));
  }, 120_000);

  it('refuses names that leave the folder, absolute paths and hidden files, and writes nothing outside', async () => {
    const uploadId = await startUpload('../../evil');
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    for (const bad of ['../escape.jpg', 'a/../../escape.jpg', '/etc/escape.jpg', 'C:/x.jpg', 'a\\..\\x.jpg', 'a//b.jpg', 'a/./b.jpg', '.hidden/x.jpg', 'a/b:stream.jpg', 'a/\u0001.jpg']) {
      const response = await put(uploadId, bad, jpeg);
      expect(response.status, bad).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/refused/);
    }
    expect((await put(uploadId, 'cats/1.jpg', jpeg)).status).toBe(200);
    // The same name twice (any case) is refused rather than overwritten.
    expect((await put(uploadId, 'Cats/1.JPG', jpeg)).status).toBe(400);
    const { result } = (await (await finish(uploadId)).json()) as { result: { path: string } };
    // The folder name is cleaned: no way out of the uploads folder.
    expect(path.dirname(result.path)).toBe(path.join(dataDir, 'uploads'));
    expect(path.basename(result.path)).toBe('evil');
    await expect(stat(path.join(dataDir, 'escape.jpg'))).rejects.toThrow();
    await expect(stat(path.join(base, 'escape.jpg'))).rejects.toThrow();
  });

  it('stops a file over the per-file limit (413, partial file removed) and drops an upload over the total', async () => {
    const uploadId = await startUpload('limits');
    const big = Buffer.alloc(3 * 1024 * 1024, 1);
    const response = await put(uploadId, 'a/big.jpg', big);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/larger than 2 MiB/);
    const staging = (await readdir(path.join(dataDir, 'uploads'))).find((n) => n.includes(uploadId))!;
    await expect(stat(path.join(dataDir, 'uploads', staging, 'a', 'big.jpg'))).rejects.toThrow();
    // Streamed without Content-Length (chunked): still stopped at the limit.
    const chunked = await fetch(`${server.url}${TRANSFER_ROUTES.uploadFile}${uploadId}?path=a%2Fchunked.jpg`, {
      method: 'PUT',
      headers: auth,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 6; i++) controller.enqueue(new Uint8Array(512 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // 21 files of 1.9 MiB pass 40 MiB: the upload is dropped, and later calls say so.
    const file = Buffer.alloc(1.9 * 1024 * 1024, 2);
    let status = 200;
    for (let i = 0; i < 25 && status === 200; i++) status = (await put(uploadId, `a/${i}.jpg`, file)).status;
    expect(status).toBe(413);
    const after = await put(uploadId, 'a/late.jpg', Buffer.from([1]));
    expect(after.status).toBe(404);
    expect((await readdir(path.join(dataDir, 'uploads'))).some((n) => n.includes(uploadId))).toBe(false);
  });

  it('needs the token and the same origin, like every /api route; finishing with no image says so', async () => {
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.uploadStart}?name=x`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.uploadStart}?name=x&token=${TOKEN}`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.uploadStart}?name=x`, { method: 'POST', headers: { ...auth, Origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(dataDir)}`)).status).toBe(401);
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.scalars}?runIds=x&format=csv`)).status).toBe(401);
    const uploadId = await startUpload('empty');
    expect((await put(uploadId, 'a/readme.txt', Buffer.from('hi'), { ...auth })).status).toBe(200);
    const done = await finish(uploadId);
    expect(done.status).toBe(422);
    expect(((await done.json()) as { error: { message: string } }).error.message).toMatch(/none of the files was an image/);
  });

  it('downloads an export as a zip of exactly its files, and runs’ scalars as CSV and JSON', async () => {
    const root = await makeColourDataset(path.join(base, 'colours'), 8);
    const dataset = await service.openDataset({ path: root });
    const model = await service.importModel({ path: await makeTinyBackbone(path.join(base, 'tiny')), name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', resolve));
    await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 20, evalStepInterval: 10 } });
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    const exported = await service.exportRun({ runId: run.id });

    const response = await fetch(`${server.url}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(exported.dir)}`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toContain(`${path.basename(exported.dir)}.zip`);
    const entries = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const names = Object.keys(entries).sort();
    expect(names).toContain(`${path.basename(exported.dir)}/metadata.json`);
    expect(names).toContain(`${path.basename(exported.dir)}/labels.txt`);
    for (const name of names) {
      const onDisk = await readFile(path.join(exported.dir, ...name.split('/').slice(1)));
      expect(Buffer.from(entries[name]).equals(onDisk), name).toBe(true);
    }
    expect(names.length).toBe(exported.files.length);

    // Only exports: a readable dataset folder is not one, a folder outside every root is refused.
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(root)}`, { headers: auth })).status).toBe(404);
    const outside = path.join(base, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'metadata.json'), JSON.stringify({ format: 'retrain-studio-export' }));
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(outside)}`, { headers: auth })).status).toBe(403);
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(`${exported.dir}/../..`)}`, { headers: auth })).status).toBe(403);

    const csv = await fetch(`${server.url}${TRANSFER_ROUTES.scalars}?runIds=${run.id}&format=csv`, { headers: auth });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toContain('scalars.csv');
    expect(await csv.text()).toBe((await service.exportScalars({ runIds: [run.id], format: 'csv' })).text);
    const json = await fetch(`${server.url}${TRANSFER_ROUTES.scalars}?runIds=${run.id}&format=json`, { headers: auth });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(await json.text())).toEqual(JSON.parse((await service.exportScalars({ runIds: [run.id], format: 'json' })).text));
    expect((await fetch(`${server.url}${TRANSFER_ROUTES.scalars}?runIds=${run.id}&format=xml`, { headers: auth })).status).toBe(400);
  }, 120_000);
});
