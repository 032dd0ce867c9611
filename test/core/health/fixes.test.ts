/**
 * Fixes in place on synthetic photos: a move is a real move, confined and never overwriting,
 * undone exactly; exclusions are left out of the scan, the split and the checks; two
 * processes fixing one dataset at once lose nothing.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  excludeFiles,
  exclusionFilter,
  exclusionsFile,
  fixLogFile,
  moveToClass,
  readExclusions,
  readFixLog,
  restoreFiles,
  scanDataset,
  undoMove,
  type Dataset,
} from '../../../src-main/core/dataset/index.js';
import { healthInputFromDataset, runHealthChecks } from '../../../src-main/core/health/index.js';
import { makeColourDataset, tempDir } from '../../helpers/fixtures.js';

const WORKER = path.join(import.meta.dirname, 'fix-worker.fixture.ts');

let base: string;
beforeAll(async () => {
  base = await tempDir('health-fixes');
});
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

/** Every file below `root` with its bytes (relative posix path → base64). */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const abs = path.join(entry.parentPath, entry.name);
    out[path.relative(root, abs).split(path.sep).join('/')] = (await readFile(abs)).toString('base64');
  }
  return out;
}

const paths = (dataset: Dataset): string[] => dataset.classes.flatMap((c) => c.images.map((i) => i.relativePath));

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${args[0]} exited ${code}: ${stderr}`))));
  });
}

describe('moving a photo to another class', () => {
  it('moves for real, logs it, and undo restores every file exactly', async () => {
    const root = await makeColourDataset(path.join(base, 'move'), 4);
    const state = path.join(base, 'move-state');
    const log = fixLogFile(state);
    const before = await snapshot(root);
    const fix = await moveToClass(root, log, { path: 'red/red_1.png', toClass: 'blue' });
    expect(fix).toMatchObject({ kind: 'move', from: 'red/red_1.png', to: 'blue/red_1.png' });
    const after = await snapshot(root);
    expect(after['red/red_1.png']).toBeUndefined();
    expect(after['blue/red_1.png']).toBe(before['red/red_1.png']);
    const scanned = await scanDataset(root);
    expect(paths(scanned)).toContain('blue/red_1.png');
    expect(scanned.classes.find((c) => c.name === 'blue')!.images.length).toBe(5);
    expect(await readFixLog(log)).toEqual([fix]);

    const undone = await undoMove(root, log, fix.id);
    expect(undone.undoneAt).toEqual(expect.any(String));
    expect(await snapshot(root)).toEqual(before);
    expect((await readFixLog(log))[0].undoneAt).toBe(undone.undoneAt);
    await expect(undoMove(root, log, fix.id)).rejects.toThrow(/already undone/);
  });

  it('never overwrites: a taken name gets " (2)", and an undo onto a retaken name is refused', async () => {
    const root = await makeColourDataset(path.join(base, 'clobber'), 2);
    const log = fixLogFile(path.join(base, 'clobber-state'));
    const blueBytes = await readFile(path.join(root, 'blue', 'blue_0.jpg'));
    await writeFile(path.join(root, 'red', 'blue_0.jpg'), 'not a photo, but a file with that name');
    const fix = await moveToClass(root, log, { path: 'blue/blue_0.jpg', toClass: 'red' });
    expect(fix.to).toBe('red/blue_0 (2).jpg');
    expect(await readFile(path.join(root, 'red', 'blue_0.jpg'), 'utf8')).toBe('not a photo, but a file with that name');
    expect(await readFile(path.join(root, 'red', 'blue_0 (2).jpg'))).toEqual(blueBytes);
    await writeFile(path.join(root, 'blue', 'blue_0.jpg'), 'took the old name');
    await expect(undoMove(root, log, fix.id)).rejects.toThrow(/exists again/);
    expect(await readFile(path.join(root, 'red', 'blue_0 (2).jpg'))).toEqual(blueBytes);
    expect((await readFixLog(log))[0].undoneAt).toBeUndefined();
  });

  it('stays inside the dataset: no escaping paths, no unknown or hidden class, no links', async () => {
    const root = await makeColourDataset(path.join(base, 'confine'), 2);
    const log = fixLogFile(path.join(base, 'confine-state'));
    await writeFile(path.join(base, 'outside.jpg'), 'outside');
    await symlink(path.join(base, 'outside.jpg'), path.join(root, 'red', 'link.jpg'));
    await mkdir(path.join(root, '.hidden'));
    await expect(moveToClass(root, log, { path: '../outside.jpg', toClass: 'red' })).rejects.toThrow(/not a file of the dataset/);
    await expect(moveToClass(root, log, { path: 'red/../../outside.jpg', toClass: 'blue' })).rejects.toThrow(/not a file of the dataset/);
    await expect(moveToClass(root, log, { path: '/etc/passwd', toClass: 'blue' })).rejects.toThrow(/not a file of the dataset/);
    await expect(moveToClass(root, log, { path: 'red/red_0.jpg', toClass: '../elsewhere' })).rejects.toThrow(/not a class folder/);
    await expect(moveToClass(root, log, { path: 'red/red_0.jpg', toClass: '.hidden' })).rejects.toThrow(/not a class folder/);
    await expect(moveToClass(root, log, { path: 'red/red_0.jpg', toClass: 'purple' })).rejects.toThrow(/not a class folder/);
    await expect(moveToClass(root, log, { path: 'red/link.jpg', toClass: 'blue' })).rejects.toThrow(/not a regular file/);
    await expect(moveToClass(root, log, { path: 'red/red_0.jpg', toClass: 'red' })).rejects.toThrow(/already in class/);
    expect(await readFixLog(log)).toEqual([]);
  });
});

describe('exclusions', () => {
  it('are left out of the scan, the split and the checks, listed, and restorable', async () => {
    const root = await makeColourDataset(path.join(base, 'exclude'), 12);
    const file = exclusionsFile(path.join(base, 'exclude-state'));
    const full = await scanDataset(root);
    const out = ['red/red_3.png', 'green/green_0.jpg'];
    const list = await excludeFiles(file, out.map((p) => ({ path: p, reason: 'test' })));
    expect(list.map((e) => e.path)).toEqual([...out].sort());
    expect(await readExclusions(file)).toEqual(list);

    const scanned = await scanDataset(root, { exclude: exclusionFilter(list) });
    expect(scanned.imageCount).toBe(full.imageCount - 2);
    for (const p of out) expect(paths(scanned)).not.toContain(p);
    expect(scanned.issues.filter((i) => i.code === 'EXCLUDED').map((i) => path.relative(root, i.path).split(path.sep).join('/')).sort()).toEqual([...out].sort());
    // The split: every other image keeps its set, and the counts add up without the excluded ones.
    const splitOf = new Map(full.classes.flatMap((c) => c.images.map((i) => [i.relativePath, i.split])));
    for (const c of scanned.classes) {
      expect(c.counts.train + c.counts.validation + c.counts.test).toBe(c.images.length);
      for (const image of c.images) expect(image.split).toBe(splitOf.get(image.relativePath));
    }
    // The checks (and training: it takes the same Dataset) never see them.
    const features = scanned.classes.flatMap((c, label) => c.images.map(() => Float32Array.from([label === 0 ? 1 : 0, label === 1 ? 1 : 0, label === 2 ? 1 : 0, 0.1])));
    const report = await runHealthChecks(healthInputFromDataset(scanned, features, 4), { stepsPerFold: 20 });
    expect(report.images).toBe(full.imageCount - 2);
    expect(report.balance.classes.reduce((n, c) => n + c.total, 0)).toBe(full.imageCount - 2);

    const restored = await restoreFiles(file, ['red/red_3.png']);
    expect(restored.map((e) => e.path)).toEqual(['green/green_0.jpg']);
    const again = await scanDataset(root, { exclude: exclusionFilter(restored) });
    expect(again.imageCount).toBe(full.imageCount - 1);
    expect(paths(again)).toContain('red/red_3.png');
  });

  it('refuses paths that are not dataset-relative', async () => {
    const file = exclusionsFile(path.join(base, 'bad-state'));
    await expect(excludeFiles(file, [{ path: '../x.jpg' }])).rejects.toThrow(/not a file of the dataset/);
    await expect(excludeFiles(file, [{ path: 'x.jpg' }])).rejects.toThrow(/<class>\/<file>/);
  });
});

describe('two processes fixing one dataset at once', () => {
  it('lose no move and no exclusion', async () => {
    const root = await makeColourDataset(path.join(base, 'race'), 8);
    const state = path.join(base, 'race-state');
    const reds = Array.from({ length: 8 }, (_, i) => `red/red_${i}.${i % 2 ? 'png' : 'jpg'}`);
    const greens = Array.from({ length: 8 }, (_, i) => `green/green_${i}.${i % 2 ? 'png' : 'jpg'}`);
    await Promise.all([run(['move', root, state, 'blue', ...reds]), run(['move', root, state, 'blue', ...greens])]);
    const log = await readFixLog(fixLogFile(state));
    expect(log.map((f) => f.from).sort()).toEqual([...reds, ...greens].sort());
    expect(new Set(log.map((f) => f.id)).size).toBe(16);
    const scanned = await scanDataset(root);
    expect(scanned.classes.find((c) => c.name === 'blue')!.images.length).toBe(24);

    const blues = (await readdir(path.join(root, 'blue'))).map((n) => `blue/${n}`);
    await Promise.all([run(['exclude', state, ...blues.slice(0, 12)]), run(['exclude', state, ...blues.slice(12)])]);
    expect((await readExclusions(exclusionsFile(state))).map((e) => e.path)).toEqual([...blues].sort());
  }, 120_000);
});
