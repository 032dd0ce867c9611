/**
 * `serve`: the contract over HTTP + WebSocket for a browser (or any HTTP client).
 *
 * - `POST /api/<method>` with the request object as a JSON body → `200 { result }` or
 *   `{ error: { code, message } }` with the status from `HTTP_STATUS`.
 * - `GET /files/image?path=…`, `GET /files/thumbnail?path=…&size=…`: images inside opened folders.
 * - WebSocket `/events`: every core event as `{ event, payload }`.
 * - Everything else: the built renderer, with a strict CSP.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import {
  CoreError,
  EVENT_NAMES,
  LIMITS,
  type ApiClient,
  type ApiMethod,
  type ApiReply,
  type ApiRequest,
  type CoreApi,
  type EventName,
} from '../api/contract.js';
import type { Logger, Service } from '../api/service-types.js';
import { isApiMethod, validateRequest } from '../api/validate.js';
import { SNIFF_BYTES, sniffFormat } from '../core/images/formats.js';
import { toHttpError } from './errors.js';
import {
  COMMON_HEADERS,
  bearerToken,
  checkRequestedPath,
  contentSecurityPolicy,
  hostPort,
  isLoopbackHost,
  isOriginAllowed,
  isWellFormedHostHeader,
  loopbackHostHeaders,
  tokensEqual,
} from './security.js';
import { findStaticFile } from './static-files.js';

/** Options of `createServer`. */
export type ServerOptions = {
  service: Service;
  /** Address to bind; default `127.0.0.1`. Any non-loopback address requires a token. */
  host?: string;
  /** TCP port; default 0 (a free port chosen by the OS). */
  port?: number;
  /**
   * Shared secret clients must present (`Authorization: Bearer <token>`, or `?token=` for
   * images and the WebSocket). Optional on loopback; generated when binding elsewhere without one.
   */
  token?: string;
  /** The built renderer (`dist/renderer`); without it only the API is served. */
  staticDir?: string;
  /** Largest accepted request body in bytes; default `LIMITS.imageBase64Chars` + 1 MiB. */
  maxBodyBytes?: number;
  /** Where unexpected errors go; default stderr. */
  logger?: Logger;
};

/** A listening server. */
export type RunningServer = {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** What a person opens in a browser: `<url>/`, plus `#token=…` when a token is required. */
  openUrl: string;
  port: number;
  /** The token clients must present, when one is required. */
  token?: string;
  /** Stops listening, closes WebSockets and open connections. Does not close the service. */
  close(): Promise<void>;
};

/** Browser-displayable formats served as they are; other decodable formats are sent as a JPEG. */
const BROWSER_IMAGE_TYPES: Partial<Record<string, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
};

const THUMBNAIL_DEFAULT_PX = 256;
const THUMBNAIL_MAX_PX = 1024;
/** A WebSocket client further behind than this is dropped rather than buffered without bound. */
const MAX_WS_BUFFERED_BYTES = 16 * 1024 * 1024;
const WS_HEARTBEAT_MS = 30_000;
/** How long and how much of a refused body is drained before the connection is cut. */
const LINGER_MS = 2_000;
const LINGER_BYTES = 16 * 1024 * 1024;

const stderrLogger: Logger = {
  info: (message) => console.error(`retrain-studio serve: ${message}`),
  warn: (message) => console.error(`retrain-studio serve: warning: ${message}`),
  error: (message) => console.error(`retrain-studio serve: error: ${message}`),
};

/** Calls one contract method with a validated request (keeps `this` bound to the service). */
function callService<M extends ApiMethod>(service: CoreApi, method: M, request: ApiRequest<M>): Promise<ApiReply<M>> {
  const fn = service[method] as (req: ApiRequest<M>) => Promise<ApiReply<M>>;
  return fn.call(service, request);
}

