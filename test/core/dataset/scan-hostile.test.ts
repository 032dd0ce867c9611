/**
 * The scan on folders a careless user or an attacker could open: FIFOs and devices in class
 * folders, files of 2 GiB or more, symbolic links between classes and out of the dataset,
 * folders with too many files, and a cancel in the middle of the walk.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, readFile, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanDataset, type Dataset, type DatasetIssue } from '../../../src-main/core/dataset/index.js';
import { CoreError } from '../../../src-main/core/errors.js';
import { makeTempDir, solid } from '../images/fixtures.js';
import { hasShared, sharedPath } from '../../helpers/tf.js';

const canMkfifo = process.platform !== 'win32';
let tmp: string;
let cleanup: () => Promise<void>;
const fifos: string[] = [];

const colour = (i: number): { r: number; g: number; b: number } => ({ r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 });
const jpeg = (i: number): Promise<Buffer> => solid(12, 10, colour(i)).jpeg().toBuffer();
const put = async (abs: string, content: Buffer | string): Promise<void> => {
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
};
const issuesAt = (d: Dataset, relativePath: string): DatasetIssue[] => d.issues.filter((issue) => issue.path === path.join(d.root, relativePath));
const codeAt = (d: Dataset, relativePath: string): string[] => issuesAt(d, relativePath).map((issue) => issue.code);
const imagesOf = (d: Dataset, name: string): string[] => d.classes.find((c) => c.name === name)?.images.map((image) => image.relativePath) ?? [];

/** Releases a reader wrongly blocked in open() on a FIFO (see hostile-files.test.ts). */
function releaseFifos(): void {
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waiting.
    }
  }
}
const mkfifo = (abs: string): void => {
  execFileSync('mkfifo', [abs]);
  fifos.push(abs);
};

beforeAll(async () => {
  ({ dir: tmp, cleanup } = await makeTempDir('scan-hostile'));
});

afterAll(async () => {
  releaseFifos();
  await cleanup();
});

describe.skipIf(!canMkfifo)('special files', () => {
  it('a FIFO named x.jpg in a class (or linked, or at the top) is SPECIAL_FILE and never opened', async () => {
    const root = path.join(tmp, 'fifo');
    for (let i = 0; i < 3; i++) await put(path.join(root, 'cats', `cat${i}.jpg`), await jpeg(i));
    for (let i = 0; i < 3; i++) await put(path.join(root, 'dogs', `dog${i}.jpg`), await jpeg(10 + i));
    mkfifo(path.join(root, 'cats', 'x.jpg'));
    mkfifo(path.join(root, 'top.jpg'));
    await symlink('x.jpg', path.join(root, 'cats', 'y.jpg'));
    // A watchdog, not a timing assert: it only unsticks a wrongly blocked open, which then fails below.
    const watchdog = setInterval(releaseFifos, 1000);
    let d: Dataset;
    try {
      d = await scanDataset(root);
    } finally {
      clearInterval(watchdog);
    }
    expect(codeAt(d, 'cats/x.jpg')).toEqual(['SPECIAL_FILE']);
    expect(codeAt(d, 'cats/y.jpg')).toEqual(['SPECIAL_FILE']);
    expect(codeAt(d, 'top.jpg')).toEqual(['SPECIAL_FILE']);
    const [issue] = issuesAt(d, 'cats/x.jpg');
    expect(issue.severity).toBe('skipped');
    expect(issue.message).toContain('cats/x.jpg');
    expect(issue.message).toContain('named pipe (FIFO)');
    expect(issue.message).toContain('Remove it');
    expect(imagesOf(d, 'cats')).toEqual(['cats/cat0.jpg', 'cats/cat1.jpg', 'cats/cat2.jpg']);
  });
});

