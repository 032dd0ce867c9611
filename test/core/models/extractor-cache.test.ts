import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createExtractorCache, createLoadedCache } from '../../../src-main/core/models/extractor-cache.js';
import { createModelStore, type ModelInfo } from '../../../src-main/core/models/index.js';
import { makeTinyBackbone, tempDir } from '../../helpers/fixtures.js';
import { useWasm } from '../../helpers/tf.js';

/** Something loaded that records its disposal. */
class Loaded {
  disposed = 0;
  constructor(readonly name: string) {}
  dispose(): void {
    this.disposed++;
  }
}

describe('createLoadedCache', () => {
  it('keeps the most recently used entries and disposes the one it evicts', async () => {
    const cache = createLoadedCache<Loaded>(2);
    const made: Loaded[] = [];
    const load = (name: string) => async () => {
      const value = new Loaded(name);
      made.push(value);
      return value;
    };
    const a = await cache.get('a', load('a'));
    const b = await cache.get('b', load('b'));
    expect(await cache.get('a', load('a again'))).toBe(a);
    // 'a' was used last, so 'b' is the one to go.
    await cache.get('c', load('c'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(made.map((m) => [m.name, m.disposed])).toEqual([['a', 0], ['b', 1], ['c', 0]]);
    expect(cache.size).toBe(2);
    expect(b.disposed).toBe(1);

    cache.clear();
    await new Promise((resolve) => setImmediate(resolve));
    expect(made.map((m) => m.disposed)).toEqual([1, 1, 1]);
    expect(cache.size).toBe(0);
  });

  it('forgets a load that failed, so the next call loads again', async () => {
    const cache = createLoadedCache<Loaded>();
    await expect(cache.get('x', async () => Promise.reject(new Error('no such model')))).rejects.toThrow('no such model');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await cache.get('x', async () => new Loaded('x'))).name).toBe('x');
  });

  it('shares one load between callers that ask at once', async () => {
    const cache = createLoadedCache<Loaded>();
    let loads = 0;
    const load = async (): Promise<Loaded> => new Loaded(`load ${++loads}`);
    const [first, second] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    expect(first).toBe(second);
    expect(loads).toBe(1);
  });
});

describe('createExtractorCache on a real model', () => {
  let info: ModelInfo;
  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('extractor-cache');
    const dir = await makeTinyBackbone(path.join(base, 'tiny'));
    info = await createModelStore({ dir: path.join(base, 'store') }).importModel(dir, { name: 'tiny', spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' } });
  });

  it('reuses a loaded network until its files change, then loads the new weights', async () => {
    const cache = createExtractorCache({ keep: 4 });
    const image = new Float32Array(16 * 16 * 3).map((_, i) => Math.cos(i) * 0.8);
    const first = await cache.tfjs(info);
    expect(await cache.tfjs(info)).toBe(first);
    const before = await first.extract(image, 1);

    // New weights under the same file name, model id and bottleneck node.
    const weightsFile = path.join(info.dir, 'weights.bin');
    const weights = new Float32Array(new Uint8Array(await readFile(weightsFile)).buffer.slice(0));
    await writeFile(weightsFile, new Uint8Array(weights.map((w) => w * -2 + 0.05).buffer));
    const reloaded = await cache.tfjs(info);
    expect(reloaded).not.toBe(first);
    expect(Array.from(await reloaded.extract(image, 1))).not.toEqual(Array.from(before));
    cache.clear();
  });

  it('disposes the extractor it evicts', async () => {
    const cache = createExtractorCache({ keep: 1 });
    const tfjs = await cache.tfjs(info);
    await cache.other('second-engine', info, async () => ({ ...tfjs, engine: 'other', dispose: () => {} }));
    await new Promise((resolve) => setImmediate(resolve));
    // A disposed TF.js extractor has released its model: extracting with it fails.
    await expect(tfjs.extract(new Float32Array(16 * 16 * 3), 1)).rejects.toThrow();
    cache.clear();
  });
});
