/**
 * The renderer's only door to the engine. It picks a transport once at start:
 *
 * - Electron: the preload bridge `window.retrainStudio` (IPC; images via a custom protocol);
 * - browser: `POST /api/<method>` with JSON, events over the `/events` WebSocket,
 *   images from `/files/…`, a bearer token read from `location.hash` (`#token=…`).
 *
 * Everything else in the renderer uses the typed `api` client, `imageUrl`/`thumbnailUrl`
 * and `handleError`, and never knows which transport it has.
 */
import {
  API_METHODS,
  CoreError,
  type ApiClient,
  type ApiMethod,
  type EventName,
  type EventPayload,
  type HostEventName,
  type HostEventPayload,
  type PreloadBridge as Bridge,
} from '../../src-main/api/contract.js';
import { DEFAULTS, imageRouteUrl, imageSchemeUrl, ROUTES } from '../../src-main/api/wire.js';

export { CoreError };

/** What the Electron preload exposes on `window.retrainStudio` (and nothing more). */
export type PreloadBridge = Bridge<File>;

declare global {
  interface Window {
    retrainStudio?: PreloadBridge;
  }
}

/** Where events come from and whether the link is up (the WebSocket can drop and reconnect). */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** One way to reach the engine. */
export type Transport = {
  readonly kind: 'electron' | 'http';
  invoke(method: ApiMethod, request: unknown): Promise<unknown>;
  on(event: EventName, listener: (payload: unknown) => void): () => void;
  /** URL of a full image, or of a JPEG thumbnail when `thumbnailSizePx` is given. */
  imageUrl(path: string, thumbnailSizePx?: number): string;
  /** Absolute path of a dropped/picked file; null where the host hides paths (browsers). */
  getPathForFile(file: File): string | null;
  /** Event-link state changes (HTTP only; Electron's link is always open). */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Host (menu) events; never fire in a browser. */
  onHost<E extends HostEventName>(event: E, listener: (payload: HostEventPayload<E>) => void): () => void;
};

/** Builds the typed client from any transport; the method list comes from `API_METHODS`. */
export function createClient(transport: Transport): ApiClient {
  const client: Record<string, unknown> = {
    on: (event: EventName, listener: (payload: unknown) => void) => transport.on(event, listener),
  };
  for (const method of API_METHODS) {
    client[method] = (request: unknown) => transport.invoke(method, request ?? {});
  }
  return client as ApiClient;
}

/** Electron: wraps the preload bridge. Images come through the `rs-image:` protocol. */
export function createElectronTransport(bridge: PreloadBridge): Transport {
  return {
    kind: 'electron',
    async invoke(method, request) {
      const reply = await bridge.invoke(method, request);
      if (reply && typeof reply === 'object' && 'error' in reply) throw CoreError.fromJSON(reply.error);
      return reply?.result;
    },
    on: (event, listener) => bridge.on(event, listener),
    imageUrl: imageSchemeUrl,
    getPathForFile(file) {
      try {
        return bridge.getPathForFile(file) || null;
      } catch {
        return null;
      }
    },
    onConnection(listener) {
      listener('open');
      return () => {};
    },
    onHost(event, listener) {
      return bridge.on(event, (payload) => {
        const path = (payload as { path?: unknown } | null)?.path;
        if (typeof path === 'string') listener({ path } as HostEventPayload<typeof event>);
      });
    },
  };
}

/** Options for the HTTP transport; every field has a browser default, tests inject fakes. */
export type HttpTransportOptions = {
  /** Origin + path prefix, default `location.origin`. */
  baseUrl?: string;
  /** Bearer token for `Authorization` and the socket's `?token=`; default none. */
  token?: string | null;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** First reconnect delay in ms (doubles up to 10 s); default 500. */
  reconnectDelayMs?: number;
};

