/**
 * `serve`: the contract over HTTP + WebSocket for a browser (or any HTTP client). This
 * adapter translates HTTP to the host layer and back: `dispatch` for calls, the image
 * server for /files, `forwardEvents` for the socket, `findStaticFile` for the UI.
 *
 * - `POST /api/<method>` with the request object as a JSON body → `200 { result }` or
 *   `{ error: { code, message } }` with the status from `HTTP_STATUS` (host/errors.ts).
 * - `GET /files/image?path=…`, `GET /files/thumbnail?path=…&size=…`: images inside opened folders.
 * - WebSocket `/events`: every core event as `{ event, payload }`.
 * - Everything else: the built renderer, with a strict CSP.
 *
 * Every /api, /files and /events request needs the server's token, on loopback too: any
 * other user of the machine can reach 127.0.0.1.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { CoreError, LIMITS } from '../api/contract.js';
import type { Logger, Service } from '../api/service-types.js';
import { ROUTES } from '../api/wire.js';
import { isApiMethod } from '../api/validate.js';
import { dispatch } from '../host/dispatch.js';
import { httpStatusFor, toWireError } from '../host/errors.js';
import { forwardEvents, type EventMessage } from '../host/events.js';
import { createImageServer, parseThumbnailSize, type BrowserImage } from '../host/images.js';
import { findStaticFile } from '../host/static-assets.js';
import { createBodyBudget, readBody } from './body.js';
import { createUploadStore, type UploadLimits, type UploadStore } from '../core/dataset/upload.js';
import { handleTransfer, isTransferRoute } from './transfer.js';
import {
  COMMON_HEADERS,
  bearerToken,
  checkToken,
  contentSecurityPolicy,
  generateToken,
  hostPort,
  isLoopbackHost,
  isOriginAllowed,
  isWellFormedHostHeader,
  loopbackHostHeaders,
  tokensEqual,
} from './security.js';

/** Options of `createServer`. */
export type ServerOptions = {
  service: Service;
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 (a free port chosen by the OS). */
  port?: number;
  /**
   * Shared secret clients must present (`Authorization: Bearer <token>`, or `?token=` for
   * images and the WebSocket), on every address. Generated at random (256 bits) when not given.
   */
  token?: string;
  /** The built renderer (`dist/renderer`); without it only the API is served. */
  staticDir?: string;
  /** Largest accepted request body in bytes; default `LIMITS.imageBase64Chars` + 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Bytes of request bodies held at once, all requests together (being received or being
   * handled); default `DEFAULT_MAX_CONCURRENT_BODY_BYTES`. Past it a request is answered BUSY.
   */
  maxConcurrentBodyBytes?: number;
  /** Where unexpected errors go; default stderr. */
  logger?: Logger;
  /**
   * Folder where browser uploads of datasets are stored (`serve`: `<dataDir>/uploads`, which the
   * service lets clients read); without it the upload routes answer 404.
   */
  uploadsDir?: string;
  /** Limits of one upload; default `UPLOAD_LIMITS` (tests make them small). */
  uploadLimits?: Partial<UploadLimits>;
};

/** A listening server. */
export type RunningServer = {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** What a person opens in a browser: `<url>/#token=…`. */
  openUrl: string;
  port: number;
  /** The token clients must present. */
  token: string;
  /** Stops listening, closes WebSockets and open connections. Does not close the service. */
  close(): Promise<void>;
};

/** Default of `maxConcurrentBodyBytes`: about four of the largest uploads at once. */
export const DEFAULT_MAX_CONCURRENT_BODY_BYTES = 4 * (LIMITS.imageBase64Chars + 1024 * 1024);
/** The folder of the image routes (`/files`): anything else below it is 404, never the UI. */
const FILES_PREFIX = ROUTES.image.slice(0, ROUTES.image.lastIndexOf('/'));
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
 * Starts the HTTP + WebSocket server. Binds 127.0.0.1 by default. A token is always required
 * (one is generated when none is given; read it from the result or its `openUrl`).
 * @throws CoreError INVALID_ARGUMENT for a bad port or a weak token; Error when the port
 *   cannot be bound (EADDRINUSE, EACCES).
 */
