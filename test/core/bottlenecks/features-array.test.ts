/**
 * A run's features in one Float32Array (row i = image i), and the cache's batched lookup that
 * fills it: same vectors as one `get` at a time, corrupt files still misses (and deleted).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBottlenecks, createBottleneckCache, entryPath, type DecodeFunction } from '../../../src-main/core/bottlenecks/index.js';
import { decodeImage } from '../../../src-main/core/images/index.js';
import { keyFor, vectorFor } from './cache-fixtures.js';
import { fakeExtractor, makeImages, type TestImage } from './pipeline-fixtures.js';
import { existsSync } from 'node:fs';

const decode: DecodeFunction = (file, spec) => decodeImage(file, spec);
let root: string;
let images: TestImage[];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'rs-bn-features-'));
  images = await makeImages(root, 150);
  images.push({ ...images[3] }); // a duplicate: computed once, in both rows
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('getMany', () => {
  it('returns what get returns, aligned with the keys, and copies hits into the given rows', async () => {
    const dir = await mkdtemp(path.join(root, 'cache-'));
    const cache = createBottleneckCache({ dir });
    const keys = Array.from({ length: 150 }, (_, i) => keyFor(i));
    for (let i = 0; i < 150; i += 2) await cache.put(keys[i], vectorFor(i, 16));
    await writeFile(entryPath(dir, keys[10]), Buffer.from('not an entry')); // corrupt
    const features = new Float32Array(150 * 16);
    const looked: number[] = [];
    const found = await cache.getMany!(keys, { into: { features, featureSize: 16 }, onProgress: (n) => looked.push(n) });
    expect(found).toHaveLength(150);
    for (let i = 0; i < 150; i++) {
      if (i % 2 === 1 || i === 10) {
        expect(found[i]).toBeUndefined();
        continue;
      }
      expect(Array.from(found[i]!)).toEqual(Array.from(vectorFor(i, 16)));
      expect(found[i]!.buffer).toBe(features.buffer); // a row, not a copy
      expect(Array.from(features.subarray(i * 16, (i + 1) * 16))).toEqual(Array.from(vectorFor(i, 16)));
    }
    expect(existsSync(entryPath(dir, keys[10]))).toBe(false);
    expect(looked.at(-1)).toBe(150);
    expect(await cache.get(keys[12])).toEqual(found[12]);
  });
});

describe('computeBottlenecks features', () => {
  it('holds every vector as a row of one array, cold and warm, duplicates included', async () => {
    const dir = await mkdtemp(path.join(root, 'cache-'));
    const extractor = fakeExtractor();
    const cold = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir }), decode, modelFingerprint: 'f' });
    const warm = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir }), decode, modelFingerprint: 'f' });
    expect(warm.stats.fromCache).toBe(images.length);
    for (const result of [cold, warm]) {
      const { features, featureSize } = result;
      expect(features).toBeInstanceOf(Float32Array);
      expect(features!.length).toBe(images.length * featureSize);
      for (let i = 0; i < images.length; i++) {
        expect(result.vectors[i]!.buffer).toBe(features!.buffer);
        expect(Array.from(features!.subarray(i * featureSize, (i + 1) * featureSize))).toEqual(Array.from(result.vectors[i]!));
      }
      expect(Array.from(result.vectors[150]!)).toEqual(Array.from(result.vectors[3]!));
    }
    for (let i = 0; i < images.length; i++) {
      for (let k = 0; k < cold.featureSize; k++) expect(warm.vectors[i]![k]).toBeCloseTo(cold.vectors[i]![k], 5);
    }
  });
});