/**
 * Browser: JSON over `POST /api/<method>`; a reply is `{ result }` (or the bare value),
 * a failure `{ error: { code, message } }`. Events over one auto-reconnecting WebSocket.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): Transport {
  const baseUrl = (options.baseUrl ?? location.origin).replace(/\/$/, '');
  const token = options.token ?? null;
  const fetchImpl = options.fetch ?? fetch.bind(globalThis);
  const firstDelayMs = options.reconnectDelayMs ?? 500;
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let socket: WebSocket | null = null;
  let state: ConnectionState = 'closed';
  let delayMs = firstDelayMs;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of connectionListeners) listener(next);
  };

  const withToken = (url: string) => (token ? `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : url);

  const connect = () => {
    reconnectTimer = null;
    const wsUrl = baseUrl.replace(/^http/, 'ws') + ROUTES.events;
    setState('connecting');
    let ws: WebSocket;
    try {
      const Socket = options.WebSocket ?? globalThis.WebSocket;
      ws = new Socket(withToken(wsUrl));
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      delayMs = firstDelayMs;
      setState('open');
    };
    ws.onmessage = (message: MessageEvent) => {
      let parsed: { event?: unknown; payload?: unknown };
      try {
        parsed = JSON.parse(typeof message.data === 'string' ? message.data : '');
      } catch {
        return;
      }
      if (typeof parsed?.event !== 'string') return;
      for (const listener of listeners.get(parsed.event) ?? []) listener(parsed.payload);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setState('closed');
      scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  };

  const scheduleReconnect = () => {
    if (reconnectTimer || listenerCount() === 0) return;
    reconnectTimer = setTimeout(connect, delayMs);
    delayMs = Math.min(delayMs * 2, 10_000);
  };

  const listenerCount = () => [...listeners.values()].reduce((sum, set) => sum + set.size, 0) + connectionListeners.size;

  const ensureSocket = () => {
    if (!socket && !reconnectTimer) connect();
  };

  return {
    kind: 'http',
    async invoke(method, request) {
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}${ROUTES.apiPrefix}${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(request ?? {}),
        });
      } catch (cause) {
        throw new CoreError('INTERNAL', `Cannot reach the Retrain Studio server (${(cause as Error)?.message ?? 'network error'}). Is \`retrain-studio serve\` still running?`);
      }
      const text = await response.text();
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          if (!response.ok) throw new CoreError('INTERNAL', `The server answered ${response.status}: ${text.slice(0, 200)}`);
          throw new CoreError('INTERNAL', `The server's reply to ${method} is not JSON.`);
        }
      }
      if (body && typeof body === 'object' && 'error' in body && (body as { error?: unknown }).error) {
        throw CoreError.fromJSON((body as { error: unknown }).error);
      }
      if (!response.ok) {
        const code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 404 ? 'NOT_FOUND' : 'INTERNAL';
        const hint = response.status === 401 ? ' Open the address `serve` printed, including its #token=… part.' : '';
        throw new CoreError(code, `The server answered ${response.status} ${response.statusText} to ${method}.${hint}`);
      }
      if (body && typeof body === 'object' && !Array.isArray(body) && 'result' in body && Object.keys(body).length === 1) {
        return (body as { result: unknown }).result;
      }
      return body ?? undefined;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      ensureSocket();
      return () => {
        set.delete(listener);
      };
    },
    imageUrl: (path, thumbnailSizePx) => withToken(baseUrl + imageRouteUrl(path, thumbnailSizePx)),
    getPathForFile: () => null,
    onHost: () => () => {},
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(state);
      ensureSocket();
      return () => {
        connectionListeners.delete(listener);
      };
    },
  };
}

/** Reads `#token=…` once, keeps it for reloads in sessionStorage, and hides it from the address bar. */
export function readToken(): string | null {
  const key = 'retrainStudio.token';
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(key, token);
      history.replaceState(null, '', location.pathname + location.search);
    } catch {
      // Storage may be disabled; the token still works for this page.
    }
    return token;
  }
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function pickTransport(): Transport {
  if (typeof window !== 'undefined' && window.retrainStudio) return createElectronTransport(window.retrainStudio);
  return createHttpTransport({ token: readToken() });
}

let transport: Transport | null = null;
let client: ApiClient | null = null;

/** The active transport, chosen on first use. */
export function getTransport(): Transport {
  transport ??= pickTransport();
  return transport;
}

/** The typed API client (lazily built on the transport picked at start). */
export const api: ApiClient = new Proxy({} as ApiClient, {
  get(_target, property: string | symbol) {
    client ??= createClient(getTransport());
    return client[property as keyof ApiClient];
  },
});

/** Subscribes to one engine event; returns the unsubscribe function. */
export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return getTransport().on(event, listener as (payload: unknown) => void);
}

/** Subscribes to a desktop host event (menu choices); a no-op in a browser. */
export function onHostEvent<E extends HostEventName>(event: E, listener: (payload: HostEventPayload<E>) => void): () => void {
  return getTransport().onHost(event, listener);
}

/** URL to display a local image (allowed only inside datasets, models and exports). */
export function imageUrl(path: string): string {
  return getTransport().imageUrl(path);
}

/** URL of a JPEG thumbnail of a local image, `sizePx` on its longer side. */
export function thumbnailUrl(path: string, sizePx: number = DEFAULTS.thumbnailPx): string {
  return getTransport().imageUrl(path, sizePx);
}

/** True in Electron (native dialogs, real file paths); false in a browser. */
export function isDesktop(): boolean {
  return getTransport().kind === 'electron';
}

/** Shows an error to the user (the app shell installs the toast stack). */
export type ErrorReporter = (message: string, code: string) => void;

let reportError: ErrorReporter = (message, code) => console.error(`[${code}] ${message}`);

/** Installs where `handleError` shows errors (App.svelte: the toasts); returns the previous one. */
export function setErrorReporter(reporter: ErrorReporter): ErrorReporter {
  const previous = reportError;
  reportError = reporter;
  return previous;
}

/**
 * The one place failures become visible: a toast with a readable message, prefixed with
 * `context` (e.g. "Dataset"). Cancellation is not a failure and is ignored. Returns the
 * error as a CoreError for callers that branch on its code.
 */
export function handleError(error: unknown, context?: string): CoreError {
  const coreError =
    error instanceof CoreError
      ? error
      : new CoreError('INTERNAL', error instanceof Error ? error.message : String(error ?? 'Unknown error'));
  if (coreError.code !== 'CANCELLED') {
    reportError(context ? `${context}: ${coreError.message}` : coreError.message, coreError.code);
  }
  return coreError;
}
