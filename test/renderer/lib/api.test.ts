import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, CoreError } from '../../../src-main/api/contract.js';
import {
  createClient,
  createElectronTransport,
  createHttpTransport,
  handleError,
  setErrorReporter,
  type PreloadBridge,
  type Transport,
} from '../../../src-renderer/lib/api.js';

type Call = { url: string; init: RequestInit };

function fakeFetch(reply: (call: Call) => Response | Promise<Response>): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = (async (url: string | URL | Request, init?: RequestInit) => {
    const call = { url: String(url), init: init ?? {} };
    calls.push(call);
    return reply(call);
  }) as typeof fetch;
  return { fetch: fn, calls };
}

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

/** A WebSocket stand-in that records instances and lets the test drive open/message/close. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  close(): void {
    this.onclose?.();
  }
}

describe('createHttpTransport', () => {
  it('POSTs the request as JSON to /api/<method> with the bearer token and unwraps { result }', async () => {
    const { fetch, calls } = fakeFetch(() => json({ result: { backend: 'wasm' } }));
    const transport = createHttpTransport({ baseUrl: 'http://127.0.0.1:9000/', token: 'secret', fetch });
    const reply = await transport.invoke('getEngine', {});
    expect(reply).toEqual({ backend: 'wasm' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://127.0.0.1:9000/api/getEngine');
    expect(calls[0].init.method).toBe('POST');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe('Bearer secret');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({});
  });

  it('rebuilds a CoreError from an error body, keeping its code and message', async () => {
    const { fetch } = fakeFetch(() => json({ error: { code: 'DATASET_EMPTY', message: '/x has no images.' } }, 400));
    const transport = createHttpTransport({ baseUrl: 'http://h', fetch });
    const error = await transport.invoke('openDataset', { path: '/x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('DATASET_EMPTY');
    expect((error as CoreError).message).toBe('/x has no images.');
  });

  it('maps a bare 401 to UNAUTHORIZED with a hint, and a network failure to a readable INTERNAL error', async () => {
    const unauthorized = createHttpTransport({ baseUrl: 'http://h', fetch: fakeFetch(() => new Response('', { status: 401, statusText: 'Unauthorized' })).fetch });
    const error = (await unauthorized.invoke('listRuns', {}).catch((e: unknown) => e)) as CoreError;
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toMatch(/#token=/);

    const offline = createHttpTransport({ baseUrl: 'http://h', fetch: fakeFetch(() => Promise.reject(new TypeError('Failed to fetch'))).fetch });
    const networkError = (await offline.invoke('listRuns', {}).catch((e: unknown) => e)) as CoreError;
    expect(networkError.code).toBe('INTERNAL');
    expect(networkError.message).toMatch(/Cannot reach the Retrain Studio server.*Failed to fetch/);
  });

  it('resolves undefined for an empty 200 reply (void methods)', async () => {
    const transport = createHttpTransport({ baseUrl: 'http://h', fetch: fakeFetch(() => new Response('', { status: 200 })).fetch });
    await expect(transport.invoke('cancelTraining', { runId: 'r1' })).resolves.toBeUndefined();
  });

  it('builds image and thumbnail URLs with the encoded path and the token', () => {
    const transport = createHttpTransport({ baseUrl: 'http://h:1', token: 'a b', fetch: fakeFetch(() => json({})).fetch });
    expect(transport.imageUrl('/data/roses/1 & 2.jpg')).toBe('http://h:1/files/image?path=%2Fdata%2Froses%2F1%20%26%202.jpg&token=a%20b');
    expect(transport.imageUrl('/d/x.png', 128)).toBe('http://h:1/files/thumbnail?path=%2Fd%2Fx.png&size=128&token=a%20b');
    expect(transport.getPathForFile({} as File)).toBeNull();
  });

  it('delivers { event, payload } socket messages to listeners, and reconnects after a drop', async () => {
    vi.useFakeTimers();
    try {
      FakeSocket.instances = [];
      const transport = createHttpTransport({
        baseUrl: 'http://h:2',
        token: 't',
        fetch: fakeFetch(() => json({})).fetch,
        WebSocket: FakeSocket as unknown as typeof WebSocket,
        reconnectDelayMs: 100,
      });
      const states: string[] = [];
      transport.onConnection((state) => states.push(state));
      const received: unknown[] = [];
      const off = transport.on('run.phase', (payload) => received.push(payload));
      expect(FakeSocket.instances).toHaveLength(1);
      const socket = FakeSocket.instances[0];
      expect(socket.url).toBe('ws://h:2/events?token=t');
      socket.onopen?.();
      socket.onmessage?.({ data: JSON.stringify({ event: 'run.phase', payload: { runId: 'r', phase: 'loading', message: 'm' } }) });
      socket.onmessage?.({ data: JSON.stringify({ event: 'run.finished', payload: {} }) });
      socket.onmessage?.({ data: 'not json' });
      expect(received).toEqual([{ runId: 'r', phase: 'loading', message: 'm' }]);

      socket.onclose?.();
      expect(states).toEqual(['closed', 'connecting', 'open', 'closed']);
      vi.advanceTimersByTime(100);
      expect(FakeSocket.instances).toHaveLength(2);
      FakeSocket.instances[1].onopen?.();
      FakeSocket.instances[1].onmessage?.({ data: JSON.stringify({ event: 'run.phase', payload: 2 }) });
      expect(received).toEqual([{ runId: 'r', phase: 'loading', message: 'm' }, 2]);

      off();
      FakeSocket.instances[1].onmessage?.({ data: JSON.stringify({ event: 'run.phase', payload: 3 }) });
      expect(received).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('createElectronTransport', () => {
  function bridge(reply: { result: unknown } | { error: { code: string; message: string } }): PreloadBridge & { calls: unknown[][] } {
    const calls: unknown[][] = [];
    return {
      calls,
      invoke: async (method, request) => {
        calls.push([method, request]);
        return reply;
      },
      on: () => () => {},
      getPathForFile: () => '/home/me/a.jpg',
    };
  }

  it('unwraps results and rebuilds errors from the preload bridge', async () => {
    const ok = bridge({ result: [1, 2] });
    await expect(createElectronTransport(ok).invoke('listRuns', {})).resolves.toEqual([1, 2]);
    expect(ok.calls).toEqual([['listRuns', {}]]);
    const failing = createElectronTransport(bridge({ error: { code: 'MODEL_NOT_FOUND', message: 'No model x.' } }));
    const error = (await failing.invoke('getRun', { runId: 'x' }).catch((e: unknown) => e)) as CoreError;
    expect(error).toBeInstanceOf(CoreError);
    expect(error.code).toBe('MODEL_NOT_FOUND');
  });

  it('uses the rs-image protocol for images and the bridge for file paths', () => {
    const transport = createElectronTransport(bridge({ result: null }));
    expect(transport.imageUrl('/a b/c.jpg')).toBe('rs-image://local/%2Fa%20b%2Fc.jpg');
    expect(transport.imageUrl('/a/c.jpg', 96)).toBe('rs-image://local/%2Fa%2Fc.jpg?thumb=96');
    expect(transport.getPathForFile({} as File)).toBe('/home/me/a.jpg');
  });
});

describe('createClient', () => {
  it('has every contract method, each calling the transport with its own name', async () => {
    const calls: [string, unknown][] = [];
    const transport: Transport = {
      kind: 'http',
      invoke: async (method, request) => {
        calls.push([method, request]);
        return method;
      },
      on: () => () => {},
      imageUrl: () => '',
      getPathForFile: () => null,
      onConnection: () => () => {},
      onHost: () => () => {},
    };
    const client = createClient(transport);
    for (const method of API_METHODS) {
      const fn = client[method] as (request: unknown) => Promise<unknown>;
      await expect(fn({ probe: method })).resolves.toBe(method);
    }
    expect(calls.map(([method]) => method)).toEqual([...API_METHODS]);
    expect(calls[0][1]).toEqual({ probe: API_METHODS[0] });
    expect(typeof client.on).toBe('function');
  });
});

describe('handleError', () => {
  it('reports a readable message once, with context, and ignores cancellation', () => {
    const reports: [string, string][] = [];
    const previous = setErrorReporter((message, code) => reports.push([message, code]));
    try {
      const returned = handleError(new CoreError('BUSY', 'A run is already training.'), 'Training');
      expect(returned.code).toBe('BUSY');
      handleError(new CoreError('CANCELLED', 'Training was cancelled.'));
      handleError(new Error('boom'));
      expect(reports).toEqual([
        ['Training: A run is already training.', 'BUSY'],
        ['boom', 'INTERNAL'],
      ]);
    } finally {
      setErrorReporter(previous);
    }
  });
});
