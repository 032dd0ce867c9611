/**
 * The host's image server, as both hosts use it: the one path check (the same answer from the
 * Electron protocol and from serve), confinement by the real access policy, the pixel budget,
 * and the thumbnail cache following file changes.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageRouteUrl, imageSchemeUrl } from '../../src-main/api/wire.js';
import { createAccessPolicy } from '../../src-main/core/access/index.js';
import { createImageProtocolHandler } from '../../src-main/electron/protocol.js';
import { createImageServer, MAX_DECODE_PIXELS, parseThumbnailSize } from '../../src-main/host/images.js';
import { createServer, type RunningServer } from '../../src-main/server/index.js';
import { createFakeService } from '../server/fake-service.js';
import { authorizedClient } from '../server/http-client.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** A real 1 × 1 PNG whose header claims `width` × `height` pixels: only its header can be read. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000000' } }).png().toBuffer());
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

let tmp: string;
let dataset: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-host-images-'));
  dataset = path.join(tmp, 'dataset');
  await mkdir(path.join(dataset, 'cats'), { recursive: true });
  await sharp({ create: { width: 40, height: 20, channels: 3, background: '#ff0000' } }).png().toFile(path.join(dataset, 'cats', 'a.png'));
  await writeFile(path.join(dataset, 'cats', 'bomb.png'), await pngClaiming(30000, 30000));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('the one path check, for both hosts', () => {
  let server: RunningServer;
  let client: ReturnType<typeof authorizedClient>;
  const service = () => createFakeService({ allowedRoots: [dataset] });
  let protocol: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    protocol = createImageProtocolHandler({ service: service(), logger: quiet, platform: 'linux' });
    server = await createServer({ service: service(), logger: quiet });
    client = authorizedClient(server.url, server.token);
  });
  afterAll(async () => {
    await server.close();
  });

  // Every one of these names a file inside the opened dataset (or would, once normalised), so
  // only the lexical check can refuse them: the access policy alone would serve some.
  // Built when the test runs (the dataset folder does not exist when the table is read).
  const inside = (rest: string) => () => `${dataset}${rest}`;
  it.each([
    ['a NUL', inside('/cats/a.png\0.txt')],
    ['a newline', inside('/cats/a\n.png')],
    ['DEL', inside('/cats/a\u007f.png')],
    ['a dot-dot segment', inside('/cats/../cats/a.png')],
    ['a dot segment', inside('/cats/./a.png')],
    ['an encoded dot-dot', inside('/cats/%2e%2e/cats/a.png')],
    ['an encoded dot-dot in capitals', inside('/cats/%2E%2E/cats/a.png')],
    ['an encoded dot', inside('/cats/%2e/a.png')],
    ['a relative path', () => 'cats/a.png'],
    ['a UNC path', () => `/${inside('/cats/a.png')()}`],
    ['an empty path', () => ''],
    ['an over-long path', () => `${dataset}/${'a'.repeat(5000)}.png`],
  ])('refuses %s with 400 over rs-image:// and /files', async (_name, pathOf) => {
    const file = pathOf();
    expect(file.startsWith('undefined')).toBe(false);
    for (const thumbnailPx of [undefined, 64]) {
      const fromProtocol = await protocol(new Request(imageSchemeUrl(file, thumbnailPx)));
      const fromHttp = await client.request({ path: imageRouteUrl(file, thumbnailPx) });
      expect([fromProtocol.status, fromHttp.status]).toEqual([400, 400]);
      expect(fromHttp.json().error.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('serves the same file over both once the path is plain', async () => {
    const file = path.join(dataset, 'cats', 'a.png');
    const fromProtocol = await protocol(new Request(imageSchemeUrl(file)));
    const fromHttp = await client.request({ path: imageRouteUrl(file) });
    expect([fromProtocol.status, fromHttp.status]).toEqual([200, 200]);
    expect(Buffer.from(await fromProtocol.arrayBuffer()).equals(fromHttp.body)).toBe(true);
  });

  it.each([
    ['a UNC path', '\\\\server\\share\\a.jpg'],
    ['a device path', '\\\\?\\C:\\a.jpg'],
    ['a physical drive', '\\\\.\\PhysicalDrive0'],
    ['a drive-relative path', 'C:a.jpg'],
    ['a rooted path without drive', '\\a.jpg'],
    ['a dot-dot segment', 'C:\\data\\..\\Windows\\win.ini'],
    ['a device name', 'C:\\data\\CON'],
    ['a device name with an extension', 'C:\\data\\nul.jpg'],
    ['COM1', 'C:\\data\\COM1.png'],
    ['an alternate data stream', 'C:\\data\\a.jpg:hidden'],
  ])('refuses %s on Windows', async (_name, file) => {
    const images = createImageServer({ access: createAccessPolicy({ read: ['C:\\data'] }), platform: 'win32' });
    await expect(images.image(file)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(images.thumbnail(file, 64)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('createImageServer', () => {
  it('refuses an image claiming more pixels than it decodes, from its header alone', async () => {
    const images = createImageServer({ access: createAccessPolicy({ read: [dataset] }) });
    const file = path.join(dataset, 'cats', 'bomb.png');
    for (const attempt of [() => images.image(file), () => images.thumbnail(file, 64)]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining(`30000 × 30000 pixels, over the ${MAX_DECODE_PIXELS / 1e6} megapixels`) });
    }
  });

  it('makes a new thumbnail when the file changes, and reuses it otherwise', async () => {
    const images = createImageServer({ access: createAccessPolicy({ read: [dataset] }) });
    const file = path.join(dataset, 'cats', 'changing.png');
    const colourOf = async (jpeg: Buffer) => (await sharp(jpeg).stats()).channels.map((c) => Math.round(c.mean / 64));
    await sharp({ create: { width: 30, height: 30, channels: 3, background: '#ff0000' } }).png().toFile(file);
    const first = await images.thumbnail(file, 32);
    expect(await images.thumbnail(file, 32)).toBe(first);
    await sharp({ create: { width: 30, height: 30, channels: 3, background: '#0000ff' } }).png().toFile(file);
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const second = await images.thumbnail(file, 32);
    expect(await colourOf(first.bytes)).toEqual([4, 0, 0]);
    expect(await colourOf(second.bytes)).toEqual([0, 0, 4]);
  });

  it('reads the thumbnail size of a request within the shared bounds', () => {
    expect(parseThumbnailSize(null)).toBe(256);
    expect(parseThumbnailSize('16')).toBe(16);
    expect(parseThumbnailSize('1024')).toBe(1024);
    for (const bad of ['15', '1025', '', '1e2', '-5', '0x20', '32 ', '99999']) expect(() => parseThumbnailSize(bad), bad).toThrow(/Thumbnail size/);
  });
});
