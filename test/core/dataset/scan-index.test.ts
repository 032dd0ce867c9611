/**
 * The scan index: a rescan takes unchanged files' results from the index (proved by planting
 * a recognisable hash in it) and reads again every file whose content, mtime or ctime changed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanDataset, type Dataset } from '../../../src-main/core/dataset/index.js';
import { makeTempDir, solid, truncatedJpeg } from '../images/fixtures.js';

let tmp: string;
let cleanup: () => Promise<void>;
let root: string;
let indexFile: string;

const colour = (i: number): { r: number; g: number; b: number } => ({ r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 });
const jpeg = (i: number): Promise<Buffer> => solid(12, 10, colour(i)).jpeg().toBuffer();
const put = async (relativePath: string, content: Buffer | string): Promise<void> => {
  const abs = path.join(root, relativePath);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
};
const hashOf = (d: Dataset, relativePath: string): string | undefined =>
  d.classes.flatMap((c) => c.images).find((image) => image.relativePath === relativePath)?.contentHash;
const sha256 = async (relativePath: string): Promise<string> => createHash('sha256').update(await readFile(path.join(root, relativePath))).digest('hex');
// libvips' wording of a decode error varies from call to call (its error buffer is shared), so issues compare without messages.
const withoutTime = (d: Dataset): unknown => ({ ...d, scannedAt: undefined, issues: d.issues.map(({ message: _message, ...rest }) => rest) });
const FAKE = 'f'.repeat(64);

/** Rewrites the stored hash of one file, so a result served from the index is recognisable. */
async function plant(relativePath: string): Promise<void> {
  const stored = JSON.parse(await readFile(indexFile, 'utf8')) as { entries: Record<string, { result: { contentHash: string } }> };
  stored.entries[path.join(root, relativePath)].result.contentHash = FAKE;
  await writeFile(indexFile, JSON.stringify(stored));
}

beforeAll(async () => {
  ({ dir: tmp, cleanup } = await makeTempDir('scan-index'));
  root = path.join(tmp, 'photos');
  indexFile = path.join(tmp, 'data', 'scan-index', 'photos.json');
  for (let i = 0; i < 4; i++) await put(`cats/cat${i}.jpg`, await jpeg(i));
  for (let i = 0; i < 4; i++) await put(`dogs/dog${i}.jpg`, await jpeg(10 + i));
  await put('dogs/broken.jpg', await truncatedJpeg());
  await put('dogs/notes.jpg', 'text');
});

afterAll(async () => {
  await cleanup();
});

