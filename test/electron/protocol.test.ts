import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP, APP_ORIGIN } from '../../src-main/electron/policy.js';
import { imageSchemeUrl } from '../../src-main/api/wire.js';
import { createAppProtocolHandler, createImageProtocolHandler, parseImageUrl } from '../../src-main/electron/protocol.js';
import { createFakeService } from '../server/fake-service.js';

const imageUrl = imageSchemeUrl;

describe('parseImageUrl', () => {
  it('decodes the renderer’s URL form (imageSchemeUrl)', () => {
    expect(parseImageUrl(imageSchemeUrl('/data/cats/a b#1?.jpg'))).toEqual({ file: '/data/cats/a b#1?.jpg' });
    expect(parseImageUrl(imageSchemeUrl('/data/cats/a.jpg', 160))).toEqual({ file: '/data/cats/a.jpg', thumbnailPx: 160 });
    expect(parseImageUrl(imageSchemeUrl('C:\\data\\a.jpg'))).toEqual({ file: 'C:\\data\\a.jpg' });
  });

  it.each([
    'rs-image://other/%2Fdata%2Fa.jpg',
    'rs-image://user:pw@local/%2Fdata%2Fa.jpg',
    'app://local/%2Fdata%2Fa.jpg',
    'file:///etc/passwd',
    'rs-image://local/%E0%A4%A',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=0',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=5000',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=1e2',
    'rs-image://local/%2Fdata%2Fa.jpg?thumb=-5',
    'not a url',
  ])('rejects %s', (url) => {
    expect(() => parseImageUrl(url)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
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

  it('refuses traversal, dotfiles, missing files, symlinks out of the folder, other hosts and other methods', async () => {
    const handler = createAppProtocolHandler({ rendererDir });
    await writeFile(path.join(rendererDir, '.env'), 'secret=1');
    for (const url of [
      'app://retrain-studio/assets/leak.js',
      'app://retrain-studio/missing.js',
      'app://retrain-studio/..%2foutside%2fsecret.txt',
      'app://retrain-studio/..%2f..%2fetc/passwd',
      // URL-level dot segments are resolved by the URL parser (as Chromium does): still inside.
      'app://retrain-studio/%2e%2e/%2e%2e/etc/passwd',
      'app://retrain-studio/../../etc/passwd',
      'app://retrain-studio/assets/..%5c..%5coutside%5csecret.txt',
      'app://retrain-studio/.env',
      'app://retrain-studio/assets//app.js',
      'app://retrain-studio/x%00.js',
      'app://retrain-studio/%zz',
      'app://retrain-studio/assets/',
      'app://evil/index.html',
      'rs-image://retrain-studio/index.html',
    ]) {
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

  it('answers 403 outside opened folders (also via symlink), 400 for bad URLs, 404/422 for missing or non-images', async () => {
    const service = createFakeService({ allowedRoots: [dataset] });
    const handler = createImageProtocolHandler({ service, platform: 'linux' });
    const status = async (url: string) => (await handler(new Request(url))).status;
    expect(await status(imageUrl(path.join(outside, 'o.png')))).toBe(403);
    expect(await status(imageUrl(path.join(dataset, 'link.png')))).toBe(403);
    expect(await status(imageUrl('/etc/passwd'))).toBe(403);
    expect(await status(imageUrl(`${dataset}/../outside/o.png`))).toBe(400);
    expect(await status(imageUrl('relative.png'))).toBe(400);
    expect(await status(imageUrl(path.join(dataset, 'gone.png')))).toBe(404);
    // The one status table (host/errors.ts): the same as serve's.
    expect(await status(imageUrl(path.join(dataset, 'c.txt')))).toBe(422);
    expect(await status(imageUrl(dataset))).toBe(403);
    expect(service.calls).toEqual([]);
  });

  it('refuses a FIFO named x.jpg without blocking, many times at once', async () => {
    const fifo = path.join(dataset, 'x.jpg');
    execFileSync('mkfifo', [fifo]);
    const handler = createImageProtocolHandler({ service: createFakeService({ allowedRoots: [dataset] }), platform: 'linux' });
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => handler(new Request(imageUrl(fifo, i % 2 ? 64 : undefined)))));
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(403));
    expect(await replies[0].text()).toContain('not a regular file');
    // The thread pool is free: a file read still completes.
    expect((await readFile(path.join(dataset, 'a.png'))).equals(png)).toBe(true);
  });
});
