import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CoreError, EVENT_NAMES, LIMITS } from '../../src-main/api/contract.js';
import type { Logger } from '../../src-main/api/service-types.js';
import { createServer, type RunningServer } from '../../src-main/server/index.js';
import { createFakeService, type FakeService } from './fake-service.js';
import { authorizedClient, callApi, request, sendLargeBody } from './http-client.js';

let tmp: string;
let datasetDir: string;
let outsideDir: string;
let staticDir: string;
let pngBytes: Buffer;

const silentLogger = (): Logger & { errors: string[] } => {
  const errors: string[] = [];
  return { info: () => {}, warn: () => {}, error: (message) => errors.push(message), errors };
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-server-'));
  datasetDir = path.join(tmp, 'dataset');
  outsideDir = path.join(tmp, 'outside');
  staticDir = path.join(tmp, 'renderer');
  await mkdir(path.join(datasetDir, 'cats'), { recursive: true });
  await mkdir(outsideDir, { recursive: true });
  await mkdir(path.join(staticDir, 'assets'), { recursive: true });
  pngBytes = await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
  await writeFile(path.join(datasetDir, 'cats', 'a.png'), pngBytes);
  await writeFile(path.join(datasetDir, 'cats', 'b.tif'), await sharp(pngBytes).tiff().toBuffer());
  await writeFile(path.join(datasetDir, 'notes.txt'), 'not an image');
  await writeFile(path.join(outsideDir, 'secret.png'), pngBytes);
  await writeFile(path.join(outsideDir, 'passwd'), 'root:x:0:0');
  // A symlink inside the dataset that points outside it must not be served.
  await symlink(path.join(outsideDir, 'secret.png'), path.join(datasetDir, 'cats', 'link.png'));
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Retrain Studio</title>');
  await writeFile(path.join(staticDir, 'assets', 'app-123.js'), 'console.log(1)');
  await writeFile(path.join(staticDir, '.env'), 'SECRET=1');
  await symlink(path.join(outsideDir, 'passwd'), path.join(staticDir, 'leak.txt'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('createServer on loopback (with its generated token)', () => {
  let server: RunningServer;
  let service: FakeService;
  let logger: ReturnType<typeof silentLogger>;
  let client: ReturnType<typeof authorizedClient>;

  beforeAll(async () => {
    logger = silentLogger();
    service = createFakeService({
      allowedRoots: [datasetDir],
      overrides: {
        getRun: async (req) => {
          if (req.runId === 'busy') throw new CoreError('BUSY', 'A run is already training.');
          if (req.runId === 'bug') throw new TypeError('secret internal detail at /home/x');
          throw new CoreError('NOT_FOUND', `Run ${req.runId} does not exist.`);
        },
        describeModel: async () => {
          throw new CoreError('MODEL_NOT_FOUND', 'No such model.');
        },
      },
    });
    server = await createServer({ service, port: 0, staticDir, logger });
    client = authorizedClient(server.url, server.token);
  });
  afterAll(async () => {
    await server.close();
  });

  it('binds 127.0.0.1 on a random port, with a random token of 256 bits in the URL to open', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBeGreaterThan(0);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(server.openUrl).toBe(`${server.url}/#token=${server.token}`);
  });

  it('needs the token on loopback too, on every /api and /files route and the socket', async () => {
    const image = `/files/image?path=${encodeURIComponent(path.join(datasetDir, 'cats', 'a.png'))}`;
    const thumbnail = `/files/thumbnail?path=${encodeURIComponent(path.join(datasetDir, 'cats', 'a.png'))}`;
    const before = service.calls.length;
    for (const method of ['openDataset', 'deleteRun', 'clearCache', 'listRuns', 'noSuchMethod']) {
      const res = await callApi(server.url, method, { path: '/etc' });
      expect(res.status, method).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    for (const route of [image, thumbnail]) {
      expect((await request(server.url, { path: route })).status, route).toBe(401);
      expect((await request(server.url, { path: `${route}&token=wrong-${server.token}` })).status, route).toBe(401);
    }
    expect(service.calls.length).toBe(before);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events`);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => (ws.close(), resolve(101)));
      ws.once('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('answers a valid call with { result }', async () => {
    const res = await client.callApi('getEngine', {});
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ result: expect.objectContaining({ backend: 'wasm', device: 'test CPU' }) });
  });

  it('passes the validated request to the service', async () => {
    const res = await client.callApi('openDataset', { path: '/data/flowers', validationPercent: 20 });
    expect(res.status).toBe(200);
    expect(res.json().result).toMatchObject({ id: 'ds1', root: '/data/flowers', validationPercent: 20 });
    expect(service.calls.at(-1)).toEqual({ method: 'openDataset', request: { path: '/data/flowers', validationPercent: 20 } });
  });

  it('treats an empty body as {} and answers void methods with an empty result', async () => {
    const res = await client.request({ method: 'POST', path: '/api/cancelTraining', headers: { 'Content-Type': 'application/json' }, body: '{"runId":"r"}' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
    const empty = await client.request({ method: 'POST', path: '/api/listRuns', headers: { 'Content-Type': 'application/json' } });
    expect(empty.status).toBe(200);
    expect(empty.json()).toEqual({ result: [] });
  });

  it('rejects wrong types with 400 INVALID_ARGUMENT before the service sees them', async () => {
    const before = service.calls.length;
    for (const body of [{ path: 42 }, { path: '/x', extra: true }, { path: '/x', validationPercent: 'ten' }, [1, 2], 'null']) {
      const res = await client.callApi('openDataset', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('INVALID_ARGUMENT');
    }
    expect(service.calls.length).toBe(before);
  });

  it('rejects a __proto__ key in the body', async () => {
    const res = await client.callApi('getEngine', '{"__proto__":{"polluted":true}}');
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects invalid JSON with 400', async () => {
    const res = await client.callApi('getEngine', '{not json');
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('not valid JSON') });
  });

  it('answers unknown methods, including prototype names, with 404', async () => {
    for (const name of ['noSuchMethod', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'on', 'access', 'thumbnail', 'close']) {
      const res = await client.callApi(name, {});
      expect(res.status, name).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    expect(service.closed).toBe(false);
  });

  it('needs POST and a JSON content type', async () => {
    const get = await client.request({ path: '/api/getEngine' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const text = await client.request({ method: 'POST', path: '/api/getEngine', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
  });

  it('maps error codes to statuses and keeps the message', async () => {
    const missing = await client.callApi('getRun', { runId: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'Run nope does not exist.' } });
    const busy = await client.callApi('getRun', { runId: 'busy' });
    expect(busy.status).toBe(409);
    expect(busy.json().error.code).toBe('BUSY');
    const model = await client.callApi('describeModel', { modelId: 'x' });
    expect(model.status).toBe(404);
    expect(model.json().error.code).toBe('MODEL_NOT_FOUND');
  });

  it('turns a plain bug into a generic 500 and logs it', async () => {
    const res = await client.callApi('getRun', { runId: 'bug' });
    expect(res.status).toBe(500);
    expect(res.json().error.code).toBe('INTERNAL');
    expect(res.text).not.toContain('secret internal detail');
    expect(logger.errors.some((line) => line.includes('secret internal detail'))).toBe(true);
  });

  it('answers 413 to a body larger than the limit declared up front', async () => {
    const res = await client.sendLargeBody('/api/classify', LIMITS.imageBase64Chars + 4 * 1024 * 1024, true);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 413 to a chunked body once it passes the limit, without reading it all', async () => {
    const total = LIMITS.imageBase64Chars + 64 * 1024 * 1024;
    const res = await client.sendLargeBody('/api/classify', total, false);
    expect(res.status).toBe(413);
    expect(res.bytesWritten).toBeLessThan(total);
  });

  it('serves an image inside an opened folder with its content type', async () => {
    const file = path.join(datasetDir, 'cats', 'a.png');
    const res = await client.request({ path: `/files/image?path=${encodeURIComponent(file)}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body.equals(pngBytes)).toBe(true);
  });

  it('sends a JPEG for formats browsers cannot show (TIFF)', async () => {
    const file = path.join(datasetDir, 'cats', 'b.tif');
    const res = await client.request({ path: `/files/image?path=${encodeURIComponent(file)}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.body.subarray(0, 3).toString('hex')).toBe('ffd8ff');
  });

  it('serves thumbnails of the requested size', async () => {
    const file = path.join(datasetDir, 'cats', 'a.png');
    const res = await client.request({ path: `/files/thumbnail?path=${encodeURIComponent(file)}&size=32` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(res.body).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
    const bad = await client.request({ path: `/files/thumbnail?path=${encodeURIComponent(file)}&size=99999` });
    expect(bad.status).toBe(400);
  });

  it('refuses files outside the opened folders with 403, also through a symlink', async () => {
    for (const file of [path.join(outsideDir, 'secret.png'), path.join(datasetDir, 'cats', 'link.png'), '/etc/passwd']) {
      const res = await client.request({ path: `/files/image?path=${encodeURIComponent(file)}` });
      expect(res.status, file).toBe(403);
      expect(res.json().error.code).toBe('PATH_NOT_ALLOWED');
    }
    const thumb = await client.request({ path: `/files/thumbnail?path=${encodeURIComponent(path.join(outsideDir, 'secret.png'))}` });
    expect(thumb.status).toBe(403);
  });

  it('rejects relative, NUL and dot-dot paths with 400', async () => {
    const traversal = `${datasetDir}/cats/../../outside/secret.png`;
    for (const file of ['cats/a.png', `${datasetDir}/cats/a.png\0.txt`, traversal, '', '//server/share/x.png']) {
      const res = await client.request({ path: `/files/image?path=${encodeURIComponent(file)}` });
      expect(res.status, JSON.stringify(file)).toBe(400);
    }
    const missing = await client.request({ path: '/files/image' });
    expect(missing.status).toBe(400);
  });

  it('answers 404 for a missing file and 422 for a non-image inside an opened folder', async () => {
    const gone = await client.request({ path: `/files/image?path=${encodeURIComponent(path.join(datasetDir, 'cats', 'gone.png'))}` });
    expect(gone.status).toBe(404);
    const text = await client.request({ path: `/files/image?path=${encodeURIComponent(path.join(datasetDir, 'notes.txt'))}` });
    expect(text.status).toBe(422);
    expect(text.json().error.code).toBe('IMAGE_UNREADABLE');
    // A folder is never opened as a file (nor is a FIFO, socket or device: see 'special files').
    const dir = await client.request({ path: `/files/image?path=${encodeURIComponent(path.join(datasetDir, 'cats'))}` });
    expect(dir.status).toBe(403);
    expect(dir.json().error.message).toContain('not a regular file');
  });

  it('serves index.html for / with a strict CSP and nosniff', async () => {
    const res = await client.request({ path: '/', headers: { Host: `127.0.0.1:${server.port}` } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<title>Retrain Studio</title>');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const js = await client.request({ path: '/assets/app-123.js' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('rejects traversal, dotfiles, symlinks out of the root and directory listings', async () => {
    for (const p of [
      '/..%2f..%2fetc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/../../etc/passwd',
      '/assets/../../outside/passwd',
      '/assets/..%5c..%5coutside%5cpasswd',
      '/.env',
      '/leak.txt',
      '/assets/',
      '/assets',
      '/%00index.html',
      '/%E0%A4%A',
    ]) {
      const res = await client.request({ path: p });
      expect(res.status, p).toBe(404);
      expect(res.text, p).not.toContain('root:');
      expect(res.text, p).not.toContain('SECRET');
    }
  });

  it('refuses a foreign Host header (DNS rebinding) and a foreign Origin', async () => {
    const rebinding = await client.request({ path: '/', headers: { Host: `evil.example:${server.port}` } });
    expect(rebinding.status).toBe(403);
    const api = await client.callApi('getEngine', {}, { Host: `attacker.test:${server.port}` });
    expect(api.status).toBe(403);
    const origin = await client.callApi('getEngine', {}, { Origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    const nullOrigin = await client.callApi('getEngine', {}, { Origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const ownOrigin = await client.callApi('getEngine', {}, { Origin: server.url });
    expect(ownOrigin.status).toBe(200);
    const localhost = await client.callApi('getEngine', {}, { Host: `localhost:${server.port}`, Origin: `http://localhost:${server.port}` });
    expect(localhost.status).toBe(200);
  });

  it('pushes core events to every WebSocket client', async () => {
    const wsUrl = `${server.url.replace('http', 'ws')}/events?token=${server.token}`;
    const clients = [new WebSocket(wsUrl), new WebSocket(wsUrl, { headers: { Origin: server.url } })];
    await Promise.all(clients.map((ws) => new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))));
    const received = clients.map((ws) => {
      const messages: unknown[] = [];
      ws.on('message', (data) => messages.push(JSON.parse(String(data))));
      return messages;
    });
    service.emit('training.progress', { runId: 'r1', step: 5, totalSteps: 10 });
    service.emit('dataset.progress', { root: '/d', phase: 'reading', done: 1, total: 2 });
    await expect.poll(() => received.map((list) => list.length)).toEqual([2, 2]);
    for (const messages of received) {
      expect(messages).toEqual([
        { event: 'training.progress', payload: { runId: 'r1', step: 5, totalSteps: 10 } },
        { event: 'dataset.progress', payload: { root: '/d', phase: 'reading', done: 1, total: 2 } },
      ]);
    }
    for (const ws of clients) ws.close();
  });

  it('refuses WebSocket handshakes from a foreign origin or on other paths', async () => {
    const statusOf = (url: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('error', () => {});
      });
    const wsBase = server.url.replace('http', 'ws');
    expect(await statusOf(`${wsBase}/events?token=${server.token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await statusOf(`${wsBase}/other?token=${server.token}`)).toBe(404);
    const plain = await client.request({ path: '/events' });
    expect(plain.status).toBe(426);
  });

  it('subscribes once to every event name of the contract', () => {
    expect(service.listenerCount()).toBe(EVENT_NAMES.length);
  });

  it('forwards every event name of the contract over the WebSocket, in order', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events?token=${server.token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const messages: unknown[] = [];
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    EVENT_NAMES.forEach((event, i) => service.emit(event, { marker: i } as never));
    await expect.poll(() => messages.length).toBe(EVENT_NAMES.length);
    expect(messages).toEqual(EVENT_NAMES.map((event, i) => ({ event, payload: { marker: i } })));
    ws.close();
  });
});

describe('createServer with a token', () => {
  let server: RunningServer;
  let service: FakeService;
  const token = 'test-token-0123456789';

  beforeAll(async () => {
    service = createFakeService({ allowedRoots: [datasetDir] });
    server = await createServer({ service, port: 0, token, staticDir, logger: silentLogger() });
  });
  afterAll(async () => {
    await server.close();
  });

  it('puts the token in the URL to open', () => {
    expect(server.token).toBe(token);
    expect(server.openUrl).toBe(`${server.url}/#token=${token}`);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    expect((await callApi(server.url, 'getEngine', {})).status).toBe(401);
    expect((await callApi(server.url, 'getEngine', {}, { Authorization: 'Bearer wrong-token-xx' })).status).toBe(401);
    expect((await callApi(server.url, 'getEngine', {}, { Authorization: token })).status).toBe(401);
    const res = await callApi(server.url, 'getEngine', {}, { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
  });

  it('answers 401 to an unauthenticated upload without reading all of it', async () => {
    const total = 96 * 1024 * 1024;
    const res = await sendLargeBody(server.url, '/api/classify', total, false);
    expect(res.status).toBe(401);
    expect(res.bytesWritten).toBeLessThan(total);
  });

  it('accepts ?token= for images but not for the API', async () => {
    const file = encodeURIComponent(path.join(datasetDir, 'cats', 'a.png'));
    expect((await request(server.url, { path: `/files/image?path=${file}` })).status).toBe(401);
    expect((await request(server.url, { path: `/files/image?path=${file}&token=${token}` })).status).toBe(200);
    const api = await request(server.url, { method: 'POST', path: `/api/getEngine?token=${token}`, headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(401);
  });

  it('serves the static UI without a token (it holds no secrets)', async () => {
    expect((await request(server.url, { path: '/' })).status).toBe(200);
  });

  it('needs the token for the WebSocket', async () => {
    const wsBase = `${server.url.replace('http', 'ws')}/events`;
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsBase);
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => {});
    });
    expect(status).toBe(401);
    const ws = new WebSocket(`${wsBase}?token=${token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const message = new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
    service.emit('run.phase', { runId: 'r', phase: 'training', message: 'go' });
    expect(await message).toEqual({ event: 'run.phase', payload: { runId: 'r', phase: 'training', message: 'go' } });
    ws.close();
  });
});

describe('createServer on a non-loopback address', () => {
  it('generates a token and accepts any well-formed Host', async () => {
    const service = createFakeService();
    const server = await createServer({ service, host: '0.0.0.0', port: 0, logger: silentLogger() });
    try {
      expect(server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(server.openUrl).toContain(`#token=${server.token}`);
      const res = await callApi(`http://127.0.0.1:${server.port}`, 'getEngine', {}, {
        Host: `studio.lan:${server.port}`,
        Authorization: `Bearer ${server.token}`,
      });
      expect(res.status).toBe(200);
      expect((await callApi(`http://127.0.0.1:${server.port}`, 'getEngine', {})).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('rejects a weak token', async () => {
    for (const token of ['short', 'fifteen-chars-x', 'has a space in it', 'tab\there-0123456789', '']) {
      await expect(createServer({ service: createFakeService(), token, logger: silentLogger() }), JSON.stringify(token)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});

describe('special files and huge images', () => {
  let server: RunningServer;
  let client: ReturnType<typeof authorizedClient>;
  let fifo: string;
  let huge: string;

  beforeAll(async () => {
    const dir = path.join(tmp, 'special');
    await mkdir(dir, { recursive: true });
    fifo = path.join(dir, 'x.jpg');
    execFileSync('mkfifo', [fifo]);
    huge = path.join(dir, 'huge.png');
    await sharp({ create: { width: 20000, height: 20000, channels: 3, background: '#3366cc' }, limitInputPixels: false }).png().toFile(huge);
    await writeFile(path.join(dir, 'budget.png'), await sharp({ create: { width: 4096, height: 4096, channels: 3, background: '#cc3366' } }).png().toBuffer());
    await writeFile(path.join(dir, 'over.png'), await sharp({ create: { width: 4097, height: 4096, channels: 3, background: '#cc3366' } }).png().toBuffer());
    const service = createFakeService({
      allowedRoots: [dir],
      // Like the real service, listing runs reads the disk (libuv's thread pool).
      overrides: {
        listRuns: async () => {
          await readdir(dir);
          return [];
        },
      },
    });
    server = await createServer({ service, port: 0, logger: silentLogger() });
    client = authorizedClient(server.url, server.token);
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses a FIFO named x.jpg in an opened folder without blocking: many requests at once, then the API still answers', async () => {
    const routes = [`/files/image?path=${encodeURIComponent(fifo)}`, `/files/thumbnail?path=${encodeURIComponent(fifo)}&size=64`];
    // More than libuv's 4 threads: a blocking open() of a FIFO would hold every one of them.
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => client.request({ path: routes[i % 2] })));
    for (const res of replies) {
      expect(res.status).toBe(403);
      expect(res.json().error).toMatchObject({ code: 'PATH_NOT_ALLOWED', message: expect.stringContaining('not a regular file') });
    }
    const runs = await client.callApi('listRuns', {});
    expect(runs.status).toBe(200);
    expect(runs.json()).toEqual({ result: [] });
  });

  it('downscales a 20000 × 20000 PNG to 4096 × 4096 and sends it as a JPEG', async () => {
    const res = await client.request({ path: `/files/image?path=${encodeURIComponent(huge)}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(res.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 4096, 4096]);
  });

  it('sends an image of exactly 16 MP as it is, and one pixel column more downscaled', async () => {
    const atBudget = await client.request({ path: `/files/image?path=${encodeURIComponent(path.join(tmp, 'special', 'budget.png'))}` });
    expect(atBudget.headers['content-type']).toBe('image/png');
    expect(atBudget.body.equals(await readFile(path.join(tmp, 'special', 'budget.png')))).toBe(true);
    const over = await client.request({ path: `/files/image?path=${encodeURIComponent(path.join(tmp, 'special', 'over.png'))}` });
    expect(over.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(over.body).metadata();
    expect([meta.width, meta.height]).toEqual([4096, 4095]);
  });

  it('always re-encodes thumbnails, also of a huge image', async () => {
    const res = await client.request({ path: `/files/thumbnail?path=${encodeURIComponent(huge)}&size=128` });
    expect(res.status).toBe(200);
    const meta = await sharp(res.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 128, 128]);
  });
});

describe('request bodies bounded in total', () => {
  const MiB = 1024 * 1024;

  /** Starts a POST declaring `bytes`, writes half of it and holds the rest until `finish()`. */
  const holdUpload = (baseUrl: string, token: string, bytes: number) => {
    const { hostname, port } = new URL(baseUrl);
    let answer!: (status: number) => void;
    const status = new Promise<number>((resolve) => (answer = resolve));
    const req = http.request(
      { hostname, port, method: 'POST', path: '/api/classify', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': String(bytes), Authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => answer(res.statusCode ?? 0));
      },
    );
    req.on('error', () => answer(0));
    req.write(Buffer.alloc(bytes / 2, 0x61));
    return { status, finish: () => req.end(Buffer.alloc(bytes / 2, 0x61)) };
  };

  it('answers BUSY while other bodies hold the budget, and accepts again once they are done', async () => {
    const service = createFakeService();
    const server = await createServer({ service, port: 0, maxBodyBytes: 2 * MiB, maxConcurrentBodyBytes: 3 * MiB, logger: silentLogger() });
    const client = authorizedClient(server.url, server.token);
    try {
      const held = holdUpload(server.url, server.token, 2 * MiB);
      // A second 2 MiB body does not fit next to the held one. (Until the server has read the
      // first one's headers, a second body fits and is answered 400: not JSON.)
      let busy;
      do busy = await client.sendLargeBody('/api/classify', 2 * MiB, true);
      while (busy.status === 400);
      expect(busy.status).toBe(409);
      expect(JSON.parse(busy.text).error).toMatchObject({ code: 'BUSY', message: expect.stringMatching(/other large requests.*try again/) });
      // Each body alone is within its own limit: a small one still fits beside the held one.
      expect((await client.callApi('getEngine', {})).status).toBe(200);
      held.finish();
      expect(await held.status).toBe(400);
      // The held bytes are given back once that request is answered.
      expect((await client.sendLargeBody('/api/classify', 2 * MiB, true)).status).toBe(400);
      expect((await client.sendLargeBody('/api/classify', 2 * MiB, false)).status).toBe(400);
    } finally {
      await server.close();
    }
  });
});

describe('close', () => {
  it('closes WebSockets, unsubscribes from the service and stops listening', async () => {
    const service = createFakeService();
    const server = await createServer({ service, port: 0, logger: silentLogger() });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/events?token=${server.token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await server.close();
    expect(await closed).toBe(1001);
    expect(service.listenerCount()).toBe(0);
    await expect(callApi(server.url, 'getEngine', {})).rejects.toThrow();
    expect(service.closed).toBe(false);
  });
});