export async function createServer(options: ServerOptions): Promise<RunningServer> {
  const { service } = options;
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? stderrLogger;
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.imageBase64Chars + 1024 * 1024;
  const bodies = createBodyBudget(options.maxConcurrentBodyBytes ?? DEFAULT_MAX_CONCURRENT_BODY_BYTES);
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new CoreError('INVALID_ARGUMENT', `The port must be a whole number from 0 to 65535; got ${String(options.port)}.`);
  }
  const loopback = isLoopbackHost(host);
  const token = options.token === undefined ? generateToken() : checkToken(options.token);
  const images = createImageServer({ access: service.access });
  const uploads: UploadStore | null = options.uploadsDir ? createUploadStore({ dir: options.uploadsDir, limits: options.uploadLimits }) : null;
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

  /** Anything thrown, as its wire error with the status of the one table. */
  const sendFailure = (res: http.ServerResponse, error: unknown, context: string, headers: Record<string, string>) => {
    const wire = toWireError(error, logger, context);
    sendJson(res, httpStatusFor(wire.code), { error: wire }, headers);
  };

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, name: string, headers: Record<string, string>) => {
    // An unknown route is answered before any of its body is read.
    if (!isApiMethod(name)) {
      sendError(res, 404, 'NOT_FOUND', `Unknown API method ${JSON.stringify(name.slice(0, 80))}.`, headers);
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'INVALID_ARGUMENT', `Use POST ${ROUTES.apiPrefix}${name} with a JSON body.`, { ...headers, Allow: 'POST' });
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== 'application/json') {
      sendError(res, 415, 'INVALID_ARGUMENT', 'Send the request with Content-Type: application/json.', headers);
      return;
    }
    let body;
    try {
      body = await readBody(req, maxBodyBytes, bodies);
    } catch (error) {
      sendFailure(res, error, `${ROUTES.apiPrefix}${name}`, headers);
      return;
    }
    try {
      let raw: unknown = {};
      if (body.bytes.length > 0) {
        try {
          raw = JSON.parse(body.bytes.toString('utf8'));
        } catch {
          sendError(res, 400, 'INVALID_ARGUMENT', `${name}: the request body is not valid JSON.`, headers);
          return;
        }
      }
      const reply = await dispatch(service, name, raw, logger);
      sendJson(res, 'error' in reply ? httpStatusFor(reply.error.code) : 200, reply, headers);
    } finally {
      // The body's bytes stay held until the call is done: the service may still use them.
      body.release();
    }
  };

  const sendImage = (req: http.IncomingMessage, res: http.ServerResponse, image: BrowserImage, headers: Record<string, string>) => {
    res.writeHead(200, { ...headers, 'Cache-Control': 'private, max-age=300', 'Content-Type': image.contentType, 'Content-Length': image.bytes.length });
    res.end(req.method === 'HEAD' ? undefined : image.bytes);
  };

  const handleFile = async (req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, query: URLSearchParams, headers: Record<string, string>) => {
    try {
      const path = query.get('path');
      if (path === null) throw new CoreError('INVALID_ARGUMENT', `Missing ?path=<absolute file path>.`);
      const image = rawPath === ROUTES.thumbnail ? await images.thumbnail(path, parseThumbnailSize(query.get('size'))) : await images.image(path);
      sendImage(req, res, image, headers);
    } catch (error) {
      sendFailure(res, error, rawPath, headers);
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
    const isApi = rawPath.startsWith(ROUTES.apiPrefix);
    const isFile = rawPath === ROUTES.image || rawPath === ROUTES.thumbnail;
    const isTransfer = isTransferRoute(rawPath);
    if (isApi || isFile || isTransfer || rawPath === ROUTES.events) {
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
    if (isApi) return handleApi(req, res, rawPath.slice(ROUTES.apiPrefix.length), headers);
    if (isTransfer) {
      return handleTransfer(req, res, rawPath, query, {
        service,
        uploads,
        logger,
        headers,
        sendJson: (status, body) => sendJson(res, status, body, headers),
        sendFailure: (error) => sendFailure(res, error, rawPath, headers),
      });
    }
    if (isFile) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendError(res, 405, 'INVALID_ARGUMENT', 'Use GET.', { ...headers, Allow: 'GET, HEAD' });
        return;
      }
      return handleFile(req, res, rawPath, query, headers);
    }
    if (rawPath === ROUTES.events) {
      sendError(res, 426, 'INVALID_ARGUMENT', `Connect to ${ROUTES.events} with a WebSocket.`, { ...headers, Upgrade: 'websocket' });
      return;
    }
    if (rawPath.startsWith(ROUTES.apiPrefix.slice(0, -1)) || rawPath.startsWith(FILES_PREFIX)) {
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
      if (!res.headersSent) sendFailure(res, error, (req.url ?? 'request').slice(0, 200), { ...COMMON_HEADERS });
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
    if (rawPath !== ROUTES.events) return rejectUpgrade(socket, 404, 'Not Found');
    if (!isOriginAllowed(req.headers.origin, hostHeader)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!isAuthorized(req, query, true)) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('error', () => ws.terminate());
      // Clients have nothing to say on this socket; incoming messages are ignored.
    });
  });

  const broadcast = (message: EventMessage) => {
    if (wss.clients.size === 0) return;
    let data: string;
    try {
      data = JSON.stringify(message);
    } catch (error) {
      logger.error(`event ${message.event} could not be serialised: ${String(error)}`);
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
  const unsubscribe = forwardEvents(service, broadcast);

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
  const openUrl = `${url}/#token=${encodeURIComponent(token)}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(heartbeat);
      await uploads?.close();
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
