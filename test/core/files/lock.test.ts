/**
 * The cross-process lock and locked JSON updates, with real child processes on one folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonFile, updateJsonFile, withFileLock } from '../../../src-main/core/files/index.js';

const WORKER = path.join(import.meta.dirname, 'lock-worker.fixture.ts');

function startWorker(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Resolves when the child prints `line`; rejects if it exits first. */
function printed(child: ChildProcess, line: string): Promise<void> {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before printing "${line}": ${stderr}`)));
  });
}

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'rs-lock-'));

describe('updateJsonFile across processes', () => {
  it('four processes × 25 concurrent increments lose no update', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'counter.json');
    const children = ['a', 'b', 'c', 'd'].map((tag) => startWorker(['count', file, '25', tag]));
    const codes = await Promise.all(children.map(exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const value = await readJsonFile<{ count: number; seen: string[] }>(file);
    expect(value?.count).toBe(100);
    expect(new Set(value?.seen).size).toBe(100);
    // The lock and every temp file are gone.
    expect(await readdir(dir)).toEqual(['counter.json']);
  }, 90_000);

  it('returns what it wrote, writes nothing when the update returns undefined, and sets a corrupt file aside', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'sub', 'r.json');
    expect(await updateJsonFile<number[]>(file, (current) => [...(current ?? []), 1])).toEqual([1]);
    expect(await updateJsonFile<number[]>(file, () => undefined)).toEqual([1]);
    await writeFile(file, '{"half": ');
    expect(await updateJsonFile<number[]>(file, (current) => [...(current ?? []), 2])).toEqual([2]);
    const names = await readdir(path.dirname(file));
    expect(names.filter((n) => n.startsWith('r.json.corrupt-'))).toHaveLength(1);
    expect(await readFile(path.join(path.dirname(file), names.find((n) => n.startsWith('r.json.corrupt-'))!), 'utf8')).toBe('{"half": ');
  });

  it('an update that throws leaves the file unchanged and releases the lock', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'r.json');
    await updateJsonFile(file, () => ({ n: 1 }));
    await expect(updateJsonFile(file, () => { throw new Error('no'); })).rejects.toThrow('no');
    expect(await readJsonFile(file)).toEqual({ n: 1 });
    expect(await updateJsonFile<{ n: number }>(file, (c) => ({ n: c!.n + 1 }), { timeoutMs: 1000 })).toEqual({ n: 2 });
  });
});

describe('withFileLock', () => {
  it('a SIGKILLed holder does not deadlock the others', async () => {
    const dir = await tempDir();
    const lock = path.join(dir, 'x.lock');
    const holder = startWorker(['hold', lock]);
    await printed(holder, 'held');
    holder.kill('SIGKILL');
    await exited(holder);
    // The dead holder's lock file is still there: the next taker must see its pid is gone.
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: holder.pid, host: os.hostname() });
    // staleMs far above the test's length: only the dead-pid rule can free it.
    expect(await withFileLock(lock, () => 'got it', { staleMs: 600_000, timeoutMs: 20_000 })).toBe('got it');
    await expect(stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('a live holder keeps its lock past staleMs (heartbeat); the waiter gets it only after release', async () => {
    const dir = await tempDir();
    const lock = path.join(dir, 'x.lock');
    const marker = path.join(dir, 'released');
    // Held for 5× staleMs: without the heartbeat the waiter would break it as stale.
    const holder = startWorker(['hold-then-release', lock, '200', '1000', marker]);
    await printed(holder, 'held');
    const seenMarker = await withFileLock(lock, async () => (await readFile(marker, 'utf8').catch(() => 'missing')), { staleMs: 200, timeoutMs: 30_000 });
    expect(seenMarker).toBe('released');
    expect(await exited(holder)).toBe(0);
  }, 60_000);

  it('a lock held by a live process gives BUSY naming the holder; one untouched for staleMs is broken', async () => {
    const dir = await tempDir();
    const lock = path.join(dir, 'x.lock');
    // Another host's lock: its pid cannot be checked, only its age.
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'other-host', token: 't', acquiredAt: '2026-01-01T00:00:00.000Z' }));
    await expect(withFileLock(lock, () => 1, { staleMs: 60_000, timeoutMs: 200 })).rejects.toMatchObject({
      code: 'BUSY',
      message: expect.stringContaining('process 1 on other-host'),
    });
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    expect(await withFileLock(lock, () => 2, { staleMs: 60_000, timeoutMs: 5_000 })).toBe(2);
  });

  it('a waiter stops with CANCELLED when its signal fires', async () => {
    const dir = await tempDir();
    const lock = path.join(dir, 'x.lock');
    await writeFile(lock, JSON.stringify({ pid: 1, host: 'other-host', token: 't', acquiredAt: '2026-01-01T00:00:00.000Z' }));
    const controller = new AbortController();
    const waiting = withFileLock(lock, () => 1, { timeoutMs: 60_000, signal: controller.signal, what: 'Downloading tiny' });
    setTimeout(() => controller.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED', message: 'Downloading tiny was cancelled.' });
    // The other holder's lock is untouched.
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ host: 'other-host' });
  });

  it('callers in one process run one at a time', async () => {
    const dir = await tempDir();
    const lock = path.join(dir, 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 1));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});