describe('scan index', () => {
  it('a first scan with an index gives exactly the result of a scan without one, and writes the index', async () => {
    const plain = await scanDataset(root);
    const indexed = await scanDataset(root, { indexFile });
    expect(withoutTime(indexed)).toEqual(withoutTime(plain));
    const stored = JSON.parse(await readFile(indexFile, 'utf8')) as { entries: Record<string, { result: { ok: boolean; code?: string } }> };
    expect(Object.keys(stored.entries).sort()).toEqual(
      ['cats/cat0.jpg', 'cats/cat1.jpg', 'cats/cat2.jpg', 'cats/cat3.jpg', 'dogs/broken.jpg', 'dogs/dog0.jpg', 'dogs/dog1.jpg', 'dogs/dog2.jpg', 'dogs/dog3.jpg', 'dogs/notes.jpg'].map((p) => path.join(root, p)),
    );
    expect(stored.entries[path.join(root, 'dogs/broken.jpg')].result).toMatchObject({ ok: false, code: 'CORRUPT' });
  });

  it('a rescan takes unchanged files from the index without reading them', async () => {
    await plant('cats/cat1.jpg');
    const again = await scanDataset(root, { indexFile });
    expect(hashOf(again, 'cats/cat1.jpg')).toBe(FAKE); // only the index knows this value
    expect(hashOf(again, 'cats/cat2.jpg')).toBe(await sha256('cats/cat2.jpg'));
    expect(again.issues.find((issue) => issue.path.endsWith('broken.jpg'))?.code).toBe('CORRUPT');
  });

  it('a changed file is read again: new content, or an mtime set back (the ctime still differs)', async () => {
    await scanDataset(root, { indexFile });
    await plant('cats/cat1.jpg');
    await put('cats/cat1.jpg', await jpeg(50)); // same size is likely; mtime and ctime change
    const edited = await scanDataset(root, { indexFile });
    expect(hashOf(edited, 'cats/cat1.jpg')).toBe(await sha256('cats/cat1.jpg'));

    // Same inode, same size, mtime set back to the very nanosecond (a whole second): only the ctime tells.
    const cat1 = path.join(root, 'cats/cat1.jpg');
    await utimes(cat1, 1_700_000_000, 1_700_000_000);
    await scanDataset(root, { indexFile });
    await plant('cats/cat1.jpg');
    const bytes = await readFile(cat1);
    const ino = (await stat(cat1)).ino;
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(cat1, bytes);
    await utimes(cat1, 1_700_000_000, 1_700_000_000); // like touch -d / rsync -t
    expect([(await stat(cat1)).ino, (await stat(cat1, { bigint: true })).mtimeNs]).toEqual([ino, 1_700_000_000_000_000_000n]);
    const backdated = await scanDataset(root, { indexFile });
    expect(hashOf(backdated, 'cats/cat1.jpg')).toBe(await sha256('cats/cat1.jpg'));
  });

  it('files gone from the dataset drop out of the index; a damaged index is ignored and rewritten', async () => {
    await rm(path.join(root, 'dogs/notes.jpg'));
    await scanDataset(root, { indexFile });
    const stored = JSON.parse(await readFile(indexFile, 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(stored.entries)).not.toContain(path.join(root, 'dogs/notes.jpg'));
    expect(Object.keys(stored.entries)).toHaveLength(9);

    await writeFile(indexFile, '{"version": 1, "entries": {"x": ');
    const fresh = await scanDataset(root, { indexFile });
    expect(fresh.imageCount).toBe(8);
    expect(Object.keys((JSON.parse(await readFile(indexFile, 'utf8')) as { entries: object }).entries)).toHaveLength(9);

    // An entry of the wrong shape (e.g. a hand-edited hash) is not trusted.
    const stored2 = JSON.parse(await readFile(indexFile, 'utf8')) as { entries: Record<string, { result: { contentHash: string } }> };
    stored2.entries[path.join(root, 'cats/cat0.jpg')].result.contentHash = '../../etc/passwd';
    await writeFile(indexFile, JSON.stringify(stored2));
    const checked = await scanDataset(root, { indexFile });
    expect(hashOf(checked, 'cats/cat0.jpg')).toBe(await sha256('cats/cat0.jpg'));
  });

  it('size-cap refusals are not remembered: raising the cap takes effect on the next scan', async () => {
    const strict = await scanDataset(root, { indexFile, maxImageBytes: 100 });
    expect(strict.imageCount).toBe(0);
    const relaxed = await scanDataset(root, { indexFile });
    expect(relaxed.imageCount).toBe(8);
  });

  it('a rescan of unchanged files leaves the index file as it is (no per-file work, no rewrite)', async () => {
    await scanDataset(root, { indexFile });
    const before = await stat(indexFile, { bigint: true });
    const again = await scanDataset(root, { indexFile });
    const after = await stat(indexFile, { bigint: true });
    expect(again.imageCount).toBe(8);
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    // A change is still written.
    await rm(path.join(root, 'cats/cat2.jpg'));
    await scanDataset(root, { indexFile });
    expect(Object.keys((JSON.parse(await readFile(indexFile, 'utf8')) as { entries: object }).entries)).not.toContain(path.join(root, 'cats/cat2.jpg'));
  });
});