describe('huge files', () => {
  it('a 2.1 GiB file starting with JPEG magic is one TOO_LARGE issue; the scan and the process go on', async () => {
    const root = path.join(tmp, 'huge');
    for (let i = 0; i < 3; i++) await put(path.join(root, 'cats', `cat${i}.jpg`), await jpeg(i));
    for (let i = 0; i < 3; i++) await put(path.join(root, 'dogs', `dog${i}.jpg`), await jpeg(10 + i));
    const huge = path.join(root, 'cats', 'scan.jpg');
    await put(huge, await jpeg(99));
    await truncate(huge, Math.floor(2.1 * 1024 ** 3)); // sparse: costs no disk
    const big = path.join(root, 'dogs', 'movie.jpg');
    await put(big, 'not an image');
    await truncate(big, 300 * 1024 * 1024);

    const d = await scanDataset(root);
    expect(codeAt(d, 'cats/scan.jpg')).toEqual(['TOO_LARGE']);
    expect(issuesAt(d, 'cats/scan.jpg')[0].message).toMatch(/^cats\/scan\.jpg: it is 2150\.4 MiB, over the 256\.0 MiB limit for one image\. .*raise the limit\.$/);
    expect(codeAt(d, 'dogs/movie.jpg')).toEqual(['NOT_IMAGE']);
    expect(d.imageCount).toBe(6);

    // The cap is configurable: lowered below a real photo's size, every photo is TOO_LARGE.
    const strict = await scanDataset(root, { maxImageBytes: 100 });
    expect(codeAt(strict, 'cats/cat0.jpg')).toEqual(['TOO_LARGE']);
    expect(strict.imageCount).toBe(0);
    await expect(scanDataset(root, { maxImageBytes: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it.skipIf(!hasShared)('a normal folder gives the same images, hashes (sha256 of the bytes) and splits as before', async () => {
    const flowers = await scanDataset(sharedPath('datasets', 'flower_photos_small'));
    expect(flowers.imageCount).toBe(200);
    for (const image of flowers.classes.flatMap((c) => c.images)) {
      const bytes = await readFile(image.path);
      expect(image.contentHash).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(image.bytes).toBe(bytes.length);
    }
    // Recorded on main before this change: split counts per class and a digest of every row.
    const rows = flowers.classes.flatMap((c) => c.images.map((image) => `${image.relativePath} ${image.split} ${image.contentHash} ${image.widthPx}x${image.heightPx}`));
    expect(flowers.classes.map((c) => [c.name, c.counts.train, c.counts.validation, c.counts.test])).toEqual(FLOWER_COUNTS);
    expect(createHash('sha256').update(rows.join('\n')).digest('hex')).toBe(FLOWER_DIGEST);
  });
});

describe('symbolic links', () => {
  let root: string;
  let outside: string;
  let d: Dataset;
  beforeAll(async () => {
    root = path.join(tmp, 'links');
    outside = path.join(tmp, 'outside');
    for (let i = 0; i < 3; i++) await put(path.join(root, 'daisy', `d${i}.jpg`), await jpeg(i));
    await put(path.join(root, 'daisy', 'sub', 'd3.jpg'), await jpeg(3));
    for (let i = 0; i < 3; i++) await put(path.join(root, 'roses', `r${i}.jpg`), await jpeg(20 + i));
    await put(path.join(outside, 'o.jpg'), await jpeg(40));
    await symlink('daisy', path.join(root, 'aa-alias')); // sorts before daisy
    await symlink(outside, path.join(root, 'zz-outside'));
    await symlink('../roses', path.join(root, 'daisy', 'link-to-roses'));
    await symlink('../roses/r0.jpg', path.join(root, 'daisy', 'rose.jpg'));
    await symlink('d0.jpg', path.join(root, 'daisy', 'same-class.jpg'));
    await symlink('sub', path.join(root, 'daisy', 'a-sub-alias')); // sorts before sub
    await symlink(path.join(outside, 'o.jpg'), path.join(root, 'daisy', 'outside.jpg'));
    await symlink(outside, path.join(root, 'daisy', 'outside-folder'));
    await symlink('..', path.join(root, 'roses', 'all'));
    await symlink('nowhere.jpg', path.join(root, 'roses', 'broken.jpg'));
    d = await scanDataset(root);
  });

  it('class folders are the real top-level folders: a linked class folder is LINK_CLASS, and real daisy keeps its images', () => {
    expect(d.classes.map((c) => c.name)).toEqual(['daisy', 'roses']);
    expect(codeAt(d, 'aa-alias')).toEqual(['LINK_CLASS']);
    expect(issuesAt(d, 'aa-alias')[0].message).toContain('class "daisy"');
    expect(codeAt(d, 'zz-outside')).toEqual(['LINK_CLASS']);
    expect(codeAt(d, 'daisy')).not.toContain('LINK_REPEAT');
    expect(imagesOf(d, 'daisy')).toEqual(['daisy/d0.jpg', 'daisy/d1.jpg', 'daisy/d2.jpg', 'daisy/same-class.jpg', 'daisy/sub/d3.jpg']);
    expect(imagesOf(d, 'roses')).toEqual(['roses/r0.jpg', 'roses/r1.jpg', 'roses/r2.jpg']);
  });

  it('a link from one class into another (folder or file) is LINK_OTHER_CLASS and not followed', () => {
    expect(codeAt(d, 'daisy/link-to-roses')).toEqual(['LINK_OTHER_CLASS']);
    expect(codeAt(d, 'daisy/rose.jpg')).toEqual(['LINK_OTHER_CLASS']);
    expect(codeAt(d, 'roses/all')).toEqual(['LINK_OTHER_CLASS']);
    const message = issuesAt(d, 'daisy/link-to-roses')[0].message;
    expect(message).toContain('class "roses"');
    expect(message).toContain('Copy the images into daisy');
    expect(d.duplicates.some((group) => group.paths.some((p) => p.includes('rose.jpg')))).toBe(false);
  });

  it('a link within its class is used (a linked file counts as a copy); links out of the dataset are LINK_OUTSIDE', () => {
    expect(codeAt(d, 'daisy/same-class.jpg')).toEqual(['DUPLICATE']);
    expect(codeAt(d, 'daisy/a-sub-alias')).toEqual(['LINK_REPEAT']); // the real sub/ keeps its paths
    expect(codeAt(d, 'daisy/outside.jpg')).toEqual(['LINK_OUTSIDE']);
    expect(codeAt(d, 'daisy/outside-folder')).toEqual(['LINK_OUTSIDE']);
    expect(issuesAt(d, 'daisy/outside.jpg')[0].message).toContain('outside the dataset folder');
    expect(codeAt(d, 'roses/broken.jpg')).toEqual(['UNREADABLE']);
    expect(d.classes.flatMap((c) => c.images).every((image) => !image.path.startsWith(outside))).toBe(true);
  });
});

describe('bounds: file limit, cancel, progress', () => {
  let root: string;
  beforeAll(async () => {
    root = path.join(tmp, 'many');
    await put(path.join(root, 'a', 'real0.jpg'), await jpeg(0));
    await put(path.join(root, 'b', 'real1.jpg'), await jpeg(1));
    // 1,200 empty files: cheap, and enough for several walk-progress reports.
    for (let i = 0; i < 1200; i++) await put(path.join(root, i % 2 ? 'a' : 'b', `f${String(i).padStart(4, '0')}.jpg`), '');
  });

  it('more than maxFiles files and folders is TOO_LARGE, naming the limit and how to raise it', async () => {
    const error = await scanDataset(root, { maxFiles: 1000 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('TOO_LARGE');
    expect((error as CoreError).message).toContain('more than 1,000 files and folders');
    expect((error as CoreError).message).toContain('raise the limit (maxFiles)');
    expect((error as CoreError).details).toMatchObject({ maxFiles: 1000 });
    const all = await scanDataset(root, { maxFiles: 1204 }); // 2 folders + 1,202 files
    expect(all.imageCount).toBe(2);
    await expect(scanDataset(root, { maxFiles: 1203 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(scanDataset(root, { maxFiles: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('scanning / stops at the limit', async () => {
    await expect(scanDataset('/', { maxFiles: 2000 })).rejects.toMatchObject({ code: 'TOO_LARGE', details: { path: '/', maxFiles: 2000 } });
  });

  it('reports progress during the walk, then during the checks', async () => {
    const walk: [number, number][] = [];
    const checks: number[] = [];
    await scanDataset(root, {
      onWalkProgress: (entries, files) => walk.push([entries, files]),
      onProgress: (done) => {
        if (checks.length === 0) expect(walk.length).toBeGreaterThan(0); // the walk reported first
        checks.push(done);
      },
    });
    expect(walk.map(([entries]) => entries)).toEqual([500, 1000, 1204]);
    expect(walk[walk.length - 1][1]).toBe(1202);
    expect(walk.every(([entries, files], i) => files <= entries && (i === 0 || files >= walk[i - 1][1]))).toBe(true);
    expect(checks[checks.length - 1]).toBe(1202);
  });

  it('a cancel during the walk rejects with CANCELLED before any file is checked', async () => {
    const controller = new AbortController();
    let checked = 0;
    const scan = scanDataset(root, {
      signal: controller.signal,
      onWalkProgress: () => controller.abort(),
      onProgress: () => checked++,
    });
    await expect(scan).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(checked).toBe(0);
  });
});

/** Per class: name, train, validation, test, from a scan on main before this change. */
const FLOWER_COUNTS: [string, number, number, number][] = [
  ['daisy', 35, 3, 2],
  ['dandelion', 31, 5, 4],
  ['roses', 34, 3, 3],
  ['sunflowers', 32, 3, 5],
  ['tulips', 29, 6, 5],
];
/** sha256 of every "relativePath split contentHash WxH" row, from a scan on main before this change. */
const FLOWER_DIGEST = 'e631540020bff73093c694e8975557a015c594da2e31c7071adaf195ad9bfd99';
