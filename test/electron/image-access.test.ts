/**
 * The access check the Electron end-to-end test makes (an opened dataset's image is served,
 * an existing image outside it is refused), made here in Node with the real service, for
 * both hosts: the `rs-image://` protocol handler and the HTTP server's `/files/image`.
 * The outside file exists and is a valid image, so only the access policy can refuse it.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/api/service.js';
import { createImageProtocolHandler } from '../../src-main/electron/protocol.js';
import { createServer, type RunningServer } from '../../src-main/server/index.js';
import { callApi, request } from '../server/http-client.js';
import { imageSchemeUrl } from '../../src-main/api/wire.js';
import { useWasm } from '../helpers/tf.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const mkdirp = async (dir: string): Promise<string> => (await mkdir(dir, { recursive: true }), dir);

describe('real service: images inside an opened dataset are served, others refused', () => {
  let tmp: string;
  let service: Service;
  let server: RunningServer;
  let inside: string;
  let outside: string;
  let jpeg: Buffer;

  beforeAll(async () => {
    await useWasm();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-image-access-'));
    jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#d01010' } }).jpeg().toBuffer();
    for (const name of ['red', 'blue']) await sharp({ create: { width: 32, height: 32, channels: 3, background: name === 'red' ? '#d01010' : '#1030d0' } }).jpeg().toFile(path.join(await mkdirp(path.join(tmp, 'dataset', name)), '0.jpg'));
    inside = path.join(tmp, 'dataset', 'red', '0.jpg');
    outside = path.join(await mkdirp(path.join(tmp, 'elsewhere')), 'elsewhere.jpg');
    await sharp(jpeg).toFile(outside);
    service = await createService({ dataDir: path.join(tmp, 'data'), logger: quiet });
    server = await createServer({ service, logger: quiet });
  });
  afterAll(async () => {
    await server?.close();
    await service?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  const protocolStatus = async (file: string) => (await createImageProtocolHandler({ service, platform: 'linux' })(new Request(`rs-image://local/${encodeURIComponent(file)}`))).status;
  const httpStatus = async (file: string) => (await request(server.url, { path: `/files/image?path=${encodeURIComponent(file)}`, headers: { Authorization: `Bearer ${server.token}` } })).status;

  it('refuses both before the dataset is opened, serves only the inside one after', async () => {
    expect([await protocolStatus(inside), await httpStatus(inside)]).toEqual([403, 403]);
    const dataset = await service.openDataset({ path: path.join(tmp, 'dataset') });
    expect(dataset.classes.map((c) => c.name)).toEqual(['blue', 'red']);
    expect([await protocolStatus(inside), await httpStatus(inside)]).toEqual([200, 200]);
    expect([await protocolStatus(outside), await httpStatus(outside)]).toEqual([403, 403]);
  });

  it('refuses a FIFO named x.jpg in a granted folder over both hosts, many at once, and the service still answers', async () => {
    const folder = await mkdirp(path.join(tmp, 'granted'));
    const fifo = path.join(folder, 'x.jpg');
    execFileSync('mkfifo', [fifo]);
    service.access.grant(folder);
    const thumbnail = (i: number) => (i % 2 ? `&size=64` : '');
    const replies = await Promise.all([
      ...Array.from({ length: 6 }, async (_, i) => (await createImageProtocolHandler({ service, platform: 'linux' })(new Request(imageSchemeUrl(fifo, i % 2 ? 64 : undefined)))).status),
      ...Array.from({ length: 6 }, async (_, i) => (await request(server.url, { path: `${i % 2 ? '/files/thumbnail' : '/files/image'}?path=${encodeURIComponent(fifo)}${thumbnail(i)}`, headers: { Authorization: `Bearer ${server.token}` } })).status),
    ]);
    expect(replies).toEqual(Array(12).fill(403));
    // listRuns reads the runs folder on libuv's thread pool, which a blocked open() of the FIFO would hold.
    const runs = await callApi(server.url, 'listRuns', {}, { Authorization: `Bearer ${server.token}` });
    expect(runs.json()).toEqual({ result: [] });
  });
});

