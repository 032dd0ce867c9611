import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  checkToken,
  contentSecurityPolicy,
  generateToken,
  MIN_TOKEN_CHARS,
  isLoopbackHost,
  isOriginAllowed,
  isWellFormedHostHeader,
  loopbackHostHeaders,
  tokensEqual,
} from '../../src-main/server/security.js';
import { resolveStaticPath } from '../../src-main/host/static-assets.js';

describe('host and origin guards', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '127.0.0.1.evil.com']) expect(isLoopbackHost(host), host).toBe(false);
  });

  it('accepts only this server as Host on loopback', () => {
    const allowed = loopbackHostHeaders('127.0.0.1', 4321);
    expect([...allowed].sort()).toEqual(['127.0.0.1:4321', '[::1]:4321', 'localhost:4321']);
    expect(loopbackHostHeaders('::1', 80).has('[::1]:80')).toBe(true);
  });

  it('checks Host syntax (it is echoed into the CSP)', () => {
    for (const host of ['a.b:1', 'studio.lan', '[::1]:80', '10.0.0.2:8080']) expect(isWellFormedHostHeader(host), host).toBe(true);
    for (const host of ['', 'a b', "x'; script-src *", 'a/b', 'a:1:2x', 'x'.repeat(300)]) expect(isWellFormedHostHeader(host), host).toBe(false);
  });

  it('allows a missing Origin or the own origin only', () => {
    expect(isOriginAllowed(undefined, '127.0.0.1:5')).toBe(true);
    expect(isOriginAllowed('http://127.0.0.1:5', '127.0.0.1:5')).toBe(true);
    expect(isOriginAllowed('HTTP://LOCALHOST:5', 'localhost:5')).toBe(true);
    expect(isOriginAllowed('http://127.0.0.1:6', '127.0.0.1:5')).toBe(false);
    expect(isOriginAllowed('https://127.0.0.1:5', '127.0.0.1:5')).toBe(false);
    expect(isOriginAllowed('null', '127.0.0.1:5')).toBe(false);
  });

  it('compares tokens exactly', () => {
    expect(tokensEqual('abcdefgh', 'abcdefgh')).toBe(true);
    expect(tokensEqual('abcdefg', 'abcdefgh')).toBe(false);
    expect(tokensEqual('', 'abcdefgh')).toBe(false);
    expect(tokensEqual(undefined, 'abcdefgh')).toBe(false);
    expect(tokensEqual(null, 'abcdefgh')).toBe(false);
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('builds a CSP that allows only this server', () => {
    const csp = contentSecurityPolicy('127.0.0.1:9');
    expect(csp).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:9 wss://127.0.0.1:9; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});

describe('tokens', () => {
  it('generates 256-bit random tokens, never the same twice', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => generateToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
  });

  it('accepts a user token of at least 16 printable characters only', () => {
    expect(checkToken('a'.repeat(MIN_TOKEN_CHARS))).toBe('a'.repeat(MIN_TOKEN_CHARS));
    for (const bad of ['a'.repeat(MIN_TOKEN_CHARS - 1), 'sixteen chars xx', 'sixteen-chars-x\n', 'ünïcödé-0123456789', '']) {
      expect(() => checkToken(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('resolveStaticPath', () => {
  const root = path.resolve('/srv/renderer');
  it('maps URL paths under the root', () => {
    expect(resolveStaticPath(root, '/')).toBe(path.join(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toBe(path.join(root, 'assets', 'a b.js'));
  });

  it('refuses traversal in every spelling', () => {
    for (const p of ['/../x', '/..%2fx', '/%2e%2e/x', '/%2E%2E%2Fx', '/a/./b', '/a//b', '/.git/config', '/a\\..\\b', '/a%5c..%5cb', '/x%00', '/%zz', 'relative']) {
      expect(resolveStaticPath(root, p), p).toBeNull();
    }
  });
});
