import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeBottlenecks,
  createBottleneckCache,
  entryPath,
  bottleneckKey,
  type BottleneckProgress,
  type DecodeFunction,
} from '../../../src-main/core/bottlenecks/index.js';
import { CoreError } from '../../../src-main/core/errors.js';
import { decodeImage } from '../../../src-main/core/images/index.js';
import { hasShared, SHARED_MOBILENET, sharedPath, TEST_ENGINE, useWasm } from '../../helpers/tf.js';
import { fakeExtractor, makeImages, sha256, tinyTfjsExtractor, TINY_SPEC, type TestImage } from './pipeline-fixtures.js';
import { modelFingerprint } from '../../../src-main/core/models/fingerprint.js';

const decode: DecodeFunction = (file, spec) => decodeImage(file, spec);

describe('computeBottlenecks', () => {
  let root: string;
  let images: TestImage[];

  beforeAll(async () => {
    await useWasm();
    root = await mkdtemp(path.join(tmpdir(), 'rs-bn-compute-'));
    await mkdir(path.join(root, 'images'));
    images = await makeImages(path.join(root, 'images'), 23);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  let cacheDir: string;
  beforeEach(async () => {
    cacheDir = await mkdtemp(path.join(root, 'cache-'));
  });

  it('computes every miss once, then serves a second run from the cache with no forward pass', async () => {
    const tf = await useWasm();
    const extractor = tinyTfjsExtractor(tf);
    const cache = createBottleneckCache({ dir: cacheDir });
    const tensorsBefore = tf.memory().numTensors;

    const first = await computeBottlenecks({ images, extractor, cache, decode, batchSize: 8 });
    expect(extractor.calls).toEqual([8, 8, 7]);
    expect(first.featureSize).toBe(8);
    expect(first.failed).toEqual([]);
    expect(first.stats).toMatchObject({ total: 23, fromCache: 0, computed: 23, failed: 0, engine: TEST_ENGINE, cacheWriteFailures: 0 });
    expect(first.vectors).toHaveLength(23);
    for (const v of first.vectors) expect(v).toHaveLength(8);
    // Distinct images give distinct features.
    expect(new Set(first.vectors.map((v) => Array.from(v!).join(','))).size).toBe(23);
    expect((await cache.stats()).entries).toBe(23);

    // Batched results equal one-at-a-time extraction of the same decoded pixels.
    const single = await decodeImage(images[13].path, TINY_SPEC);
    const alone = await extractor.extract(single.data, 1);
    for (let i = 0; i < 8; i++) expect(first.vectors[13]![i]).toBeCloseTo(alone[i], 5);

    extractor.calls.length = 0;
    const second = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir: cacheDir }), decode, batchSize: 8 });
    expect(extractor.calls).toEqual([]);
    expect(second.stats).toMatchObject({ fromCache: 23, computed: 0, failed: 0 });
    for (let i = 0; i < 23; i++) expect(Array.from(second.vectors[i]!)).toEqual(Array.from(first.vectors[i]!));

    expect(tf.memory().numTensors).toBe(tensorsBefore);
    extractor.dispose();
  });

  it('reuses the cache after the images are moved and renamed (same content)', async () => {
    const extractor = fakeExtractor();
    const cache = createBottleneckCache({ dir: cacheDir });
    const subset = images.slice(0, 6);
    const first = await computeBottlenecks({ images: subset, extractor, cache, decode });
    expect(first.stats.computed).toBe(6);

    const moved = path.join(root, 'moved-elsewhere', 'deeper');
    await mkdir(moved, { recursive: true });
    const renamed: TestImage[] = [];
    for (const [i, image] of subset.entries()) {
      const target = path.join(moved, `renamed_${5 - i}.png`);
      await copyFile(image.path, target);
      renamed.push({ path: target, contentHash: sha256(await readFile(target)) });
    }
    extractor.calls.length = 0;
    const second = await computeBottlenecks({ images: renamed, extractor, cache, decode });
    expect(extractor.calls).toEqual([]);
    expect(second.stats.fromCache).toBe(6);
    for (let i = 0; i < 6; i++) expect(Array.from(second.vectors[i]!)).toEqual(Array.from(first.vectors[i]!));

    // Another model id, or another spec, does not reuse these entries.
    const other = fakeExtractor('another-model');
    const third = await computeBottlenecks({ images: renamed, extractor: other, cache, decode });
    expect(third.stats.computed).toBe(6);
  });

  it('skips a corrupt image with its message and computes the rest', async () => {
    const dir = path.join(root, 'with-bad');
    await mkdir(dir, { recursive: true });
    const bad = path.join(dir, 'broken.jpg');
    const badBytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('definitely not the rest of a jpeg')]);
    await writeFile(bad, badBytes);
    const missing = path.join(dir, 'gone.png');
    const list: TestImage[] = [images[0], { path: bad, contentHash: sha256(badBytes) }, images[1], { path: missing, contentHash: 'f'.repeat(64) }, images[2]];

    const extractor = fakeExtractor();
    const cache = createBottleneckCache({ dir: cacheDir });
    const result = await computeBottlenecks({ images: list, extractor, cache, decode });
    expect(result.stats).toMatchObject({ total: 5, computed: 3, failed: 2 });
    expect(result.failed.map((f) => f.path)).toEqual([bad, missing]);
    expect(result.failed[0].message).toContain('broken.jpg');
    expect(result.failed[1].message).toContain('gone.png');
    expect(result.vectors[1]).toBeUndefined();
    expect(result.vectors[3]).toBeUndefined();
    expect(result.vectors[0]).toHaveLength(4);
    expect(result.vectors[4]).toHaveLength(4);
    expect((await cache.stats()).entries).toBe(3);
  });

  it('recomputes exactly the entries that were corrupted on disk', async () => {
    const tf = await useWasm();
    const extractor = tinyTfjsExtractor(tf);
    const cache = createBottleneckCache({ dir: cacheDir });
    const subset = images.slice(0, 10);
    const first = await computeBottlenecks({ images: subset, extractor, cache, decode, batchSize: 4 });

    const fingerprint = await modelFingerprint(extractor.info.dir);
    const keyOf = (image: TestImage): string => bottleneckKey(image.contentHash, extractor.info, fingerprint);
    const truncated = entryPath(cacheDir, keyOf(subset[2]));
    await writeFile(truncated, (await readFile(truncated)).subarray(0, 30));
    const flipped = entryPath(cacheDir, keyOf(subset[7]));
    const bytes = await readFile(flipped);
    bytes[bytes.length - 2] ^= 0xff;
    await writeFile(flipped, bytes);
    // A killed writer's leftover temp file next to a valid entry is ignored and swept.
    const leftover = `${entryPath(cacheDir, keyOf(subset[4]))}.999999999.0badc0ffee00.tmp`;
    await writeFile(leftover, bytes.subarray(0, 10));

    extractor.calls.length = 0;
    const again = createBottleneckCache({ dir: cacheDir });
    const second = await computeBottlenecks({ images: subset, extractor, cache: again, decode, batchSize: 4 });
    expect(extractor.calls).toEqual([2]);
    expect(second.stats).toMatchObject({ fromCache: 8, computed: 2 });
    expect(again.counters().corrupt).toBe(2);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 8; j++) expect(second.vectors[i]![j]).toBeCloseTo(first.vectors[i]![j], 5);
    }
    await expect(readFile(leftover)).rejects.toThrow(/ENOENT/);
    expect((await again.stats()).entries).toBe(10);
    extractor.dispose();
  });

  it('computes duplicate photos once', async () => {
    const extractor = fakeExtractor();
    const cache = createBottleneckCache({ dir: cacheDir });
    const copy = path.join(root, 'dup.png');
    await copyFile(images[3].path, copy);
    const list = [images[3], images[4], { path: copy, contentHash: images[3].contentHash }];
    const result = await computeBottlenecks({ images: list, extractor, cache, decode });
    expect(extractor.calls).toEqual([2]);
    expect(result.stats).toMatchObject({ computed: 3, fromCache: 0 });
    expect(Array.from(result.vectors[2]!)).toEqual(Array.from(result.vectors[0]!));
  });

  it('reports monotonic progress at a bounded rate that ends at the total', async () => {
    const extractor = fakeExtractor();
    const cache = createBottleneckCache({ dir: cacheDir });
    await computeBottlenecks({ images: images.slice(0, 9), extractor, cache, decode });
    const events: BottleneckProgress[] = [];
    const result = await computeBottlenecks({ images, extractor, cache, decode, batchSize: 4, progressIntervalMs: 0, onProgress: (p) => events.push(p) });
    expect(result.stats).toMatchObject({ fromCache: 9, computed: 14 });
    expect(events.length).toBeGreaterThan(4);
    for (let i = 1; i < events.length; i++) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    for (const e of events) {
      expect(e.total).toBe(23);
      expect(e.done).toBe(e.fromCache + e.computed + e.failed);
    }
    const phases = events.map((e) => e.phase);
    expect(phases[0]).toBe('cache');
    expect(phases.lastIndexOf('cache')).toBeLessThan(phases.indexOf('compute'));
    const last = events.at(-1)!;
    expect(last).toMatchObject({ done: 23, total: 23, fromCache: 9, computed: 14, failed: 0, etaMs: 0, phase: 'compute' });
    expect(last.imagesPerSecond).toBeGreaterThan(0);

    // With the default interval, a fast run reports far fewer times, and still ends at the total.
    const sparse: BottleneckProgress[] = [];
    await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir: cacheDir }), decode, onProgress: (p) => sparse.push(p) });
    expect(sparse.length).toBeLessThanOrEqual(4);
    expect(sparse.at(-1)).toMatchObject({ done: 23, fromCache: 23, phase: 'cache' });
  });

  it('cancels mid-run with CANCELLED, keeps what was written, and resumes', async () => {
    const extractor = fakeExtractor();
    const cache = createBottleneckCache({ dir: cacheDir });
    const controller = new AbortController();
    extractor.beforeExtract = (call) => {
      if (call === 2) controller.abort();
    };
    const run = computeBottlenecks({ images, extractor, cache, decode, batchSize: 5, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'CoreError', code: 'CANCELLED' });
    await expect(run).rejects.toBeInstanceOf(CoreError);
    // Batches 0 and 1 are stored; batch 2 may have finished while the cancel was seen.
    const written = (await cache.stats()).entries;
    expect(written).toBeGreaterThanOrEqual(10);
    expect(written).toBeLessThanOrEqual(15);

    extractor.beforeExtract = undefined;
    extractor.calls.length = 0;
    const resumed = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir: cacheDir }), decode, batchSize: 5 });
    expect(resumed.stats).toMatchObject({ fromCache: written, computed: 23 - written, failed: 0 });
    expect(resumed.stats.fromCache + resumed.stats.computed).toBe(23);

    // An already-aborted signal fails fast without touching anything.
    const extractorCalls = extractor.calls.length;
    await expect(computeBottlenecks({ images, extractor, cache, decode, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(extractor.calls.length).toBe(extractorCalls);
  });

  it('cancels while waiting for a slow decode, after draining the decodes it started', async () => {
    const controller = new AbortController();
    let active = 0;
    let finished = 0;
    const slow: DecodeFunction = async (file, spec) => {
      active++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return await decodeImage(file, spec);
      } finally {
        active--;
        finished++;
      }
    };
    setTimeout(() => controller.abort(), 100);
    const extractor = fakeExtractor();
    await expect(
      computeBottlenecks({ images: images.slice(0, 3), extractor, cache: createBottleneckCache({ dir: cacheDir }), decode: slow, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    // Nothing is left running behind the caller's back, and no forward pass happened.
    expect(active).toBe(0);
    expect(finished).toBe(3);
    expect(extractor.calls).toEqual([]);
  });

  it('bounds the decodes started ahead of the consumer', async () => {
    let active = 0;
    let maxAhead = 0;
    let started = 0;
    const extractor = fakeExtractor();
    let consumedImages = 0;
    extractor.beforeExtract = async () => {
      consumedImages += extractor.calls.at(-1)!;
      // A slow forward pass: decodes would run far ahead if nothing bounded them.
      await new Promise((resolve) => setTimeout(resolve, 30));
    };
    const counting: DecodeFunction = async (file, spec) => {
      started++;
      active++;
      maxAhead = Math.max(maxAhead, started - consumedImages);
      try {
        return await decodeImage(file, spec);
      } finally {
        active--;
      }
    };
    const result = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir: cacheDir }), decode: counting, batchSize: 3, readAheadBatches: 2 });
    expect(result.stats.computed).toBe(23);
    expect(active).toBe(0);
    // At most: the batch in the extractor + the batch being assembled + the read-ahead.
    expect(maxAhead).toBeLessThanOrEqual(3 * 4);
    expect(maxAhead).toBeGreaterThanOrEqual(3);
  });

  it('uses a worker-thread decode pool by default', async () => {
    const tf = await useWasm();
    const extractor = tinyTfjsExtractor(tf);
    const viaPool = await computeBottlenecks({ images: images.slice(0, 7), extractor, cache: createBottleneckCache({ dir: cacheDir }), decodeWorkers: 2, batchSize: 4 });
    expect(viaPool.stats).toMatchObject({ computed: 7, failed: 0 });
    const inProcess = await computeBottlenecks({
      images: images.slice(0, 7),
      extractor,
      cache: createBottleneckCache({ dir: await mkdtemp(path.join(root, 'cache-b-')) }),
      decode,
      batchSize: 4,
    });
    for (let i = 0; i < 7; i++) expect(Array.from(viaPool.vectors[i]!)).toEqual(Array.from(inProcess.vectors[i]!));
    extractor.dispose();
  });

  it('cancels a run on the default decode pool', async () => {
    const extractor = fakeExtractor();
    const controller = new AbortController();
    extractor.beforeExtract = (call) => {
      if (call === 1) controller.abort();
    };
    const cache = createBottleneckCache({ dir: cacheDir });
    await expect(computeBottlenecks({ images, extractor, cache, batchSize: 4, decodeWorkers: 1, signal: controller.signal })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(extractor.calls.length).toBe(2);
    const entries = (await cache.stats()).entries;
    expect(entries).toBeGreaterThanOrEqual(4);
    expect(entries).toBeLessThanOrEqual(8);
  });

  it('rejects bad options with INVALID_ARGUMENT', async () => {
    const cache = createBottleneckCache({ dir: cacheDir });
    await expect(computeBottlenecks({ images, extractor: fakeExtractor(), cache, decode, batchSize: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(computeBottlenecks({ images: [{ path: 'x.png', contentHash: '' }], extractor: fakeExtractor(), cache, decode })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const empty = await computeBottlenecks({ images: [], extractor: fakeExtractor(), cache, decode });
    expect(empty).toMatchObject({ vectors: [], failed: [], stats: { total: 0, computed: 0 } });
  });
});

describe('computeBottlenecks with the real MobileNetV2 0.35 and flower photos', () => {
  it.skipIf(!hasShared)('matches one-at-a-time extraction, keeps images aligned, and leaks no tensors', async () => {
    const tf = await useWasm();
    const { loadFeatureExtractor } = await import('../../../src-main/core/models/index.js');
    const info = SHARED_MOBILENET;
    const extractor = await loadFeatureExtractor(info);
    const root = await mkdtemp(path.join(tmpdir(), 'rs-bn-real-'));
    try {
      const files: TestImage[] = [];
      for (const flower of ['daisy', 'roses', 'tulips']) {
        const dir = sharedPath('datasets', 'flower_photos_small', flower);
        const names = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort().slice(0, 4);
        for (const name of names) {
          const file = path.join(dir, name);
          files.push({ path: file, contentHash: sha256(await readFile(file)) });
        }
      }
      const tensorsBefore = tf.memory().numTensors;
      const cache = createBottleneckCache({ dir: root });
      const result = await computeBottlenecks({ images: files, extractor, cache, batchSize: 5, decodeWorkers: 2 });
      expect(result.stats).toMatchObject({ total: 12, computed: 12, failed: 0 });
      expect(result.featureSize).toBe(1280);

      for (const i of [0, 6, 11]) {
        const pixels = await decodeImage(files[i].path, info.spec);
        const alone = await extractor.extract(pixels.data, 1);
        const batched = result.vectors[i]!;
        let maxDiff = 0;
        for (let j = 0; j < 1280; j++) maxDiff = Math.max(maxDiff, Math.abs(batched[j] - alone[j]));
        expect(maxDiff).toBeLessThan(1e-4);
        expect(Math.max(...alone)).toBeGreaterThan(0.1);
      }
      // Different photos give clearly different features.
      let distance = 0;
      for (let j = 0; j < 1280; j++) distance += Math.abs(result.vectors[0]![j] - result.vectors[6]![j]);
      expect(distance).toBeGreaterThan(1);

      const again = await computeBottlenecks({ images: files, extractor, cache: createBottleneckCache({ dir: root }) });
      expect(again.stats).toMatchObject({ fromCache: 12, computed: 0 });
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    } finally {
      extractor.dispose();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('computeBottlenecks feature size', () => {
  it('learns the feature size from the output when the model info does not say', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rs-bn-fs-'));
    try {
      const images = await makeImages(dir, 3);
      const extractor = fakeExtractor();
      const unknown = { ...extractor, info: { ...extractor.info, featureSize: 0 } };
      const result = await computeBottlenecks({ images, extractor: unknown, cache: createBottleneckCache({ dir: path.join(dir, 'cache') }), decode });
      expect(result.featureSize).toBe(4);
      const cached = await computeBottlenecks({ images, extractor: unknown, cache: createBottleneckCache({ dir: path.join(dir, 'cache') }), decode });
      expect(cached).toMatchObject({ featureSize: 4, stats: { fromCache: 3 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bottleneckKey', () => {
  it('changes with the bottleneck node, the model, its files and the preprocessing, not with anything else', () => {
    const info = { id: 'imported:tiny', bottleneckNode: 'pool', spec: TINY_SPEC };
    const key = bottleneckKey('ab'.repeat(32), info, 'f1');
    expect(bottleneckKey('ab'.repeat(32), { ...info }, 'f1')).toBe(key);
    expect(bottleneckKey('ab'.repeat(32), info, 'f2')).not.toBe(key);
    expect(bottleneckKey('ab'.repeat(32), { ...info, bottleneckNode: 'conv' }, 'f1')).not.toBe(key);
    expect(bottleneckKey('ab'.repeat(32), { ...info, id: 'imported:other' }, 'f1')).not.toBe(key);
    expect(bottleneckKey('ab'.repeat(32), { ...info, spec: { ...TINY_SPEC, crop: TINY_SPEC.crop === 'center' ? 'squash' : 'center' } }, 'f1')).not.toBe(key);
  });
});
