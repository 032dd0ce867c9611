import type { IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { CoreError, EVENT_NAMES } from '../../src-main/api/contract.js';
import { IPC } from '../../src-main/api/wire.js';
import {
  createIpcHandler,
  isTrustedSender,
  registerIpc,
  senderInfo,
  type EventMessage,
  type IpcMainLike,
  type SenderInfo,
} from '../../src-main/electron/ipc.js';
import { forwardEvents } from '../../src-main/host/events.js';
import { createFakeService } from '../server/fake-service.js';

const WINDOW_ID = 7;
const trusted: SenderInfo = { webContentsId: WINDOW_ID, frameUrl: 'app://retrain-studio/index.html', isMainFrame: true };

const makeHandlers = (service = createFakeService()) => {
  const warnings: string[] = [];
  const errors: string[] = [];
  const handler = createIpcHandler({
    service,
    trustedWebContentsId: () => WINDOW_ID,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => errors.push(m) },
  });
  const call = (method: unknown, request: unknown, sender: SenderInfo = trusted) => handler(sender, { method, request });
  return { handler, call, service, warnings, errors };
};

describe('isTrustedSender', () => {
  it('accepts only the window’s top frame at the app origin', () => {
    expect(isTrustedSender(trusted, WINDOW_ID)).toBe(true);
    expect(isTrustedSender({ ...trusted, frameUrl: 'app://retrain-studio/#/runs' }, WINDOW_ID)).toBe(true);
    expect(isTrustedSender(trusted, undefined)).toBe(false);
    expect(isTrustedSender({ ...trusted, webContentsId: 8 }, WINDOW_ID)).toBe(false);
    expect(isTrustedSender({ ...trusted, isMainFrame: false }, WINDOW_ID)).toBe(false);
    for (const frameUrl of [null, 'https://evil.example/', 'file:///index.html', 'app://evil/index.html', 'app://retrain-studio.evil/x', 'app://user@retrain-studio/']) {
      expect(isTrustedSender({ ...trusted, frameUrl }, WINDOW_ID), String(frameUrl)).toBe(false);
    }
  });

  it('reads the sender from an invoke event', () => {
    const mainFrame = { url: 'app://retrain-studio/index.html', parent: null };
    const event = { sender: { id: 3 }, senderFrame: mainFrame } as unknown as IpcMainInvokeEvent;
    expect(senderInfo(event)).toEqual({ webContentsId: 3, frameUrl: 'app://retrain-studio/index.html', isMainFrame: true });
    const child = { sender: { id: 3 }, senderFrame: { url: 'app://retrain-studio/x', parent: mainFrame } } as unknown as IpcMainInvokeEvent;
    expect(senderInfo(child).isMainFrame).toBe(false);
    const gone = { sender: { id: 3 }, senderFrame: null } as unknown as IpcMainInvokeEvent;
    expect(senderInfo(gone)).toEqual({ webContentsId: 3, frameUrl: null, isMainFrame: false });
  });
});

describe('createIpcHandler', () => {
  it('calls the service with the validated request and wraps the result', async () => {
    const { call, service } = makeHandlers();
    expect(await call('getEngine', {})).toEqual({ result: expect.objectContaining({ backend: 'wasm' }) });
    expect(await call('openDataset', { path: '/d', testPercent: 5 })).toEqual({ result: expect.objectContaining({ root: '/d', testPercent: 5 }) });
    expect(service.calls).toEqual([
      { method: 'getEngine', request: {} },
      { method: 'openDataset', request: { path: '/d', testPercent: 5 } },
    ]);
  });

  it('refuses untrusted senders without calling the service', async () => {
    const { call, service, warnings } = makeHandlers();
    const reply = await call('getEngine', {}, { ...trusted, frameUrl: 'https://evil.example/' });
    expect(reply).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect(service.calls).toEqual([]);
    expect(warnings[0]).toContain('evil.example');
  });

  it('refuses unknown methods (prototype names too) and messages not shaped { method, request }', async () => {
    const { handler, call, service } = makeHandlers();
    for (const method of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 42, null]) {
      expect(await call(method, {}), String(method)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    }
    for (const message of [undefined, null, 'getEngine', ['getEngine', {}], { request: {} }, JSON.parse('{"__proto__":{"method":"getEngine"}}')]) {
      expect(await handler(trusted, message), JSON.stringify(message)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(service.calls).toEqual([]);
  });

  it('returns validation failures as { error } instead of throwing', async () => {
    const { call, service } = makeHandlers();
    for (const raw of [{ path: 1 }, { path: '/x', extra: 1 }, 'string', [1], { path: '/x\0y' }]) {
      const reply = await call('openDataset', raw);
      expect(reply, JSON.stringify(raw)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('openDataset') } });
    }
    const polluted = await call('getEngine', JSON.parse('{"__proto__":{"x":1}}'));
    expect('error' in polluted && polluted.error.code).toBe('INVALID_ARGUMENT');
    expect(service.calls).toEqual([]);
  });

  it('passes CoreErrors through and hides plain errors behind INTERNAL', async () => {
    const service = createFakeService({
      overrides: {
        getRun: async () => {
          throw new CoreError('NOT_FOUND', 'Run r does not exist.', { runId: 'r' });
        },
        listRuns: async () => {
          throw new RangeError('index 9 out of range in /secret/path');
        },
      },
    });
    const { call, errors } = makeHandlers(service);
    expect(await call('getRun', { runId: 'r' })).toEqual({ error: { code: 'NOT_FOUND', message: 'Run r does not exist.', details: { runId: 'r' } } });
    const internal = await call('listRuns', {});
    expect(internal).toEqual({ error: { code: 'INTERNAL', message: expect.not.stringContaining('/secret/path') } });
    expect(errors[0]).toContain('/secret/path');
  });
});

describe('registerIpc', () => {
  it('registers the one invoke channel, which reads the sender from the event, and removes it', async () => {
    const registered = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => void registered.set(channel, listener),
      removeHandler: (channel) => void registered.delete(channel),
    };
    const service = createFakeService();
    const dispose = registerIpc({ ipcMain, service, trustedWebContentsId: () => WINDOW_ID, logger: { info() {}, warn() {}, error() {} } });
    expect([...registered.keys()]).toEqual([IPC.invoke]);
    const event = (id: number, url: string) => ({ sender: { id }, senderFrame: { url, parent: null } }) as unknown as IpcMainInvokeEvent;
    const invoke = registered.get(IPC.invoke)!;
    expect(await invoke(event(WINDOW_ID, 'app://retrain-studio/index.html'), { method: 'listModels', request: {} })).toEqual({ result: [expect.objectContaining({ id: 'fake_model' })] });
    expect(await invoke(event(99, 'app://retrain-studio/index.html'), { method: 'listModels', request: {} })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    dispose();
    expect(registered.size).toBe(0);
  });
});

describe('forwardEvents', () => {
  it('sends every core event of the contract as { event, payload } until unsubscribed', () => {
    const service = createFakeService();
    const sent: EventMessage[] = [];
    const off = forwardEvents(service, (message) => sent.push(message));
    expect(service.listenerCount()).toBe(EVENT_NAMES.length);
    EVENT_NAMES.forEach((event, i) => service.emit(event, { marker: i } as never));
    expect(sent).toEqual(EVENT_NAMES.map((event, i) => ({ event, payload: { marker: i } })));
    off();
    expect(service.listenerCount()).toBe(0);
  });
});
