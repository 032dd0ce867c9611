import type { IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { API_METHODS, CoreError } from '../../src-main/api/contract.js';
import {
  API_CHANNEL_PREFIX,
  createIpcHandlers,
  forwardEvents,
  isTrustedSender,
  registerIpc,
  senderInfo,
  type EventMessage,
  type IpcMainLike,
  type SenderInfo,
} from '../../src-main/electron/ipc.js';
import { createFakeService } from '../server/fake-service.js';

const WINDOW_ID = 7;
const trusted: SenderInfo = { webContentsId: WINDOW_ID, frameUrl: 'app://retrain-studio/index.html', isMainFrame: true };

const makeHandlers = (service = createFakeService()) => {
  const warnings: string[] = [];
  const errors: string[] = [];
  const handlers = createIpcHandlers({
    service,
    trustedWebContentsId: () => WINDOW_ID,
    logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => errors.push(m) },
  });
  return { handlers, service, warnings, errors };
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

describe('createIpcHandlers', () => {
  it('has exactly one handler per contract method', () => {
    const { handlers } = makeHandlers();
    expect(Object.keys(handlers).sort()).toEqual([...API_METHODS].sort());
    expect(Object.getPrototypeOf(handlers)).toBeNull();
  });

  it('calls the service with the validated request and wraps the result', async () => {
    const { handlers, service } = makeHandlers();
    expect(await handlers.getEngine(trusted, {})).toEqual({ result: expect.objectContaining({ backend: 'wasm' }) });
    expect(await handlers.openDataset(trusted, { path: '/d', testPercent: 5 })).toEqual({ result: expect.objectContaining({ root: '/d', testPercent: 5 }) });
    expect(service.calls).toEqual([
      { method: 'getEngine', request: {} },
      { method: 'openDataset', request: { path: '/d', testPercent: 5 } },
    ]);
  });

  it('refuses untrusted senders without calling the service', async () => {
    const { handlers, service, warnings } = makeHandlers();
    const reply = await handlers.getEngine({ ...trusted, frameUrl: 'https://evil.example/' }, {});
    expect(reply).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    expect(service.calls).toEqual([]);
    expect(warnings[0]).toContain('evil.example');
  });

  it('returns validation failures as { error } instead of throwing', async () => {
    const { handlers, service } = makeHandlers();
    for (const raw of [{ path: 1 }, { path: '/x', extra: 1 }, 'string', [1], { path: '/x\0y' }]) {
      const reply = await handlers.openDataset(trusted, raw);
      expect(reply, JSON.stringify(raw)).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('openDataset') } });
    }
    const polluted = await handlers.getEngine(trusted, JSON.parse('{"__proto__":{"x":1}}'));
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
    const { handlers, errors } = makeHandlers(service);
    expect(await handlers.getRun(trusted, { runId: 'r' })).toEqual({ error: { code: 'NOT_FOUND', message: 'Run r does not exist.', details: { runId: 'r' } } });
    const internal = await handlers.listRuns(trusted, {});
    expect(internal).toEqual({ error: { code: 'INTERNAL', message: expect.not.stringContaining('/secret/path') } });
    expect(errors[0]).toContain('/secret/path');
  });
});

describe('registerIpc', () => {
  it('registers api:<method> channels that read the sender from the event, and removes them', async () => {
    const registered = new Map<string, Parameters<IpcMainLike['handle']>[1]>();
    const ipcMain: IpcMainLike = {
      handle: (channel, listener) => void registered.set(channel, listener),
      removeHandler: (channel) => void registered.delete(channel),
    };
    const service = createFakeService();
    const dispose = registerIpc({ ipcMain, service, trustedWebContentsId: () => WINDOW_ID, logger: { info() {}, warn() {}, error() {} } });
    expect([...registered.keys()].sort()).toEqual(API_METHODS.map((m) => API_CHANNEL_PREFIX + m).sort());
    const event = (id: number, url: string) => ({ sender: { id }, senderFrame: { url, parent: null } }) as unknown as IpcMainInvokeEvent;
    expect(await registered.get('api:listModels')!(event(WINDOW_ID, 'app://retrain-studio/index.html'), {})).toEqual({ result: [expect.objectContaining({ id: 'fake_model' })] });
    expect(await registered.get('api:listModels')!(event(99, 'app://retrain-studio/index.html'), {})).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    dispose();
    expect(registered.size).toBe(0);
  });
});

describe('forwardEvents', () => {
  it('sends every core event as { event, payload } until unsubscribed', () => {
    const service = createFakeService();
    const sent: EventMessage[] = [];
    const off = forwardEvents(service, (message) => sent.push(message));
    expect(service.listenerCount()).toBe(7);
    service.emit('bottlenecks.progress', { runId: 'r', done: 1, total: 2, fromCache: 0, computed: 1, failed: 0, imagesPerSecond: 3, etaMs: null, phase: 'compute' });
    service.emit('engine.changed', { backend: 'cpu', package: 'x', device: 'd', forced: true, candidates: [], featureEngine: 'auto', summary: 's' });
    expect(sent.map((m) => m.event)).toEqual(['bottlenecks.progress', 'engine.changed']);
    expect(sent[0].payload).toMatchObject({ runId: 'r', done: 1 });
    off();
    expect(service.listenerCount()).toBe(0);
  });
});
