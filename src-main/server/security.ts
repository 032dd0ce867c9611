/**
 * The request guards of `serve`: which Host and Origin headers are acceptable, the token
 * (generated, checked, compared) and the Content-Security-Policy. Pure functions (no
 * sockets), unit-tested on their own. Paths are checked by the host layer (core/access).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CoreError } from '../api/contract.js';

/** Shortest token accepted from the user (a generated one has 43 characters). */
export const MIN_TOKEN_CHARS = 16;

/** A new token: 32 random bytes (256 bits) from the OS's CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Returns `token` when it is acceptable: at least `MIN_TOKEN_CHARS` printable ASCII
 * characters without spaces (it travels in a header, a URL fragment and a query string).
 * @throws CoreError INVALID_ARGUMENT saying what is wrong.
 */
export function checkToken(token: string): string {
  if (token.length < MIN_TOKEN_CHARS || !/^[\x21-\x7e]+$/.test(token)) {
    throw new CoreError('INVALID_ARGUMENT', `The server token must be at least ${MIN_TOKEN_CHARS} printable ASCII characters without spaces; leave it out to get a random one.`);
  }
  return token;
}

/** True for addresses that only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** `host:port` as it appears in a URL (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${h}:${port}`;
}

/**
 * The Host headers a loopback-bound server accepts: its own address and the usual loopback
 * names, all with its port. Anything else is a DNS-rebinding attempt (a foreign name that
 * resolves to 127.0.0.1) and is refused.
 */
export function loopbackHostHeaders(bindHost: string, port: number): Set<string> {
  return new Set([bindHost, '127.0.0.1', 'localhost', '[::1]'].map((h) => hostPort(h, port).toLowerCase()));
}

const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** True when a Host header is syntactically a host[:port] (it is echoed into the CSP). */
export function isWellFormedHostHeader(host: string): boolean {
  return host.length <= 260 && HOST_HEADER.test(host);
}

/**
 * Whether a request's Origin header is acceptable. Browsers send Origin with every POST and
 * WebSocket handshake; when present it must be this server's own origin (`http://<Host>`).
 * A missing Origin means a non-browser client (curl, the CLI, tests), which CSRF cannot use.
 */
export function isOriginAllowed(origin: string | undefined, hostHeader: string): boolean {
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${hostHeader}`.toLowerCase();
}

/** Constant-time comparison of a presented token with the expected one. */
export function tokensEqual(presented: string | undefined | null, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token in an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The Content-Security-Policy of every page `serve` sends. `hostHeader` is the validated Host
 * the browser used, so the WebSocket at `ws://<host>/events` is the only extra connection allowed.
 */
export function contentSecurityPolicy(hostHeader: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    `connect-src 'self' ws://${hostHeader} wss://${hostHeader}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers sent with every response. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
