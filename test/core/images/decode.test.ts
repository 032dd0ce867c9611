import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import {
  decodeImage,
  hasDistortion,
  makeThumbnail,
  probeImage,
  type DecodedImage,
  type Distortion,
  type PreprocessSpec,
} from '../../../src-main/core/images/index.js';
import { BLUE, formatFixtures, makeTempDir, RED, solid, truncatedJpeg, twoColour, writeFiles } from './fixtures.js';

const spec = (heightPx: number, widthPx: number, crop: 'center' | 'squash', min = 0, max = 255): PreprocessSpec => ({
  heightPx,
  widthPx,
  crop,
  normalization: { kind: 'range', min, max },
});

/** [r, g, b] at (row, column). */
const pixel = (image: DecodedImage, row: number, column: number): number[] => {
  const i = (row * image.widthPx + column) * 3;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
};

const noDistortion: Distortion = { flipLeftRight: false, randomCropPercent: 0, randomScalePercent: 0, randomBrightnessPercent: 0 };

let dir: string;
let cleanup: () => Promise<void>;
const file = (name: string): string => path.join(dir, name);

async function expectUnreadable(promise: Promise<unknown>, skipCode: string, ...fragments: string[]): Promise<CoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CoreError);
  const coreError = error as CoreError;
  expect(coreError.code).toBe('IMAGE_UNREADABLE');
  expect(coreError.details?.skipCode).toBe(skipCode);
  for (const fragment of fragments) expect(coreError.message).toContain(fragment);
  return coreError;
}

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('decode'));
  const fixtures = await formatFixtures();
  await writeFiles(dir, Object.fromEntries(Object.entries(fixtures).map(([name, f]) => [name, f.bytes])));
  await writeFiles(dir, {
    'red.png': await solid(10, 10, RED).png().toBuffer(),
    // left quarter red, rest blue
    'quarter.png': await twoColour(200, 100, 50, RED, BLUE).png().toBuffer(),
    // wide image, left half red; EXIF orientation 6 = rotate 90° clockwise to display
    'rotated.jpg': await twoColour(80, 40, 40, RED, BLUE).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
    'gradient.png': await sharp(
      Buffer.from(Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 7) % 256)),
      { raw: { width: 64, height: 48, channels: 3 } },
    ).png().toBuffer(),
    'empty.jpg': Buffer.alloc(0),
    'text.jpg': 'this is a text file pretending to be a JPEG\n',
    'truncated.jpg': await truncatedJpeg(),
    'truncated.png': (await twoColour(64, 48, 20, RED, BLUE).png().toBuffer()).subarray(0, 60),
    'fake.bmp': Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]),
    'drawing.jpg': '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>',
  });
});

afterAll(async () => {
  await cleanup();
});

describe('decodeImage normalisation', () => {
  it('maps a solid red image exactly onto the range ends', async () => {
    const minusOneToOne = await decodeImage(file('red.png'), spec(4, 4, 'center', -1, 1));
    expect(minusOneToOne.data.length).toBe(4 * 4 * 3);
    for (let i = 0; i < minusOneToOne.data.length; i += 3) {
      expect([minusOneToOne.data[i], minusOneToOne.data[i + 1], minusOneToOne.data[i + 2]]).toEqual([1, -1, -1]);
    }
    const zeroToOne = await decodeImage(file('red.png'), spec(2, 3, 'squash', 0, 1));
    expect([zeroToOne.heightPx, zeroToOne.widthPx]).toEqual([2, 3]);
    expect(Array.from(zeroToOne.data)).toEqual(Array.from({ length: 6 }, () => [1, 0, 0]).flat());
  });

  it('applies mean/std per channel', async () => {
    const image = await decodeImage(file('red.png'), {
      heightPx: 2,
      widthPx: 2,
      crop: 'center',
      normalization: { kind: 'meanStd', mean: [127.5, 100, 0], std: [127.5, 50, 2] },
    });
    expect(pixel(image, 1, 1)).toEqual([1, -2, 0]);
  });

  it('gives grey 128 exactly 128/255 in [0, 1]', async () => {
    const image = await decodeImage(file('grey.png'), spec(4, 4, 'squash', 0, 1));
    expect(pixel(image, 2, 2)).toEqual([Math.fround(128 / 255), Math.fround(128 / 255), Math.fround(128 / 255)]);
  });
});

