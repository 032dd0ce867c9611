/**
 * The preload, compiled to CommonJS and run the way Electron runs a sandboxed preload, with a
 * fake `electron` module: what it exposes, what it refuses, and that it talks on the
 * channels `ipc.ts` listens to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, EVENT_NAMES } from '../../src-main/api/contract.js';
import { API_CHANNEL_PREFIX, EVENT_CHANNEL, type RetrainStudioBridge } from '../../src-main/electron/ipc.js';

const PRELOAD = path.resolve(import.meta.dirname, '../../src-main/electron/preload.cts');

const exposed = new Map<string, unknown>();
const rendererListeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
const invoke = vi.fn(async (channel: string, request: unknown) => ({ result: { channel, request } }));
const fakeElectron = {
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke,
    on: (channel: string, listener: (event: unknown, ...args: unknown[]) => void) => {
      rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]);
    },
  },
  webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` },
};
const required: string[] = [];

let bridge: RetrainStudioBridge;
const push = (message: unknown) => {
  for (const listener of rendererListeners.get(EVENT_CHANNEL) ?? []) listener({ sender: 'secret' }, message);
};

beforeAll(() => {
  // Compile as tsc does for `.cts` (CommonJS) and run it the way Electron runs a sandboxed
  // preload: a function of (require, process, exports, module) whose require knows only electron.
  const { outputText } = ts.transpileModule(readFileSync(PRELOAD, 'utf8'), {
    fileName: PRELOAD,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const preloadRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return fakeElectron;
    throw new Error(`module not found: ${id}`);
  };
  const exports = {};
  const run = vm.runInNewContext(`(function (require, process, exports, module) {\n${outputText}\n})`, { console }) as (...args: unknown[]) => void;
  run(preloadRequire, {}, exports, { exports });
  bridge = exposed.get('retrainStudio') as RetrainStudioBridge;
});

describe('preload', () => {
  it('exposes exactly invoke, on and getPathForFile on window.retrainStudio', () => {
    expect([...exposed.keys()]).toEqual(['retrainStudio']);
    expect(required).toEqual(['electron']);
    expect(Object.keys(bridge).sort()).toEqual(['getPathForFile', 'invoke', 'on']);
  });

  it('invokes api:<method> for every contract method', async () => {
    for (const method of API_METHODS) {
      expect(await bridge.invoke(method, { a: 1 })).toEqual({ result: { channel: API_CHANNEL_PREFIX + method, request: { a: 1 } } });
    }
    expect(invoke).toHaveBeenCalledTimes(API_METHODS.length);
  });

  it('refuses unknown methods without touching IPC', async () => {
    invoke.mockClear();
    for (const method of ['__proto__', 'constructor', 'toString', 'nope', 'api:getEngine', 42]) {
      const reply = await bridge.invoke(method as never, {});
      expect(reply, String(method)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('Unknown method') } });
    }
    expect(invoke).not.toHaveBeenCalled();
  });

  it('delivers payloads of subscribed events only, without the IPC event, until unsubscribed', () => {
    const progress: unknown[] = [];
    const menu: unknown[] = [];
    const off = bridge.on('training.progress', (payload) => progress.push(payload));
    bridge.on('menu.openDataset', (payload) => menu.push(payload));
    push({ event: 'training.progress', payload: { step: 1 } });
    push({ event: 'run.finished', payload: { id: 'x' } });
    push({ event: 'menu.openDataset', payload: { path: '/d' } });
    push('garbage');
    push(null);
    off();
    push({ event: 'training.progress', payload: { step: 2 } });
    expect(progress).toEqual([{ step: 1 }]);
    expect(menu).toEqual([{ path: '/d' }]);
    // One IPC listener serves all subscriptions.
    expect(rendererListeners.get(EVENT_CHANNEL)).toHaveLength(1);
  });

  it('accepts every contract event and refuses unknown ones', () => {
    for (const event of EVENT_NAMES) expect(() => bridge.on(event, () => {})()).not.toThrow();
    expect(() => bridge.on('__proto__' as never, () => {})).toThrow(/Unknown event/);
    expect(() => bridge.on('training.progress', 'not a function' as never)).toThrow(/function/);
  });

  it('gets dropped files’ paths from webUtils', () => {
    expect(bridge.getPathForFile({ name: 'cat.jpg' } as File)).toBe('/dropped/cat.jpg');
  });

  it('repeats the channel names ipc.ts uses', () => {
    const source = readFileSync(PRELOAD, 'utf8');
    expect(source).toContain(`const API_CHANNEL_PREFIX = '${API_CHANNEL_PREFIX}'`);
    expect(source).toContain(`const EVENT_CHANNEL = '${EVENT_CHANNEL}'`);
  });
});
