/**
 * The scan checks headers and end markers, not pixels: a cut-off JPEG/PNG is still skipped at
 * scan time, and damage the check cannot see (a progressive JPEG with a broken later scan) is
 * reported by the bottleneck decode, which skips that image and names it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBottlenecks, createBottleneckCache } from '../../../src-main/core/bottlenecks/index.js';
import { scanDataset, type Dataset } from '../../../src-main/core/dataset/index.js';
import { endsComplete, probeBytes } from '../../../src-main/core/images/index.js';
import { BLUE, makeTempDir, RED, solid, twoColour } from '../images/fixtures.js';
import { fakeExtractor } from '../bottlenecks/pipeline-fixtures.js';

let tmp: string;
let cleanup: () => Promise<void>;
let dataset: Dataset;
let root: string;

/** A 96×96 noise JPEG (its pixel data is most of the file). */
async function noisyJpeg(progressive: boolean): Promise<Buffer> {
  const side = 96;
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0, seed = 7; i < raw.length; i++) raw[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return Buffer.from(await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).jpeg({ quality: 90, progressive }).toBuffer());
}

/** Cut inside the pixel data: the header reads fine, only the missing end marker tells. */
async function cutJpeg(): Promise<Buffer> {
  const whole = await noisyJpeg(false);
  return whole.subarray(0, Math.floor(whole.length * 0.6));
}

/**
 * A progressive JPEG whose second scan header is invalid (9 components): the header read before
 * the first scan is fine and the file ends with FF D9, but decoding fails part-way.
 */
async function disguisedBrokenJpeg(): Promise<Buffer> {
  const bytes = await noisyJpeg(true);
  const first = bytes.indexOf(Buffer.from([0xff, 0xda]));
  const second = bytes.indexOf(Buffer.from([0xff, 0xda]), first + 2);
  if (first < 0 || second < 0) throw new Error('fixture: expected two SOS markers in a progressive JPEG');
  bytes[second + 4] = 9; // Ns: components in this scan
  return bytes;
}

beforeAll(async () => {
  ({ dir: tmp, cleanup } = await makeTempDir('scan-header'));
  root = path.join(tmp, 'photos');
  const put = async (rel: string, bytes: Buffer): Promise<void> => {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), bytes);
  };
  for (let i = 0; i < 3; i++) await put(`a/${i}.jpg`, await solid(20, 20, { r: 40 * i, g: 90, b: 30 }).jpeg().toBuffer());
  for (let i = 0; i < 3; i++) await put(`b/${i}.png`, await twoColour(20, 20, 5 + i, RED, BLUE).png().toBuffer());
  await put('a/cut.jpg', await cutJpeg());
  await put('b/cut.png', (await twoColour(64, 48, 20, RED, BLUE).png().toBuffer()).subarray(0, 60));
  await put('a/disguised.jpg', await disguisedBrokenJpeg());
  dataset = await scanDataset(root, { validationPercent: 0, testPercent: 0 });
});
afterAll(async () => cleanup?.());

describe('scan header check', () => {
  it('still skips cut-off JPEG and PNG files as CORRUPT at scan time', () => {
    const code = (rel: string): string | undefined => dataset.issues.find((i) => i.path === path.join(root, rel))?.code;
    expect(code('a/cut.jpg')).toBe('CORRUPT');
    expect(code('b/cut.png')).toBe('CORRUPT');
  });

  it('endsComplete sees the end markers of whole files only', async () => {
    const jpg = await solid(20, 20, RED).jpeg().toBuffer();
    const png = await solid(20, 20, RED).png().toBuffer();
    expect(endsComplete(jpg, 'jpeg')).toBe(true);
    expect(endsComplete(Buffer.concat([jpg, Buffer.alloc(16)]), 'jpeg')).toBe(true); // padded by a camera
    expect(endsComplete(jpg.subarray(0, jpg.length - 10), 'jpeg')).toBe(false);
    expect(endsComplete(png, 'png')).toBe(true);
    expect(endsComplete(png.subarray(0, png.length - 12), 'png')).toBe(false);
    expect(endsComplete(jpg, 'webp')).toBe(false); // other formats are always decoded
  });

  it('a complete-looking but broken JPEG passes the scan, and a full probe still catches it', async () => {
    const image = dataset.classes.find((c) => c.name === 'a')!.images.find((i) => i.relativePath === 'a/disguised.jpg');
    expect(image).toBeDefined();
    const bytes = await disguisedBrokenJpeg();
    expect(await probeBytes(bytes)).toMatchObject({ ok: false, code: 'CORRUPT' });
    expect(await probeBytes(bytes, { decode: 'whenUnsure' })).toMatchObject({ ok: true });
  });

  it('the bottleneck decode skips that image with its reason and computes the others', async () => {
    const images = dataset.classes.flatMap((c) => c.images.map((i) => ({ path: i.path, contentHash: i.contentHash })));
    const result = await computeBottlenecks({
      images,
      extractor: fakeExtractor(),
      cache: createBottleneckCache({ dir: path.join(tmp, 'cache') }),
      modelFingerprint: 'test',
      decodeWorkers: 1,
    });
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0].path).toBe(path.join(root, 'a/disguised.jpg'));
    expect(result.failed[0].message).toContain('disguised.jpg');
    expect(result.stats.computed).toBe(images.length - 1);
  });
});