/** Subscribes to every core event once; returns the unsubscribe function. */
function subscribeAll(service: Pick<ApiClient, 'on'>, send: (event: EventName, payload: unknown) => void): () => void {
  const unsubscribers = EVENT_NAMES.map((name) => service.on(name, (payload) => send(name, payload)));
  return () => unsubscribers.forEach((off) => off());
}

function firstLanAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

function splitUrl(rawUrl: string): { rawPath: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  return {
    rawPath: q === -1 ? rawUrl : rawUrl.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
  };
}

/** Reads a request body up to `limit` bytes; stops reading (without buffering more) beyond it. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new CoreError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limit} bytes; send a smaller image (at most ${LIMITS.imageBase64Chars} base64 characters).`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new CoreError('INVALID_ARGUMENT', 'The client closed the connection before sending the whole request.'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * After an early answer (401, 413…), reads and drops a little more of the body so the client, still
 * sending, gets to read the answer instead of a reset connection ("lingering close"); then
 * cuts the connection. Nothing is buffered.
 */
function discardRest(req: http.IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let discarded = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_BYTES) {
      clearTimeout(timer);
      cut();
    }
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/**
 * Starts the HTTP + WebSocket server. Binds 127.0.0.1 by default; any other address requires
 * a token (one is generated when none is given; read it from the result).
 * @throws Error when the port cannot be bound (EADDRINUSE, EACCES).
 */
