import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceOptions } from '../../src-main/api/service-types.js';
import { defaultStaticDir, resolveServeToken, startServe } from '../../src-main/server/index.js';
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
  it('creates the service on the data dir, prints one line with the URL and its random token, and closes both', async () => {
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
      env: {},
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
      expect(handle.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(lines).toEqual([`Retrain Studio is serving at ${handle.url}/#token=${handle.token}`]);
      expect((await callApi(handle.url, 'getEngine', {})).status).toBe(401);
      expect((await callApi(handle.url, 'getEngine', {}, { Authorization: `Bearer ${handle.token}` })).status).toBe(200);
      expect((await request(handle.url, { path: '/' })).text).toBe('<title>ok</title>');
    } finally {
      await handle.close();
    }
    await handle.closed;
    expect(service?.closed).toBe(true);
    await expect(callApi(handle.url, 'getEngine', {})).rejects.toThrow();
  });

  it('takes the token from --token-file before RETRAIN_STUDIO_TOKEN, and prints it in the URL', async () => {
    const file = path.join(tmp, 'token.txt');
    await writeFile(path.join(tmp, 'token.txt'), 'from-the-token-file-0123\nsecond line ignored\n', { mode: 0o600 });
    const env = { RETRAIN_STUDIO_TOKEN: 'from-the-environment-0123' };
    expect(await resolveServeToken({ tokenFile: file, env })).toEqual({ token: 'from-the-token-file-0123', source: file });
    expect(await resolveServeToken({ env })).toEqual({ token: 'from-the-environment-0123', source: '$RETRAIN_STUDIO_TOKEN' });
    expect(await resolveServeToken({ env: {} })).toEqual({ source: 'generated' });
    for (const [options, printed] of [
      [{ tokenFile: file, env }, 'from-the-token-file-0123'],
      [{ env }, 'from-the-environment-0123'],
    ] as const) {
      const lines: string[] = [];
      const handle = await startServe({ dataDir: tmp, port: 0, ...options, handleSignals: false, print: (line) => lines.push(line), logger: quiet, createService: async () => createFakeService() });
      try {
        expect(lines).toEqual([`Retrain Studio is serving at ${handle.url}/#token=${printed}`]);
        expect((await callApi(handle.url, 'getEngine', {}, { Authorization: `Bearer ${printed}` })).status).toBe(200);
      } finally {
        await handle.close();
      }
    }
  });

  it('refuses an unusable token file or a weak token before the service starts', async () => {
    await mkdir(path.join(tmp, 'a-folder'), { recursive: true });
    await writeFile(path.join(tmp, 'empty-token'), '\n');
    await writeFile(path.join(tmp, 'huge-token'), 'x'.repeat(10_000));
    const cases: [Parameters<typeof startServe>[0], string][] = [
      [{ tokenFile: path.join(tmp, 'missing-token') }, 'NOT_FOUND'],
      [{ tokenFile: path.join(tmp, 'a-folder') }, 'PATH_NOT_ALLOWED'],
      [{ tokenFile: path.join(tmp, 'empty-token') }, 'INVALID_ARGUMENT'],
      [{ tokenFile: path.join(tmp, 'huge-token') }, 'TOO_LARGE'],
      [{ env: { RETRAIN_STUDIO_TOKEN: 'short' } }, 'INVALID_ARGUMENT'],
    ];
    for (const [options, code] of cases) {
      let created = false;
      const attempt = startServe({ dataDir: tmp, port: 0, env: {}, ...options, handleSignals: false, print: () => {}, logger: quiet, createService: async () => ((created = true), createFakeService()) });
      await expect(attempt, JSON.stringify(options)).rejects.toMatchObject({ code });
      expect(created).toBe(false);
    }
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
      expect((await callApi(second.url, 'getEngine', {}, { Authorization: `Bearer ${second.token}` })).status).toBe(200);
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

/**
 * The real executables as a user starts them: `retrain-studio serve` (dist/main/cli/bin.js) and
 * `npm start`'s fallback (scripts/start.mjs without a display). Both print the URL with the
 * token once, and every /api call needs it.
 */
describe('serve and npm start as processes', () => {
  const ROOT = path.resolve(import.meta.dirname, '../..');
  const BIN = path.join(ROOT, 'dist/main/cli/bin.js');
  const URL_LINE = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([^\s]+)/;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build:main\` first.`);
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGKILL')) : null)));
  });

  /** Starts `args`, resolves with the first URL line it prints on stdout, and the process. */
  const start = (args: string[], env: Record<string, string | undefined>) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, RETRAIN_STUDIO_DATA_DIR: path.join(tmp, 'proc-data'), ...env };
    for (const name of ['RETRAIN_STUDIO_TOKEN', 'DISPLAY', 'WAYLAND_DISPLAY']) if (!(name in env)) delete childEnv[name];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const line = new Promise<{ base: string; token: string; stdout: string }>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => {
        stdout += chunk;
        const match = URL_LINE.exec(stdout);
        if (match) resolve({ base: match[1], token: decodeURIComponent(match[2]), stdout });
      });
      child.once('exit', (code) => reject(new Error(`exited ${code} before printing a URL; stdout: ${stdout} stderr: ${stderr}`)));
    });
    const stop = () => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)).kill('SIGTERM')));
    return { child, line, stop, output: () => ({ stdout, stderr }) };
  };

  it('retrain-studio serve prints a random token once in the URL and needs it', async () => {
    const serve = start([BIN, 'serve', '--port', '0'], {});
    const { base, token, stdout } = await serve.line;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stdout.split(token)).toHaveLength(2);
    expect((await callApi(base, 'listRuns', {})).status).toBe(401);
    expect((await callApi(base, 'listRuns', {}, { Authorization: `Bearer ${token}` })).json()).toEqual({ result: [] });
    expect(await serve.stop()).toBe(0);
  });

  it('retrain-studio serve takes RETRAIN_STUDIO_TOKEN and refuses --token on the command line', async () => {
    const serve = start([BIN, 'serve', '--port', '0'], { RETRAIN_STUDIO_TOKEN: 'the-token-from-env-0123' });
    const { base, token } = await serve.line;
    expect(token).toBe('the-token-from-env-0123');
    expect((await callApi(base, 'getEngine', {}, { Authorization: 'Bearer the-token-from-env-0123' })).status).toBe(200);
    await serve.stop();
    const refused = start([BIN, 'serve', '--port', '0', '--token', 'visible-in-ps-0123456'], {});
    await expect(refused.line).rejects.toThrow(/exited 2/);
    expect(refused.output().stderr).toMatch(/RETRAIN_STUDIO_TOKEN.*--token-file/);
  });

  it("npm start's fallback (no display) prints the URL with the token", async () => {
    const fallback = start([path.join(ROOT, 'scripts/start.mjs'), '--port', '0'], {});
    const { base, token, stdout } = await fallback.line;
    expect(stdout).toMatch(/serving the UI at http:\/\/127\.0\.0\.1:\d+\/#token=/);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await callApi(base, 'getEngine', {})).status).toBe(401);
    expect((await callApi(base, 'getEngine', {}, { Authorization: `Bearer ${token}` })).status).toBe(200);
    await fallback.stop();
  });
});
