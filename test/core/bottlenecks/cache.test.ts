import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CACHE_FORMAT_VERSION, cacheKey, createBottleneckCache, entryPath, type BottleneckCache } from '../../../src-main/core/bottlenecks/index.js';
import { CoreError } from '../../../src-main/core/errors.js';
import { SPEC_KEY, keyFor, vectorFor } from './cache-fixtures.js';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

describe('bottleneck cache', () => {
  let dir: string;
  let cache: BottleneckCache;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'rs-bncache-'));
    cache = createBottleneckCache({ dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips vectors exactly and counts hits and misses', async () => {
    const v = vectorFor(1);
    expect(await cache.get(keyFor(1))).toBeUndefined();
    await cache.put(keyFor(1), v);
    const back = await cache.get(keyFor(1));
    expect(back).toBeInstanceOf(Float32Array);
    expect(Array.from(back!)).toEqual(Array.from(v));
    // A subarray view with an odd offset must be stored as its own values.
    const big = vectorFor(2, 1000);
    const view = big.subarray(3, 103);
    await cache.put(keyFor(2), view);
    expect(Array.from((await cache.get(keyFor(2)))!)).toEqual(Array.from(view));
    expect(cache.counters()).toEqual({ hits: 2, misses: 1, corrupt: 0, writes: 2 });
  });

  it('shards entries by the key hash and keeps the header layout', async () => {
    await cache.put(keyFor(7), vectorFor(7, 10));
    const file = entryPath(dir, keyFor(7));
    const name = path.basename(file);
    expect(name).toMatch(/^[0-9a-f]{64}\.bin$/);
    expect(path.basename(path.dirname(file))).toBe(name.slice(0, 2));
    const bytes = await readFile(file);
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('RSBN');
    expect(bytes.readUInt16LE(4)).toBe(CACHE_FORMAT_VERSION);
    expect(bytes.readUInt32LE(8)).toBe(10);
    expect(bytes.byteLength).toBe(48 + 40);
  });

  it('keys depend on content, model and spec but not on the path or engine', async () => {
    const base = { contentHash: 'AB'.repeat(32), modelId: 'm', specKey: SPEC_KEY };
    expect(cacheKey(base)).toBe(cacheKey({ ...base, contentHash: 'ab'.repeat(32) }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, modelId: 'm2' }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, specKey: 'v1:224x224:squash:range(-1,1)' }));
    expect(cacheKey(base)).not.toBe(cacheKey({ ...base, contentHash: 'ac'.repeat(32) }));
    expect(() => cacheKey({ ...base, modelId: '' })).toThrow(CoreError);

    await cache.put(keyFor(3, 'model-a'), vectorFor(3));
    expect(await cache.get(keyFor(3, 'model-b'))).toBeUndefined();
    expect(await cache.get(keyFor(3, 'model-a', 'v1:160x160:center:range(-1,1)'))).toBeUndefined();
    expect(await cache.get(keyFor(3, 'model-a'))).toBeDefined();
  });

  const corruptions: Array<[string, (bytes: Buffer) => Buffer]> = [
    ['a truncated payload', (b) => b.subarray(0, b.byteLength - 5)],
    ['a file cut inside the header', (b) => b.subarray(0, 20)],
    ['a zero-length file', () => Buffer.alloc(0)],
    ['a flipped payload byte', (b) => flip(b, 48 + 1000)],
    ['a flipped last byte', (b) => flip(b, b.byteLength - 1)],
    ['a flipped checksum byte', (b) => flip(b, 13)],
    ['a flipped key-hash byte', (b) => flip(b, 30)],
    ['a wrong magic', (b) => Buffer.concat([Buffer.from('JUNK'), b.subarray(4)])],
    ['another format version', (b) => withUInt16(b, 4, CACHE_FORMAT_VERSION + 1)],
    ['a wrong float count', (b) => withUInt32(b, 8, 1279)],
    ['extra bytes at the end', (b) => Buffer.concat([b, Buffer.alloc(4)])],
  ];

  it.each(corruptions)('treats %s as a miss, deletes it, and accepts a fresh write', async (_label, corrupt) => {
    const key = keyFor(11);
    await cache.put(key, vectorFor(11));
    const file = entryPath(dir, key);
    await writeFile(file, corrupt(await readFile(file)));

    expect(await cache.get(key)).toBeUndefined();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(cache.counters()).toMatchObject({ corrupt: 1, misses: 1, hits: 0 });

    await cache.put(key, vectorFor(11));
    expect(Array.from((await cache.get(key))!)).toEqual(Array.from(vectorFor(11)));
  });

  it('detects a valid entry copied to another key’s place', async () => {
    await cache.put(keyFor(1), vectorFor(1));
    const target = entryPath(dir, keyFor(2));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, await readFile(entryPath(dir, keyFor(1))));
    expect(await cache.get(keyFor(2))).toBeUndefined();
    expect(cache.counters().corrupt).toBe(1);
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
    expect(await cache.get(keyFor(1))).toBeDefined();
  });

  it('never reads a partial temp file, and sweeps temp files of dead writers', async () => {
    const key = keyFor(5);
    const file = entryPath(dir, key);
    await mkdir(path.dirname(file), { recursive: true });
    // What a writer killed mid-write leaves behind: a partial temp file, no entry.
    const partial = (await encodeVia(createBottleneckCache({ dir }), dir, keyFor(99), vectorFor(5))).subarray(0, 700);
    const deadTemp = `${file}.999999999.abcdef.tmp`;
    const strayTemp = `${file}.tmp`;
    await writeFile(deadTemp, partial);
    await writeFile(strayTemp, partial);
    const ownTemp = `${entryPath(dir, keyFor(6))}.${process.pid}.abcdef.tmp`;
    await mkdir(path.dirname(ownTemp), { recursive: true });
    await writeFile(ownTemp, partial);

    expect(await cache.get(key)).toBeUndefined();
    expect((await cache.stats()).entries).toBe(1); // only keyFor(99), written by encodeVia

    // The first put sweeps temp files whose writer is gone; in-flight ones of this process stay.
    await cache.put(key, vectorFor(5));
    const names = (await allFiles(dir)).map((f) => path.basename(f));
    expect(names).not.toContain(path.basename(deadTemp));
    expect(names).not.toContain(path.basename(strayTemp));
    expect(names).toContain(path.basename(ownTemp));
    expect(Array.from((await cache.get(key))!)).toEqual(Array.from(vectorFor(5)));
  });

  it('leaves only complete entries when the writing process is killed', async () => {
    // A child process writes entries as fast as it can; kill it with SIGKILL mid-stream.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'cache-writer.fixture.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        // Kill once it has written a good number of entries (it prints one line per 50).
        if (seen.split('\n').length > 4) resolve();
      });
      child.on('exit', () => reject(new Error(`writer exited early: ${seen}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    const files = await allFiles(dir);
    const entries = files.filter((f) => f.endsWith('.bin'));
    expect(entries.length).toBeGreaterThanOrEqual(200);
    const fresh = createBottleneckCache({ dir });
    let valid = 0;
    for (let n = 0; n < 100_000 && valid < entries.length; n++) {
      const v = await fresh.get(keyFor(n));
      if (v) {
        expect(Array.from(v)).toEqual(Array.from(vectorFor(n, 256)));
        valid++;
      }
    }
    expect(valid).toBe(entries.length);
    expect(fresh.counters().corrupt).toBe(0);
    // The killed writer's temp files (if any were open) go with the next sweep.
    await fresh.sweep();
    expect((await allFiles(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports stats and clears only its own files', async () => {
    expect(await cache.stats()).toEqual({ dir, entries: 0, bytes: 0 });
    for (let n = 0; n < 5; n++) await cache.put(keyFor(n), vectorFor(n, 100));
    expect(await cache.stats()).toEqual({ dir, entries: 5, bytes: 5 * (48 + 400) });

    const foreign = path.join(dir, 'README.txt');
    await writeFile(foreign, 'not a cache file');
    await cache.clear();
    expect(await cache.stats()).toEqual({ dir, entries: 0, bytes: 0 });
    expect(await allFiles(dir)).toEqual([foreign]);
    expect(await cache.get(keyFor(1))).toBeUndefined();

    // Still usable after clear().
    await cache.put(keyFor(1), vectorFor(1, 100));
    expect((await cache.stats()).entries).toBe(1);
  });

  it('works on a folder that does not exist yet', async () => {
    const nested = createBottleneckCache({ dir: path.join(dir, 'a', 'b') });
    expect(await nested.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(await nested.get(keyFor(1))).toBeUndefined();
    await nested.clear();
    await nested.put(keyFor(1), vectorFor(1, 8));
    expect((await nested.stats()).entries).toBe(1);
    expect(() => createBottleneckCache({ dir: '' })).toThrow(CoreError);
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] ^= 0x5a;
  return copy;
}

function withUInt16(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt16LE(value, at);
  return copy;
}

function withUInt32(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeUInt32LE(value, at);
  return copy;
}

/** The bytes of a real entry (written through the cache under `key`). */
async function encodeVia(cache: BottleneckCache, dir: string, key: string, vector: Float32Array): Promise<Buffer> {
  await cache.put(key, vector);
  return readFile(entryPath(dir, key));
}
