import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src-main/api/contract.js';
import { HTTP_STATUS, httpStatusFor } from '../../src-main/server/errors.js';
import {
  bearerToken,
  checkRequestedPath,
  contentSecurityPolicy,
  isLoopbackHost,
  isOriginAllowed,
  isWellFormedHostHeader,
  loopbackHostHeaders,
  tokensEqual,
} from '../../src-main/server/security.js';
import { resolveStaticPath } from '../../src-main/server/static-files.js';

describe('status mapping', () => {
  it('gives every error code a status, with the documented ones', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
    expect(httpStatusFor('INVALID_ARGUMENT')).toBe(400);
    expect(httpStatusFor('UNAUTHORIZED')).toBe(401);
    expect(httpStatusFor('PATH_NOT_ALLOWED')).toBe(403);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('MODEL_NOT_FOUND')).toBe(404);
    expect(httpStatusFor('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusFor('BUSY')).toBe(409);
    expect(httpStatusFor('CANCELLED')).toBe(409);
    expect(httpStatusFor('INTERNAL')).toBe(500);
    expect(httpStatusFor('SOMETHING_NEW')).toBe(500);
    expect(httpStatusFor('__proto__')).toBe(500);
  });
});

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

describe('checkRequestedPath', () => {
  it('accepts absolute paths', () => {
    expect(checkRequestedPath('/data/cats/a.jpg', 'linux')).toBe('/data/cats/a.jpg');
    expect(checkRequestedPath('C:\\data\\a.jpg', 'win32')).toBe('C:\\data\\a.jpg');
    expect(checkRequestedPath('/data/..hidden/a..b.jpg', 'linux')).toBe('/data/..hidden/a..b.jpg');
  });

  it('rejects missing, relative, NUL, dot-dot, UNC and device paths', () => {
    const bad: [string | null, NodeJS.Platform][] = [
      [null, 'linux'],
      ['', 'linux'],
      ['a.jpg', 'linux'],
      ['./a.jpg', 'linux'],
      ['/data/a.jpg\0.png', 'linux'],
      ['/data/../etc/passwd', 'linux'],
      ['/data/cats/..', 'linux'],
      ['//server/share/a.jpg', 'linux'],
      ['\\\\server\\share\\a.jpg', 'win32'],
      ['\\\\?\\C:\\a.jpg', 'win32'],
      ['\\\\.\\PhysicalDrive0', 'win32'],
      ['C:a.jpg', 'win32'],
      ['\\a.jpg', 'win32'],
      ['C:\\data\\..\\Windows\\win.ini', 'win32'],
      ['/'.padEnd(5000, 'a'), 'linux'],
    ];
    for (const [value, platform] of bad) {
      expect(() => checkRequestedPath(value, platform), JSON.stringify(value)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
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
