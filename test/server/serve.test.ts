import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceOptions } from '../../src-main/api/service-types.js';
import { defaultStaticDir, startServe } from '../../src-main/server/index.js';
import { createFakeService, type FakeService } from './fake-service.js';
import { callApi, request } from './http-client.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-serve-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('startServe', () => {
  it('creates the service on the data dir, prints one line with the URL and closes both', async () => {
    const lines: string[] = [];
    let service: FakeService | undefined;
    let received: ServiceOptions | undefined;
    const staticDir = path.join(tmp, 'ui');
    await mkdir(staticDir, { recursive: true });
    await writeFile(path.join(staticDir, 'index.html'), '<title>ok</title>');
    const handle = await startServe({
      dataDir: path.join(tmp, 'data'),
      port: 0,
      staticDir,
      handleSignals: false,
      print: (line) => lines.push(line),
      logger: quiet,
      createService: async (options) => {
        received = options;
        service = createFakeService();
        return service;
      },
    });
    try {
      expect(received?.dataDir).toBe(path.join(tmp, 'data'));
      expect(lines).toEqual([`Retrain Studio is serving at ${handle.url}/`]);
      expect((await callApi(handle.url, 'getEngine', {})).status).toBe(200);
      expect((await request(handle.url, { path: '/' })).text).toBe('<title>ok</title>');
    } finally {
      await handle.close();
    }
    await handle.closed;
    expect(service?.closed).toBe(true);
    await expect(callApi(handle.url, 'getEngine', {})).rejects.toThrow();
  });

  it('prints the token in the URL when one is required', async () => {
    const lines: string[] = [];
    const handle = await startServe({
      dataDir: tmp,
      port: 0,
      token: 'a-long-enough-token',
      handleSignals: false,
      print: (line) => lines.push(line),
      logger: quiet,
      createService: async () => createFakeService(),
    });
    await handle.close();
    expect(lines).toEqual([`Retrain Studio is serving at ${handle.url}/#token=a-long-enough-token`]);
  });

  it('closes the service when the port cannot be bound', async () => {
    const first = await startServe({ dataDir: tmp, port: 0, handleSignals: false, print: () => {}, logger: quiet, createService: async () => createFakeService() });
    const second = createFakeService();
    try {
      await expect(
        startServe({ dataDir: tmp, port: first.port, handleSignals: false, print: () => {}, logger: quiet, createService: async () => second }),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(second.closed).toBe(true);
    } finally {
      await first.close();
    }
  });

  it('falls back to a free port when the default one is taken', async () => {
    const first = await startServe({ dataDir: tmp, port: 0, handleSignals: false, print: () => {}, logger: quiet, createService: async () => createFakeService() });
    const saved = process.env.RETRAIN_STUDIO_SERVE_PORT;
    process.env.RETRAIN_STUDIO_SERVE_PORT = String(first.port);
    try {
      const second = await startServe({ dataDir: tmp, handleSignals: false, print: () => {}, logger: quiet, createService: async () => createFakeService() });
      expect(second.port).not.toBe(first.port);
      expect((await callApi(second.url, 'getEngine', {})).status).toBe(200);
      await second.close();
    } finally {
      if (saved === undefined) delete process.env.RETRAIN_STUDIO_SERVE_PORT;
      else process.env.RETRAIN_STUDIO_SERVE_PORT = saved;
      await first.close();
    }
  });

  it('rejects an invalid port', async () => {
    const service = createFakeService();
    await expect(startServe({ dataDir: tmp, port: Number('abc'), handleSignals: false, print: () => {}, logger: quiet, createService: async () => service })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(service.closed).toBe(true);
  });

  it('installs SIGINT/SIGTERM handlers that close everything, and removes them after', async () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const service = createFakeService();
    const handle = await startServe({ dataDir: tmp, port: 0, print: () => {}, logger: quiet, createService: async () => service });
    expect(process.listenerCount('SIGINT')).toBe(before.int + 1);
    expect(process.listenerCount('SIGTERM')).toBe(before.term + 1);
    // Call our handler directly: emitting the signal would also run the test runner's handlers.
    const ours = process.listeners('SIGTERM').at(-1) as (signal: NodeJS.Signals) => void;
    ours('SIGTERM');
    await handle.closed;
    expect(service.closed).toBe(true);
    expect(process.listenerCount('SIGINT')).toBe(before.int);
    expect(process.listenerCount('SIGTERM')).toBe(before.term);
  });
});

describe('defaultStaticDir', () => {
  it('finds dist/renderer under the package root only when it is built', async () => {
    const root = path.join(tmp, 'pkg');
    await mkdir(path.join(root, 'dist', 'main', 'server'), { recursive: true });
    await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'retrain-studio' }));
    expect(defaultStaticDir(path.join(root, 'dist', 'main', 'server'))).toBeUndefined();
    await mkdir(path.join(root, 'dist', 'renderer'), { recursive: true });
    await writeFile(path.join(root, 'dist', 'renderer', 'index.html'), '');
    expect(defaultStaticDir(path.join(root, 'dist', 'main', 'server'))).toBe(path.join(root, 'dist', 'renderer'));
  });
});
