import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { createDecodePool, decodeImage, type DecodedImage, type DecodePool, type PreprocessSpec } from '../../../src-main/core/images/index.js';
import { BLUE, formatFixtures, makeTempDir, RED, truncatedJpeg, twoColour, writeFiles } from './fixtures.js';

const spec: PreprocessSpec = { heightPx: 24, widthPx: 24, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } };
const bytesOf = (image: DecodedImage): Buffer => Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);

let dir: string;
let cleanup: () => Promise<void>;
let pool: DecodePool;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir('pool'));
  const fixtures = await formatFixtures();
  await writeFiles(dir, Object.fromEntries(Object.entries(fixtures).map(([name, f]) => [name, f.bytes])));
  await writeFiles(dir, {
    'two.png': await twoColour(60, 40, 15, RED, BLUE).png().toBuffer(),
    'empty.jpg': Buffer.alloc(0),
    'truncated.jpg': await truncatedJpeg(),
  });
  pool = createDecodePool({ workers: 2 });
});

afterAll(async () => {
  await pool?.close();
  await cleanup();
});

describe('createDecodePool', () => {
  it('defaults to between 1 and 4 workers and validates the count', async () => {
    const defaultPool = createDecodePool();
    expect(defaultPool.size).toBeGreaterThanOrEqual(1);
    expect(defaultPool.size).toBeLessThanOrEqual(4);
    await defaultPool.close();
    expect(() => createDecodePool({ workers: 0 })).toThrow(CoreError);
  });

  it('returns byte-identical results to decodeImage, with many decodes in flight', async () => {
    const names = [...Object.keys(await formatFixtures()), 'two.png'];
    const distortion = { flipLeftRight: true, randomCropPercent: 10, randomScalePercent: 10, randomBrightnessPercent: 10 };
    const jobs = names.flatMap((name) => [
      { name, options: {} },
      { name, options: { distortion, seed: 7 } },
    ]);
    const fromPool = await Promise.all(jobs.map((job) => pool.decode(file(job.name), spec, job.options)));
    for (const [i, job] of jobs.entries()) {
      const direct = await decodeImage(file(job.name), spec, job.options);
      expect({ name: job.name, heightPx: fromPool[i].heightPx, widthPx: fromPool[i].widthPx }).toEqual({ name: job.name, heightPx: 24, widthPx: 24 });
      expect(fromPool[i].data).toBeInstanceOf(Float32Array);
      expect(bytesOf(fromPool[i]).equals(bytesOf(direct)), job.name).toBe(true);
    }
  });

  it('rethrows worker errors as the same CoreError', async () => {
    for (const name of ['empty.jpg', 'truncated.jpg', 'missing.jpg']) {
      const direct = await decodeImage(file(name), spec).then(() => undefined, (e: unknown) => e as CoreError);
      const pooled = await pool.decode(file(name), spec).then(() => undefined, (e: unknown) => e as CoreError);
      expect(pooled).toBeInstanceOf(CoreError);
      expect(pooled?.toJSON()).toEqual(direct?.toJSON());
      expect(pooled?.code).toBe('IMAGE_UNREADABLE');
    }
    // The pool still works after errors.
    const ok = await pool.decode(file('two.png'), spec);
    expect(ok.data.length).toBe(24 * 24 * 3);
  });

  it('cancels pending decodes on close and refuses new ones', async () => {
    const small = createDecodePool({ workers: 1 });
    const pending = Array.from({ length: 6 }, () => small.decode(file('two.png'), spec).then(() => 'done', (e: CoreError) => e.code));
    await small.close();
    const outcomes = await Promise.all(pending);
    expect(outcomes).toContain('CANCELLED');
    for (const outcome of outcomes) expect(['done', 'CANCELLED']).toContain(outcome);
    await expect(small.decode(file('two.png'), spec)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
