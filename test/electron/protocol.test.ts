import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP, APP_ORIGIN } from '../../src-main/electron/policy.js';
import {
  checkLocalPath,
  createAppProtocolHandler,
  createImageProtocolHandler,
  parseImageUrl,
  resolveAssetPath,
} from '../../src-main/electron/protocol.js';
import { createFakeService } from '../server/fake-service.js';

/** What src-renderer/lib/api.ts builds for a path. */
const imageUrl = (file: string, thumb?: number) => `rs-image://local/${encodeURIComponent(file)}${thumb ? `?thumb=${thumb}` : ''}`;

describe('checkLocalPath', () => {
  it('accepts absolute paths, including odd but legal names', () => {
    for (const p of ['/data/cats/a.jpg', '/data/100%.jpg', '/data/..hidden/a..b.jpg', '/data/%41.jpg', '/a b/ü.png']) {
      expect(checkLocalPath(p, 'linux'), p).toBe(p);
    }
    for (const p of ['C:\\data\\a.jpg', 'd:/photos/x.png', 'C:\\con-tents\\a.jpg']) expect(checkLocalPath(p, 'win32'), p).toBe(p);
  });

  it.each([
    ['', 'linux'],
    ['relative/a.jpg', 'linux'],
    ['a.jpg', 'linux'],
    ['~/a.jpg', 'linux'],
    ['/data/a.jpg\0.png', 'linux'],
    ['/data/a\nb.jpg', 'linux'],
    ['/data/../etc/passwd', 'linux'],
    ['/data/./a.jpg', 'linux'],
    ['/data/..', 'linux'],
    ['/data/%2e%2e/etc/passwd', 'linux'],
    ['/data/%2E%2E/etc/passwd', 'linux'],
    ['/data/%2e/a.jpg', 'linux'],
    ['//server/share/a.jpg', 'linux'],
    ['\\\\server\\share\\a.jpg', 'win32'],
    ['//server/share/a.jpg', 'win32'],
    ['\\\\?\\C:\\a.jpg', 'win32'],
    ['\\\\.\\PhysicalDrive0', 'win32'],
    ['C:a.jpg', 'win32'],
    ['\\a.jpg', 'win32'],
    ['/a.jpg', 'win32'],
    ['C:\\data\\..\\Windows\\win.ini', 'win32'],
    ['C:/data/../Windows/win.ini', 'win32'],
    ['C:\\data\\CON', 'win32'],
    ['C:\\data\\nul.jpg', 'win32'],
    ['C:\\data\\COM1.png', 'win32'],
    ['C:\\data\\a.jpg:hidden', 'win32'],
  ] as [string, NodeJS.Platform][])('rejects %j on %s', (value, platform) => {
    expect(() => checkLocalPath(value, platform)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('rejects non-strings and over-long paths', () => {
    expect(() => checkLocalPath(undefined, 'linux')).toThrow(/empty/);
    expect(() => checkLocalPath(42, 'linux')).toThrow(/empty/);
    expect(() => checkLocalPath(`/${'a'.repeat(5000)}`, 'linux')).toThrow(/longer/);
  });
});

describe('parseImageUrl', () => {
  it('decodes the renderer’s URL form', () => {
    expect(parseImageUrl(imageUrl('/data/cats/a b#1?.jpg'), 'linux')).toEqual({ file: '/data/cats/a b#1?.jpg' });
    expect(parseImageUrl(imageUrl('/data/cats/a.jpg', 160), 'linux')).toEqual({ file: '/data/cats/a.jpg', thumbnailPx: 160 });
    expect(parseImageUrl(imageUrl('C:\\data\\a.jpg'), 'win32')).toEqual({ file: 'C:\\data\\a.jpg' });
  });

  it.each([
    'rs-image://local/relative%2Fa.jpg',
    'rs-image://local/home/user/a.jpg',
    'rs-image://other/%2Fdata%2Fa.jpg',
    'rs-image://user:pw@local/%2Fdata%2Fa.jpg',
    'app://local/%2Fdata%2Fa.jpg',
    'file:///etc/passwd',
    'rs-image://local/%2Fdata%2F..%2F..%2Fetc%2Fpasswd',
    'rs-image://local/%2Fdata%2F%252e%252e%2Fetc%2Fpasswd',
    'rs-image://local/%2Fdata%2Fa.jpg%00.png',
    'rs-image://local/%2F%2Fserver%2Fshare%2Fa.jpg',
    'rs-image://local/%E0%A4%A',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=0',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=5000',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=1e2',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=-5',
    'not a url',
  ])('rejects %s', (url) => {
    expect(() => parseImageUrl(url, 'linux')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('resolveAssetPath', () => {
  const root = path.resolve('/opt/app/dist/renderer');
  it('maps app URLs into the renderer folder', () => {
    expect(resolveAssetPath(root, 'app://retrain-studio/')).toBe(path.join(root, 'index.html'));
    expect(resolveAssetPath(root, 'app://retrain-studio/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveAssetPath(root, 'app://retrain-studio/assets/index-abc.js?v=1#x')).toBe(path.join(root, 'assets', 'index-abc.js'));
  });

  it('keeps URL-level dot segments (resolved by the URL parser, as Chromium does) inside the folder', () => {
    expect(resolveAssetPath(root, 'app://retrain-studio/%2e%2e/%2e%2e/etc/passwd')).toBe(path.join(root, 'etc', 'passwd'));
    expect(resolveAssetPath(root, 'app://retrain-studio/../../etc/passwd')).toBe(path.join(root, 'etc', 'passwd'));
  });

  it.each([
    'app://retrain-studio/..%2f..%2fetc/passwd',
    'app://retrain-studio/assets/..%5c..%5cetc%5cpasswd',
    'app://retrain-studio/.env',
    'app://retrain-studio/assets//x.js',
    'app://retrain-studio/x%00.js',
    'app://retrain-studio/%zz',
    'app://evil/index.html',
    'rs-image://retrain-studio/index.html',
    'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(resolveAssetPath(root, url)).toBeNull();
  });
});

describe('protocol handlers', () => {
  let tmp: string;
  let rendererDir: string;
  let dataset: string;
  let outside: string;
  let png: Buffer;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-protocol-'));
    rendererDir = path.join(tmp, 'renderer');
    dataset = path.join(tmp, 'dataset');
    outside = path.join(tmp, 'outside');
    await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
    await mkdir(dataset, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Retrain Studio</title>');
    await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'export {}');
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    await symlink(path.join(outside, 'secret.txt'), path.join(rendererDir, 'assets', 'leak.js'));
    png = await sharp({ create: { width: 12, height: 8, channels: 3, background: '#3366ff' } }).png().toBuffer();
    await writeFile(path.join(dataset, 'a.png'), png);
    await writeFile(path.join(dataset, 'b.tiff'), await sharp(png).tiff().toBuffer());
    await writeFile(path.join(dataset, 'c.txt'), 'text');
    await writeFile(path.join(outside, 'o.png'), png);
    await symlink(path.join(outside, 'o.png'), path.join(dataset, 'link.png'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('serves the renderer with the CSP and nosniff', async () => {
    const handler = createAppProtocolHandler({ rendererDir });
    const res = await handler(new Request('app://retrain-studio/'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('<title>Retrain Studio</title>');
    const js = await handler(new Request('app://retrain-studio/assets/app.js'));
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
  });

  it('refuses traversal, missing files, symlinks out of the folder and other methods', async () => {
    const handler = createAppProtocolHandler({ rendererDir });
    for (const url of ['app://retrain-studio/assets/leak.js', 'app://retrain-studio/missing.js', 'app://retrain-studio/..%2foutside%2fsecret.txt', 'app://retrain-studio/assets/']) {
      const res = await handler(new Request(url));
      expect(res.status, url).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
    expect((await handler(new Request('app://retrain-studio/', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('serves allowed images with their real type, thumbnails as JPEG', async () => {
    const service = createFakeService({ allowedRoots: [dataset] });
    const handler = createImageProtocolHandler({ service, platform: 'linux' });
    const res = await handler(new Request(imageUrl(path.join(dataset, 'a.png'))));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    const thumb = await handler(new Request(imageUrl(path.join(dataset, 'a.png'), 24)));
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([24, 24]);
    const tiff = await handler(new Request(imageUrl(path.join(dataset, 'b.tiff'))));
    expect(tiff.headers.get('content-type')).toBe('image/jpeg');
  });

  it('answers 403 outside opened folders (also via symlink), 400 for bad URLs, 404/415 for missing or non-images', async () => {
    const service = createFakeService({ allowedRoots: [dataset] });
    const handler = createImageProtocolHandler({ service, platform: 'linux' });
    const status = async (url: string) => (await handler(new Request(url))).status;
    expect(await status(imageUrl(path.join(outside, 'o.png')))).toBe(403);
    expect(await status(imageUrl(path.join(dataset, 'link.png')))).toBe(403);
    expect(await status(imageUrl('/etc/passwd'))).toBe(403);
    expect(await status(imageUrl(`${dataset}/../outside/o.png`))).toBe(400);
    expect(await status(imageUrl('relative.png'))).toBe(400);
    expect(await status(imageUrl(path.join(dataset, 'gone.png')))).toBe(404);
    expect(await status(imageUrl(path.join(dataset, 'c.txt')))).toBe(415);
    expect(await status(imageUrl(dataset))).toBe(404);
    // Nothing outside reached the service's thumbnailer or the disk.
    expect(service.calls).toEqual([]);
  });
});
