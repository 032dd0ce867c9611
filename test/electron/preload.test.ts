/**
 * The preload, compiled to CommonJS and run the way Electron runs a sandboxed preload, with a
 * fake `electron` module: what it exposes, what it refuses, that it talks on wire's `IPC`
 * channels, and that every contract event the main process forwards reaches a renderer
 * listener (main's forwarder → IPC event channel → preload → the renderer's client).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { API_METHODS, EVENT_NAMES, HOST_EVENT_NAMES, type EventPayload } from '../../src-main/api/contract.js';
import { IPC } from '../../src-main/api/wire.js';
import type { RetrainStudioBridge } from '../../src-main/electron/ipc.js';
import { forwardEvents } from '../../src-main/host/events.js';
import { createClient, createElectronTransport } from '../../src-renderer/lib/api.js';
import { createFakeService } from '../server/fake-service.js';

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
  for (const listener of rendererListeners.get(IPC.event) ?? []) listener({ sender: 'secret' }, message);
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

  it('sends every contract method as { method, request } on IPC.invoke', async () => {
    invoke.mockClear();
    for (const method of API_METHODS) {
      expect(await bridge.invoke(method, { a: 1 })).toEqual({ result: { channel: IPC.invoke, request: { method, request: { a: 1 } } } });
    }
    expect(invoke).toHaveBeenCalledTimes(API_METHODS.length);
  });

  it('refuses method names that are not short strings without touching IPC (main checks the rest)', async () => {
    invoke.mockClear();
    for (const method of [42, '', null, { toString: () => 'getEngine' }, 'x'.repeat(101)]) {
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
    expect(rendererListeners.get(IPC.event)).toHaveLength(1);
  });

  it('delivers every contract event forwarded by the main process to the renderer client’s listener', () => {
    // Main: the real forwarder subscribed to a service, sending on the IPC event channel.
    const service = createFakeService();
    const stopForwarding = forwardEvents(service, (message) => push(message));
    // Renderer: the real client on the real Electron transport over this preload's bridge.
    const client = createClient(createElectronTransport(bridge));
    const received = new Map<string, unknown[]>();
    const offs = EVENT_NAMES.map((event) => client.on(event, (payload) => received.set(event, [...(received.get(event) ?? []), payload])));
    for (const event of EVENT_NAMES) service.emit(event, { probe: event } as unknown as EventPayload<typeof event>);
    stopForwarding();
    offs.forEach((off) => off());
    expect(Object.fromEntries(received)).toEqual(Object.fromEntries(EVENT_NAMES.map((event) => [event, [{ probe: event }]])));
    // The forwarder unsubscribed everything it subscribed.
    expect(service.listenerCount()).toBe(0);
  });

  it('delivers every host (menu) event to the renderer transport’s host listener', () => {
    const transport = createElectronTransport(bridge);
    const received: [string, unknown][] = [];
    const offs = HOST_EVENT_NAMES.map((event) => transport.onHost(event, (payload) => received.push([event, payload])));
    for (const event of HOST_EVENT_NAMES) push({ event, payload: { path: `/from/${event}` } });
    offs.forEach((off) => off());
    expect(received).toEqual(HOST_EVENT_NAMES.map((event) => [event, { path: `/from/${event}` }]));
  });

  it('keys listeners by name in a Map (`__proto__` is just a name) and checks names and listeners', () => {
    const calls: unknown[] = [];
    const off = bridge.on('__proto__' as never, (payload) => calls.push(payload));
    push({ event: '__proto__', payload: 1 });
    push({ event: 'constructor', payload: 2 });
    off();
    expect(calls).toEqual([1]);
    expect(() => bridge.on(42 as never, () => {})).toThrow(/Unknown event/);
    expect(() => bridge.on('training.progress', 'not a function' as never)).toThrow(/function/);
  });

  it('gets dropped files’ paths from webUtils', () => {
    expect(bridge.getPathForFile({ name: 'cat.jpg' } as File)).toBe('/dropped/cat.jpg');
  });

  it('repeats exactly the channel names of api/wire.ts IPC, and no method or event list', () => {
    const source = readFileSync(PRELOAD, 'utf8');
    expect(source).toContain(`const INVOKE_CHANNEL = '${IPC.invoke}';`);
    expect(source).toContain(`const EVENT_CHANNEL = '${IPC.event}';`);
    for (const name of [...API_METHODS, ...EVENT_NAMES, ...HOST_EVENT_NAMES]) expect(source, name).not.toContain(`'${name}'`);
  });
});