export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const { service } = options;
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? stderrLogger;
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.imageBase64Chars + 1024 * 1024;
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new CoreError('INVALID_ARGUMENT', `The port must be a whole number from 0 to 65535; got ${String(options.port)}.`);
  }
  const loopback = isLoopbackHost(host);
  const token = options.token ?? (loopback ? undefined : randomBytes(24).toString('base64url'));
  if (token !== undefined && (token.length < 8 || !/^[\x21-\x7e]+$/.test(token))) {
    throw new CoreError('INVALID_ARGUMENT', 'The server token must be at least 8 printable ASCII characters without spaces.');
  }
  let allowedHosts = new Set<string>();

  /** The validated Host header, or null when the request must be refused. */
  const checkHost = (req: http.IncomingMessage): string | null => {
    const value = req.headers.host;
    if (!value || !isWellFormedHostHeader(value)) return null;
    // On loopback the Host must name this server: a foreign name means DNS rebinding.
    if (loopback && !allowedHosts.has(value.toLowerCase())) return null;
    return value;
  };

  const isAuthorized = (req: http.IncomingMessage, query: URLSearchParams, allowQueryToken: boolean): boolean => {
    if (token === undefined) return true;
    const presented = bearerToken(req.headers.authorization) ?? (allowQueryToken ? query.get('token') : null);
    return tokensEqual(presented, token);
  };

  const baseHeaders = (hostHeader: string): Record<string, string> => ({
    ...COMMON_HEADERS,
    'Content-Security-Policy': contentSecurityPolicy(hostHeader),
  });

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>) => {
    const text = JSON.stringify(body) ?? '{}';
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  };

  const sendError = (res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string>) =>
    sendJson(res, status, { error: { code, message } }, headers);

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, name: string, headers: Record<string, string>) => {
    if (!isApiMethod(name)) {
      sendError(res, 404, 'NOT_FOUND', `Unknown API method ${JSON.stringify(name.slice(0, 80))}.`, headers);
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'INVALID_ARGUMENT', `Use POST /api/${name} with a JSON body.`, { ...headers, Allow: 'POST' });
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendError(res, 415, 'INVALID_ARGUMENT', 'Send the request with Content-Type: application/json.', headers);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      const { status, body: errorBody } = toHttpError(error, logger, `/api/${name}`);
      sendJson(res, status, errorBody, headers);
      return;
    }
    let raw: unknown = {};
    if (body.length > 0) {
      try {
        raw = JSON.parse(body.toString('utf8'));
      } catch {
        sendError(res, 400, 'INVALID_ARGUMENT', `${name}: the request body is not valid JSON.`, headers);
        return;
      }
    }
    try {
      const request = validateRequest(name, raw);
      const result = await callService(service, name, request);
      sendJson(res, 200, { result }, headers);
    } catch (error) {
      const { status, body: errorBody } = toHttpError(error, logger, name);
      sendJson(res, status, errorBody, headers);
    }
  };

  const handleFile = async (req: http.IncomingMessage, res: http.ServerResponse, kind: 'image' | 'thumbnail', query: URLSearchParams, headers: Record<string, string>) => {
    try {
      const requested = checkRequestedPath(query.get('path'));
      const file = await service.access.resolveReadable(requested);
      const imageHeaders = { ...headers, 'Cache-Control': 'private, max-age=300' };
      if (kind === 'thumbnail') {
        const sizeText = query.get('size');
        const sizePx = sizeText === null ? THUMBNAIL_DEFAULT_PX : Number(sizeText);
        if (!Number.isInteger(sizePx) || sizePx < 16 || sizePx > THUMBNAIL_MAX_PX) {
          throw new CoreError('INVALID_ARGUMENT', `Thumbnail size must be a whole number from 16 to ${THUMBNAIL_MAX_PX}; got ${JSON.stringify(sizeText)}.`);
        }
        const jpeg = await service.thumbnail(file, sizePx);
        res.writeHead(200, { ...imageHeaders, 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length });
        res.end(req.method === 'HEAD' ? undefined : jpeg);
        return;
      }
      await sendImageFile(req, res, file, imageHeaders);
    } catch (error) {
      const { status, body } = toHttpError(error, logger, `/files/${kind}`);
      sendJson(res, status, body, headers);
    }
  };

  const sendImageFile = async (req: http.IncomingMessage, res: http.ServerResponse, file: string, headers: Record<string, string>) => {
    let handle;
    try {
      handle = await open(file, 'r');
    } catch {
      throw new CoreError('NOT_FOUND', `${file} cannot be opened (it was moved or deleted).`);
    }
    let keepHandle = false;
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CoreError('NOT_FOUND', `${file} is not a file.`);
      const head = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
      const sniff = sniffFormat(head.subarray(0, bytesRead));
      if (sniff.kind !== 'supported') {
        throw new CoreError('IMAGE_UNREADABLE', `${file} is not an image the app can show (${sniff.kind === 'unsupported' ? sniff.format : 'unknown format'}).`);
      }
      const type = BROWSER_IMAGE_TYPES[sniff.format];
      if (!type) {
        // e.g. TIFF: decodable by sharp but not by browsers, so send a JPEG rendition.
        const jpeg = await service.thumbnail(file, THUMBNAIL_MAX_PX);
        res.writeHead(200, { ...headers, 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length });
        res.end(req.method === 'HEAD' ? undefined : jpeg);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': info.size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      keepHandle = true;
      const stream = handle.createReadStream({ start: 0, autoClose: true });
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    } finally {
      if (!keepHandle) await handle.close();
    }
  };

  const handleStatic = async (req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, headers: Record<string, string>) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed\n');
      return;
    }
    const found = options.staticDir ? await findStaticFile(options.staticDir, rawPath) : null;
    if (!found) {
      const page = rawPath === '/' && !options.staticDir;
      const text = page ? 'Retrain Studio: the UI is not built. Run `npm run build`, then start `serve` again.\n' : 'Not found\n';
      res.writeHead(page ? 503 : 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': found.contentType,
      'Content-Length': found.size,
      // Vite's hashed assets never change; index.html must be revalidated to pick up new builds.
      'Cache-Control': rawPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const handleRequest = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const hostHeader = checkHost(req);
    if (hostHeader === null) {
      const text = 'Forbidden: unexpected Host header.\n';
      res.writeHead(403, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
      res.end(text);
      return;
    }
    const headers = baseHeaders(hostHeader);
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) {
      sendError(res, 400, 'INVALID_ARGUMENT', 'Bad request target.', headers);
      return;
    }
    const { rawPath, query } = splitUrl(rawUrl);
    const isApi = rawPath.startsWith('/api/');
    const isFile = rawPath === '/files/image' || rawPath === '/files/thumbnail';
    if (isApi || isFile || rawPath === '/events') {
      if (!isOriginAllowed(req.headers.origin, hostHeader)) {
        sendError(res, 403, 'UNAUTHORIZED', 'Cross-origin requests are not accepted.', headers);
        return;
      }
      if (!isAuthorized(req, query, isFile)) {
        sendError(res, 401, 'UNAUTHORIZED', 'This server needs its token: open the URL it printed (with #token=…), or send Authorization: Bearer <token>.', {
          ...headers,
          'WWW-Authenticate': 'Bearer',
        });
        return;
      }
    }
    if (isApi) return handleApi(req, res, rawPath.slice('/api/'.length), headers);
    if (isFile) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, 405, 'INVALID_ARGUMENT', 'Use GET.', { ...headers, Allow: 'GET, HEAD' });
        return;
      }
      return handleFile(req, res, rawPath === '/files/image' ? 'image' : 'thumbnail', query, headers);
    }
    if (rawPath === '/events') {
      sendError(res, 426, 'INVALID_ARGUMENT', 'Connect to /events with a WebSocket.', { ...headers, Upgrade: 'websocket' });
      return;
    }
    if (rawPath.startsWith('/api') || rawPath.startsWith('/files')) {
      sendError(res, 404, 'NOT_FOUND', 'No such route.', headers);
      return;
    }
    return handleStatic(req, res, rawPath, headers);
  };

  const server = http.createServer((req, res) => {
    // Whenever the answer goes out before the body was read (401, 413, 404…), drop a bounded
    // rest of the body and close, rather than reading any amount a client sends.
    res.once('finish', () => discardRest(req));
    handleRequest(req, res).catch((error: unknown) => {
      const { status, body } = toHttpError(error, logger, req.url ?? 'request');
      if (!res.headersSent) sendJson(res, status, body, { ...COMMON_HEADERS });
      else res.destroy();
    });
  });

  // ── WebSocket /events ──
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  const rejectUpgrade = (socket: Duplex, status: number, reason: string) => {
    const text = `${reason}\n`;
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const { rawPath, query } = splitUrl(req.url ?? '/');
    const hostHeader = checkHost(req);
    if (hostHeader === null) return rejectUpgrade(socket, 403, 'Forbidden');
    if (rawPath !== '/events') return rejectUpgrade(socket, 404, 'Not Found');
    if (!isOriginAllowed(req.headers.origin, hostHeader)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!isAuthorized(req, query, true)) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('error', () => ws.terminate());
      // Clients have nothing to say on this socket; incoming messages are ignored.
    });
  });

  const broadcast = (event: EventName, payload: unknown) => {
    if (wss.clients.size === 0) return;
    let data: string;
    try {
      data = JSON.stringify({ event, payload });
    } catch (error) {
      logger.error(`event ${event} could not be serialised: ${String(error)}`);
      return;
    }
    for (const ws of wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (ws.bufferedAmount > MAX_WS_BUFFERED_BYTES) {
        ws.terminate();
        continue;
      }
      ws.send(data);
    }
  };
  const unsubscribe = subscribeAll(service, broadcast);

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, WS_HEARTBEAT_MS);
  heartbeat.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(heartbeat);
    unsubscribe();
    wss.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  allowedHosts = loopbackHostHeaders(host, port);
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const urlHost = wildcard ? (firstLanAddress() ?? '127.0.0.1') : host;
  const url = `http://${hostPort(urlHost, port)}`;
  const openUrl = `${url}/${token ? `#token=${encodeURIComponent(token)}` : ''}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Give WebSocket close frames a moment, then cut whatever is left.
        setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
          server.closeAllConnections();
        }, 200).unref();
      });
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    })();
    return closing;
  };

  return { url, openUrl, port, token, close };
}
