/**
 * Decoding, probing and thumbnailing files that must not be read: FIFOs and devices (which
 * would block a thread-pool thread forever), files of 2 GiB or more (one `read` of that size
 * aborts Node), files over the size cap, and images over the pixel limit. All fail at once
 * with a classified IMAGE_UNREADABLE, and the process lives on.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { decodeImage, makeThumbnail, probeImage, readImageFile, type PreprocessSpec } from '../../../src-main/core/images/index.js';
import { makeTempDir, RED, solid } from './fixtures.js';

const spec: PreprocessSpec = { heightPx: 4, widthPx: 4, crop: 'center', normalization: { kind: 'range', min: 0, max: 1 } };
const canMkfifo = process.platform !== 'win32';

let dir: string;
let cleanup: () => Promise<void>;
const file = (name: string): string => path.join(dir, name);
const fifos: string[] = [];

/**
 * Opens the write end without blocking: a reader wrongly stuck in open() is released (and then
 * reads an empty file), so a regression fails its assertions instead of hanging the run.
 */
function releaseFifo(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // No reader waiting (ENXIO): nothing to release.
  }
}

/** A PNG whose header claims `width` × `height` pixels, with a token of pixel data. */
function pngHeader(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100))), chunk('IEND', Buffer.alloc(0))]);
}

async function failure(promise: Promise<unknown>): Promise<CoreError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(CoreError);
  return error as CoreError;
}

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('hostile'));
  const jpeg = await solid(8, 8, RED).jpeg().toBuffer();
  if (canMkfifo) {
    for (const name of ['x.jpg', 'y.png']) {
      execFileSync('mkfifo', [file(name)]);
      fifos.push(file(name));
    }
    await symlink('x.jpg', file('link-to-fifo.jpg'));
  }
  // 2.1 GiB that starts like a JPEG: sparse, so it costs no disk.
  await writeFile(file('huge.jpg'), jpeg);
  await truncate(file('huge.jpg'), Math.floor(2.1 * 1024 ** 3));
  // Big but not an image: reported as what it is, not as too large.
  await writeFile(file('video.jpg'), Buffer.from('not an image at all'));
  await truncate(file('video.jpg'), 300 * 1024 * 1024);
  await writeFile(file('small.jpg'), jpeg);
  await writeFile(file('giant.png'), pngHeader(20000, 20000));
});

afterAll(async () => {
  for (const fifo of fifos) releaseFifo(fifo);
  await cleanup();
});

describe.skipIf(!canMkfifo)('FIFOs and devices are refused without being opened', () => {
  // A watchdog, not a timing assert: it only unsticks a wrongly blocked open.
  let watchdog: NodeJS.Timeout;
  beforeEach(() => {
    watchdog = setInterval(() => fifos.forEach(releaseFifo), 1000);
  });
  afterEach(() => clearInterval(watchdog));

  it('decodeImage, makeThumbnail and probeImage fail fast on a FIFO named x.jpg, naming it and what it is', async () => {
    for (const target of [file('x.jpg'), file('link-to-fifo.jpg')]) {
      const decode = await failure(decodeImage(target, spec));
      expect(decode.code).toBe('IMAGE_UNREADABLE');
      expect(decode.details?.skipCode).toBe('SPECIAL_FILE');
      expect(decode.message).toContain(target);
      expect(decode.message).toContain('named pipe (FIFO)');
      expect(decode.message).toContain('Remove it');
      const thumbnail = await failure(makeThumbnail(target, 32));
      expect(thumbnail.details?.skipCode).toBe('SPECIAL_FILE');
    }
    expect(await probeImage(file('y.png'))).toMatchObject({ ok: false, code: 'SPECIAL_FILE' });
  });

  it('many reads of FIFOs at once leave the thread pool free for other work', async () => {
    // libuv has 4 threads by default: 16 blocked opens would starve every later fs call.
    const attempts = Array.from({ length: 16 }, (_, i) => decodeImage(file(i % 2 ? 'x.jpg' : 'y.png'), spec).catch((e: unknown) => e));
    const results = await Promise.all(attempts);
    expect(results.every((e) => e instanceof CoreError && e.details?.skipCode === 'SPECIAL_FILE')).toBe(true);
    await expect(decodeImage(file('small.jpg'), spec)).resolves.toMatchObject({ heightPx: 4 });
  });

  it('a device is refused too', async () => {
    const error = await failure(decodeImage('/dev/zero', spec));
    expect(error.details?.skipCode).toBe('SPECIAL_FILE');
    expect(error.message).toContain('a device');
  });
});

describe('size and pixel limits', () => {
  it('a 2.1 GiB file with JPEG magic is TOO_LARGE, not a process abort', async () => {
    const error = await failure(decodeImage(file('huge.jpg'), spec));
    expect(error.details?.skipCode).toBe('TOO_LARGE');
    expect(error.message).toMatch(/huge\.jpg: it is 2150\.4 MiB, over the 256\.0 MiB limit/);
    expect(await probeImage(file('huge.jpg'))).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    expect((await failure(makeThumbnail(file('huge.jpg'), 32))).details?.skipCode).toBe('TOO_LARGE');
  });

  it('a big file without image magic is NOT_IMAGE; the cap is configurable', async () => {
    expect(await probeImage(file('video.jpg'))).toMatchObject({ ok: false, code: 'NOT_IMAGE' });
    await expect(decodeImage(file('small.jpg'), spec)).resolves.toMatchObject({ widthPx: 4 });
    const capped = await failure(decodeImage(file('small.jpg'), spec, { maxBytes: 100 }));
    expect(capped.details?.skipCode).toBe('TOO_LARGE');
    expect(await probeImage(file('small.jpg'), 100)).toMatchObject({ ok: false, code: 'TOO_LARGE' });
  });

  it('an image over the pixel limit is TOO_LARGE before any pixel is decoded', async () => {
    const error = await failure(decodeImage(file('giant.png'), spec));
    expect(error.details?.skipCode).toBe('TOO_LARGE');
    expect(error.message).toContain('too many pixels');
    expect(await probeImage(file('giant.png'))).toMatchObject({ ok: false, code: 'TOO_LARGE' });
  });

  it('readImageFile hashes while reading, in chunks', async () => {
    const { createHash } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const read = await readImageFile(file('small.jpg'), { hash: true });
    expect(read.ok && read.sha256).toBe(createHash('sha256').update(await readFile(file('small.jpg'))).digest('hex'));
    const outside = await readImageFile(file('small.jpg'), { within: path.join(dir, 'elsewhere') });
    expect(outside).toMatchObject({ ok: false, problem: { code: 'LINK_OUTSIDE' } });
  });
});