describe('decodeImage geometry', () => {
  it("'center' crops the middle square; 'squash' keeps the whole width", async () => {
    const center = await decodeImage(file('quarter.png'), spec(10, 10, 'center', 0, 1));
    const squash = await decodeImage(file('quarter.png'), spec(10, 10, 'squash', 0, 1));
    // The centre square (x 50..149) is blue; the resampling kernel reads a little red at its left edge.
    for (const column of [3, 5, 9]) expect(pixel(center, 5, column)).toEqual([0, 0, 1]);
    expect(pixel(center, 5, 0)[0]).toBeLessThan(0.1);
    expect(pixel(center, 5, 0)[2]).toBeGreaterThan(0.9);
    // Squashed, the red quarter fills columns 0-1 of 10.
    expect(pixel(squash, 5, 0)[0]).toBeGreaterThan(0.95);
    expect(pixel(squash, 5, 0)[2]).toBeLessThan(0.05);
    expect(pixel(squash, 5, 1)[0]).toBeGreaterThan(0.9);
    expect(pixel(squash, 5, 5)[0]).toBeLessThan(0.1); // Lanczos ringing reaches a little way
    expect(pixel(squash, 5, 9)).toEqual([0, 0, 1]);
  });

  it('applies EXIF orientation (left edge of the stored image ends up on top)', async () => {
    const image = await decodeImage(file('rotated.jpg'), spec(8, 4, 'squash', 0, 255));
    const top = pixel(image, 0, 2);
    const bottom = pixel(image, 7, 2);
    expect(top[0]).toBeGreaterThan(230);
    expect(top[2]).toBeLessThan(25);
    expect(bottom[0]).toBeLessThan(25);
    expect(bottom[2]).toBeGreaterThan(230);
  });

  it('reuses an output array of the right size', async () => {
    const output = new Float32Array(3 * 3 * 3);
    const image = await decodeImage(file('red.png'), spec(3, 3, 'center', 0, 1), { output });
    expect(image.data).toBe(output);
    expect(output[0]).toBe(1);
    const other = await decodeImage(file('red.png'), spec(2, 2, 'center', 0, 1), { output });
    expect(other.data).not.toBe(output);
    expect(other.data.length).toBe(12);
  });

  it('decodes bytes in memory like the file', async () => {
    const { readFile } = await import('node:fs/promises');
    const fromFile = await decodeImage(file('gradient.png'), spec(7, 5, 'center', -1, 1));
    const fromBytes = await decodeImage(new Uint8Array(await readFile(file('gradient.png'))), spec(7, 5, 'center', -1, 1));
    expect(Buffer.from(fromBytes.data.buffer).equals(Buffer.from(fromFile.data.buffer))).toBe(true);
  });
});

describe('decodeImage formats', () => {
  it('decodes every supported format to sRGB (alpha on white, grey and CMYK expanded, first GIF frame)', async () => {
    const fixtures = await formatFixtures();
    const failures: string[] = [];
    for (const [name, fixture] of Object.entries(fixtures)) {
      const image = await decodeImage(file(name), spec(4, 4, 'squash', 0, 255));
      const actual = pixel(image, 2, 2);
      const expected = [fixture.expect.r, fixture.expect.g, fixture.expect.b];
      // Lossy JPEG and the CMYK round trip move colours a little.
      const tolerance = name === 'cmyk.jpg' ? 30 : name.endsWith('.jpg') ? 6 : 1;
      if (actual.some((v, c) => Math.abs(v - expected[c]) > tolerance)) failures.push(`${name}: got ${actual.join(',')}, want ${expected.join(',')}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('decodeImage errors', () => {
  it('names the file and the reason', async () => {
    await expectUnreadable(decodeImage(file('empty.jpg'), spec(4, 4, 'center')), 'EMPTY_FILE', 'empty.jpg', 'empty (0 bytes)');
    await expectUnreadable(decodeImage(file('text.jpg'), spec(4, 4, 'center')), 'NOT_IMAGE', 'text.jpg', 'not an image');
    await expectUnreadable(decodeImage(file('truncated.jpg'), spec(4, 4, 'center')), 'CORRUPT', 'truncated.jpg', 'truncated or corrupt');
    await expectUnreadable(decodeImage(file('truncated.png'), spec(4, 4, 'center')), 'CORRUPT', 'truncated.png', 'PNG');
    await expectUnreadable(decodeImage(file('fake.bmp'), spec(4, 4, 'center')), 'NOT_IMAGE', 'BMP', 'not supported');
    await expectUnreadable(decodeImage(file('drawing.jpg'), spec(4, 4, 'center')), 'NOT_IMAGE', 'SVG');
    await expectUnreadable(decodeImage(file('missing.jpg'), spec(4, 4, 'center')), 'UNREADABLE', 'missing.jpg', 'does not exist');
    await expectUnreadable(decodeImage(Buffer.alloc(0), spec(4, 4, 'center'), { sourceName: 'upload-7' }), 'EMPTY_FILE', 'upload-7:');
  });

  it('rejects a bad spec with INVALID_ARGUMENT', async () => {
    await expect(decodeImage(file('red.png'), spec(0, 4, 'center'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(decodeImage(file('red.png'), spec(4, 4, 'center', 1, 1))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('decodeImage distortions', () => {
  const s = spec(16, 16, 'squash', 0, 255);
  const bytesOf = (image: DecodedImage): Buffer => Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);

  it('hasDistortion is false only when everything is off', () => {
    expect(hasDistortion(undefined)).toBe(false);
    expect(hasDistortion(noDistortion)).toBe(false);
    expect(hasDistortion({ ...noDistortion, flipLeftRight: true })).toBe(true);
    expect(hasDistortion({ ...noDistortion, randomBrightnessPercent: 5 })).toBe(true);
  });

  it('is deterministic for a seed and varies across seeds', async () => {
    const distortion: Distortion = { flipLeftRight: true, randomCropPercent: 20, randomScalePercent: 30, randomBrightnessPercent: 20 };
    const a = await decodeImage(file('gradient.png'), s, { distortion, seed: 42 });
    const b = await decodeImage(file('gradient.png'), s, { distortion, seed: 42 });
    expect(bytesOf(a).equals(bytesOf(b))).toBe(true);
    const others = await Promise.all([1, 2, 3].map((seed) => decodeImage(file('gradient.png'), s, { distortion, seed })));
    for (const other of others) expect(bytesOf(other).equals(bytesOf(a))).toBe(false);
    expect(a.data.length).toBe(16 * 16 * 3);
  });

  it('all-off distortion equals plain decoding', async () => {
    const plain = await decodeImage(file('gradient.png'), s);
    const off = await decodeImage(file('gradient.png'), s, { distortion: noDistortion, seed: 3 });
    expect(bytesOf(off).equals(bytesOf(plain))).toBe(true);
  });

  it('flip mirrors the image for about half the seeds', async () => {
    const image = twoColour(32, 32, 8, RED, BLUE);
    await writeFile(file('left-red.png'), await image.png().toBuffer());
    let flipped = 0;
    for (let seed = 0; seed < 12; seed++) {
      const out = await decodeImage(file('left-red.png'), s, { distortion: { ...noDistortion, flipLeftRight: true }, seed });
      const left = pixel(out, 8, 0), right = pixel(out, 8, 15);
      const isFlipped = right[0] > 200 && left[2] > 200;
      const isPlain = left[0] > 200 && right[2] > 200;
      expect(isFlipped !== isPlain).toBe(true);
      if (isFlipped) flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(12);
  });

  it('brightness multiplies pixel values by a factor within the percentage', async () => {
    await writeFile(file('grey100.png'), await solid(8, 8, { r: 100, g: 100, b: 100 }).png().toBuffer());
    const factors = new Set<number>();
    for (let seed = 0; seed < 6; seed++) {
      const out = await decodeImage(file('grey100.png'), spec(4, 4, 'center', 0, 255), {
        distortion: { ...noDistortion, randomBrightnessPercent: 10 },
        seed,
      });
      const value = out.data[0];
      expect(value).toBeGreaterThanOrEqual(90 - 1e-3);
      expect(value).toBeLessThanOrEqual(110 + 1e-3);
      for (const v of out.data) expect(v).toBeCloseTo(value, 4);
      factors.add(Math.round(value * 1000));
    }
    expect(factors.size).toBeGreaterThan(3);
  });

  it('crop and scale take an input-sized window of an enlarged image', async () => {
    // Left quarter red: after a 50% margin and a random crop the red column count varies by seed,
    // but the output size is always the input size.
    const counts = new Set<number>();
    for (let seed = 0; seed < 8; seed++) {
      const out = await decodeImage(file('quarter.png'), s, { distortion: { ...noDistortion, randomCropPercent: 50, randomScalePercent: 20 }, seed });
      expect(out.data.length).toBe(16 * 16 * 3);
      let red = 0;
      for (let x = 0; x < 16; x++) if (pixel(out, 8, x)[0] > 128) red++;
      counts.add(red);
    }
    expect(counts.size).toBeGreaterThan(1);
  });

  it('rejects out-of-range percentages', async () => {
    await expect(
      decodeImage(file('red.png'), s, { distortion: { ...noDistortion, randomCropPercent: -5 } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('probeImage', () => {
  it('reports format and oriented size of good files', async () => {
    expect(await probeImage(file('rotated.jpg'))).toMatchObject({ ok: true, format: 'jpeg', widthPx: 40, heightPx: 80 });
    expect(await probeImage(file('solid.avif'))).toMatchObject({ ok: true, format: 'avif', widthPx: 16, heightPx: 16 });
    expect(await probeImage(file('animated.gif'))).toMatchObject({ ok: true, format: 'gif', widthPx: 16, heightPx: 16 });
    const probe = await probeImage(file('quarter.png'));
    expect(probe.ok && probe.bytes).toBeGreaterThan(0);
  });

  it('classifies bad files without throwing', async () => {
    expect(await probeImage(file('empty.jpg'))).toMatchObject({ ok: false, code: 'EMPTY_FILE' });
    expect(await probeImage(file('text.jpg'))).toMatchObject({ ok: false, code: 'NOT_IMAGE' });
    expect(await probeImage(file('truncated.jpg'))).toMatchObject({ ok: false, code: 'CORRUPT' });
    expect(await probeImage(file('truncated.png'))).toMatchObject({ ok: false, code: 'CORRUPT' });
    expect(await probeImage(file('missing.jpg'))).toMatchObject({ ok: false, code: 'UNREADABLE' });
  });
});

describe('makeThumbnail', () => {
  it('makes an oriented square JPEG', async () => {
    const thumbnail = await makeThumbnail(file('rotated.jpg'), 16);
    expect([thumbnail[0], thumbnail[1]]).toEqual([0xff, 0xd8]);
    const { data, info } = await sharp(thumbnail).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([16, 16]);
    expect(data[(1 * 16 + 8) * 3]).toBeGreaterThan(200); // top: red
    expect(data[(14 * 16 + 8) * 3 + 2]).toBeGreaterThan(200); // bottom: blue
    await expect(makeThumbnail(file('text.jpg'), 16)).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE' });
  });
});
