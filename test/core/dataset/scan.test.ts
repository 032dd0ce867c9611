import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertTrainable,
  labelFor,
  resplit,
  scanDataset,
  type Dataset,
  type DatasetIssue,
} from '../../../src-main/core/dataset/index.js';
import { CoreError } from '../../../src-main/core/errors.js';
import { BLUE, formatFixtures, makeTempDir, RED, solid, truncatedJpeg, twoColour } from '../images/fixtures.js';
import { hasShared, sharedPath } from '../../helpers/tf.js';

let tmp: string;
let cleanup: () => Promise<void>;
let root: string;
let dataset: Dataset;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const put = async (relativePath: string, content: Buffer | string): Promise<void> => {
  const abs = path.join(root, relativePath);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, content);
};
const issuesAt = (d: Dataset, relativePath: string): DatasetIssue[] => d.issues.filter((issue) => issue.path === path.join(d.root, relativePath));
const codeAt = (d: Dataset, relativePath: string): string[] => issuesAt(d, relativePath).map((issue) => issue.code);
const colour = (i: number): { r: number; g: number; b: number } => ({ r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 });
const jpeg = (i: number): Promise<Buffer> => solid(12, 10, colour(i)).jpeg().toBuffer();

beforeAll(async () => {
  ({ dir: tmp, cleanup } = await makeTempDir('scan'));
  root = path.join(tmp, 'photos');
  for (let i = 0; i < 4; i++) await put(`cats/cat${i}.jpg`, await jpeg(i));
  await put('cats/nested/deeper/cat9.png', await twoColour(20, 10, 5, RED, BLUE).png().toBuffer());
  await put('cats/copy-of-cat0.jpg', await jpeg(0)); // duplicate within the class
  await put('cats/.DS_Store', 'mac junk');
  await put('cats/Thumbs.db', 'windows junk');
  await put('cats/empty.jpg', Buffer.alloc(0));
  await put('cats/truncated.jpg', await truncatedJpeg());
  await put('cats/notes.jpg', 'just text, not a JPEG');
  await symlink('..', path.join(root, 'cats/nested/loop')); // points back at cats/
  for (let i = 10; i < 13; i++) await put(`dogs/dog${i}.jpg`, await jpeg(i));
  await put('dogs/looks-like-cat.jpg', await jpeg(1)); // duplicate across classes
  await put('birds/only.png', await solid(8, 8, RED).png().toBuffer());
  await put('Fancy-Name_2/a.jpg', await jpeg(20));
  await put('Fancy-Name_2/b.jpg', await jpeg(21));
  const fixtures = await formatFixtures();
  for (const [name, fixture] of Object.entries(fixtures)) await put(`formats/${name}`, fixture.bytes);
  await put('formats/rotated.jpg', await twoColour(30, 20, 15, RED, BLUE).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  await put('README.txt', 'put your photos in folders');
  await put('.git/config', '[core]');
  await put('__MACOSX/cats/._cat0.jpg', 'resource fork');
  dataset = await scanDataset(root);
});

afterAll(async () => {
  await cleanup();
});

describe('scanDataset', () => {
  it('finds one class per sub-folder, sorted, with retrain.py labels', () => {
    expect(dataset.root).toBe(root);
    expect(dataset.classes.map((c) => c.name)).toEqual(['Fancy-Name_2', 'birds', 'cats', 'dogs', 'formats']);
    expect(dataset.classes.map((c) => c.label)).toEqual(['fancy name 2', 'birds', 'cats', 'dogs', 'formats']);
    expect(labelFor('Sun flowers!!')).toBe('sun flowers ');
    expect(labelFor('Crème-brûlée')).toBe('cr me br l e');
  });

  it('includes images from nested folders and skips junk with a code', () => {
    const cats = dataset.classes.find((c) => c.name === 'cats')!;
    expect(cats.images.map((image) => image.relativePath)).toEqual([
      'cats/cat0.jpg',
      'cats/cat1.jpg',
      'cats/cat2.jpg',
      'cats/cat3.jpg',
      'cats/copy-of-cat0.jpg',
      'cats/nested/deeper/cat9.png',
    ]);
    expect(codeAt(dataset, 'cats/.DS_Store')).toEqual(['HIDDEN']);
    expect(codeAt(dataset, 'cats/Thumbs.db')).toEqual(['HIDDEN']);
    expect(codeAt(dataset, 'cats/empty.jpg')).toEqual(['EMPTY_FILE']);
    expect(codeAt(dataset, 'cats/truncated.jpg')).toEqual(['CORRUPT']);
    expect(codeAt(dataset, 'cats/notes.jpg')).toEqual(['NOT_IMAGE']);
    expect(codeAt(dataset, 'cats/nested/loop')).toEqual(['LINK_REPEAT']);
    expect(codeAt(dataset, 'README.txt')).toEqual(['NOT_IN_CLASS']);
    expect(codeAt(dataset, '.git')).toEqual(['HIDDEN']);
    expect(codeAt(dataset, '__MACOSX')).toEqual(['HIDDEN']);
    for (const issue of issuesAt(dataset, 'cats/truncated.jpg')) {
      expect(issue.severity).toBe('skipped');
      expect(issue.message).toContain('cats/truncated.jpg');
      expect(issue.message).toContain('truncated');
    }
    expect(dataset.imageCount).toBe(2 + 1 + 6 + 4 + 10);
  });

  it('accepts every supported format, recognised by content, with oriented sizes', () => {
    const formats = dataset.classes.find((c) => c.name === 'formats')!;
    const byName = Object.fromEntries(formats.images.map((image) => [path.basename(image.path), image]));
    expect(Object.keys(byName).sort()).toEqual(
      ['animated.gif', 'cmyk.jpg', 'deep.png', 'grey.png', 'rotated.jpg', 'solid.avif', 'solid.jpg', 'solid.tiff', 'solid.webp', 'transparent.png'],
    );
    expect(byName['solid.avif'].format).toBe('avif');
    expect(byName['solid.webp'].format).toBe('webp');
    expect(byName['solid.tiff'].format).toBe('tiff');
    expect(byName['animated.gif'].format).toBe('gif');
    expect([byName['rotated.jpg'].widthPx, byName['rotated.jpg'].heightPx]).toEqual([20, 30]);
  });

  it('hashes file contents (sha256) and records sizes', async () => {
    const image = dataset.classes.find((c) => c.name === 'dogs')!.images[0];
    const bytes = await readFile(image.path);
    expect(image.contentHash).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(image.bytes).toBe(bytes.length);
    expect(path.isAbsolute(image.path)).toBe(true);
  });

  it('reports duplicates within and across classes', () => {
    expect(dataset.duplicates.map((d) => d.paths.map((p) => path.relative(root, p)))).toEqual([
      ['cats/cat0.jpg', 'cats/copy-of-cat0.jpg'],
      ['cats/cat1.jpg', 'dogs/looks-like-cat.jpg'],
    ]);
    expect(codeAt(dataset, 'cats/copy-of-cat0.jpg')).toEqual(['DUPLICATE']);
    expect(codeAt(dataset, 'dogs/looks-like-cat.jpg')).toEqual(['DUPLICATE_ACROSS_CLASSES']);
    const cats = dataset.classes.find((c) => c.name === 'cats')!;
    expect(cats.images[0].split).toBe(cats.images[4].split); // copies share a split
  });

  it('flags classes with too few images', () => {
    expect(codeAt(dataset, 'birds')).toEqual(['TOO_FEW_IMAGES']);
    expect(issuesAt(dataset, 'birds')[0].severity).toBe('error');
    expect(codeAt(dataset, 'cats')).toEqual(['FEW_IMAGES']);
    expect(issuesAt(dataset, 'cats')[0].severity).toBe('warning');
  });

  it('gives every class of 3+ photos non-empty train, validation and test sets', () => {
    for (const c of dataset.classes.filter((cls) => cls.images.length >= 4)) {
      expect(c.counts.validation, c.name).toBeGreaterThan(0);
      expect(c.counts.test, c.name).toBeGreaterThan(0);
      expect(c.counts.train, c.name).toBeGreaterThan(0);
      expect(c.counts.train + c.counts.validation + c.counts.test).toBe(c.images.length);
    }
  });

  it('assertTrainable lists the errors', () => {
    const error = (() => {
      try {
        assertTrainable(dataset);
      } catch (e) {
        return e as CoreError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CoreError);
    expect(error?.code).toBe('DATASET_INVALID');
    expect(error?.message).toContain('"birds"');
    expect(error?.message).toContain('at least 2');
  });

  it('resplit is pure and matches a fresh scan with the same percentages', async () => {
    const before = JSON.stringify(dataset);
    const changed = resplit(dataset, 30, 30);
    expect(JSON.stringify(dataset)).toBe(before);
    expect(changed.validationPercent).toBe(30);
    const fresh = await scanDataset(root, { validationPercent: 30, testPercent: 30 });
    const splits = (d: Dataset): string[] => d.classes.flatMap((c) => c.images.map((image) => `${image.relativePath}:${image.split}`));
    expect(splits(changed)).toEqual(splits(fresh));
    expect(changed.classes.map((c) => c.counts)).toEqual(fresh.classes.map((c) => c.counts));
    expect(() => resplit(dataset, 70, 40)).toThrow(CoreError);
  });

  it('reports progress and can be cancelled', async () => {
    const seen: [number, number][] = [];
    await scanDataset(root, { onProgress: (done, total) => seen.push([done, total]) });
    // Files inside class folders that are not hidden: cats 9, dogs 4, birds 1, Fancy-Name_2 2, formats 10.
    expect(seen[0]).toEqual([0, 26]);
    expect(seen[seen.length - 1]).toEqual([26, 26]);
    expect(seen.map(([done]) => done)).toEqual(Array.from({ length: 27 }, (_, i) => i));
    const controller = new AbortController();
    controller.abort();
    await expect(scanDataset(root, { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it.skipIf(isRoot)('skips unreadable files', async () => {
    const locked = path.join(root, 'dogs', 'locked.jpg');
    await writeFile(locked, await jpeg(40));
    await chmod(locked, 0o000);
    try {
      const d = await scanDataset(root);
      expect(codeAt(d, 'dogs/locked.jpg')).toEqual(['UNREADABLE']);
    } finally {
      await chmod(locked, 0o644);
      await import('node:fs/promises').then((fs) => fs.rm(locked));
    }
  });
});

describe('scanDataset layout errors', () => {
  it('NO_CLASSES explains the expected layout; assertTrainable says DATASET_EMPTY', async () => {
    const flat = path.join(tmp, 'flat');
    await mkdir(flat);
    await writeFile(path.join(flat, 'a.jpg'), await jpeg(1));
    const d = await scanDataset(flat);
    expect(d.classes).toEqual([]);
    const error = d.issues.find((issue) => issue.code === 'NO_CLASSES');
    expect(error?.severity).toBe('error');
    expect(error?.message).toContain('<class name>');
    expect(codeAt(d, 'a.jpg')).toEqual(['NOT_IN_CLASS']);
    expect(() => assertTrainable(d)).toThrow(expect.objectContaining({ code: 'DATASET_EMPTY' }));
  });

  it('SINGLE_CLASS when only one class folder exists', async () => {
    const single = path.join(tmp, 'single');
    await mkdir(path.join(single, 'only'), { recursive: true });
    for (let i = 0; i < 3; i++) await writeFile(path.join(single, 'only', `${i}.jpg`), await jpeg(i));
    const d = await scanDataset(single);
    expect(d.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.code)).toEqual(['SINGLE_CLASS']);
    expect(() => assertTrainable(d)).toThrow(expect.objectContaining({ code: 'DATASET_INVALID' }));
  });

  it('throws NOT_FOUND for a missing folder and INVALID_ARGUMENT for a file', async () => {
    await expect(scanDataset(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(scanDataset(path.join(root, 'README.txt'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(scanDataset(root, { validationPercent: 80, testPercent: 30 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('split stability', () => {
  it('moving and renaming the dataset folder keeps every split and hash', async () => {
    const original = path.join(tmp, 'stable');
    for (const cls of ['a', 'b']) {
      for (let i = 0; i < 25; i++) {
        await mkdir(path.join(original, cls, i % 2 ? 'sub' : ''), { recursive: true });
        await writeFile(path.join(original, cls, i % 2 ? 'sub' : '', `p${i}_nohash_${i % 3}.jpg`), await jpeg(i + (cls === 'a' ? 0 : 100)));
      }
    }
    const before = await scanDataset(original, { validationPercent: 20, testPercent: 20 });
    const moved = path.join(tmp, 'elsewhere', 'renamed-dataset');
    await mkdir(path.dirname(moved), { recursive: true });
    await rename(original, moved);
    const after = await scanDataset(moved, { validationPercent: 20, testPercent: 20 });
    const summary = (d: Dataset): string[] => d.classes.flatMap((c) => c.images.map((image) => `${image.relativePath} ${image.split} ${image.contentHash}`));
    expect(after.root).toBe(moved);
    expect(summary(after)).toEqual(summary(before));
    expect(new Set(after.classes[0].images.map((image) => image.split)).size).toBe(3);
  });
});

describe.skipIf(!hasShared)('real flower photos (../shared)', () => {
  it('scans 5 classes × 40 images; LICENSE.txt is reported as not in a class', async () => {
    const flowers = await scanDataset(sharedPath('datasets', 'flower_photos_small'));
    expect(flowers.classes.map((c) => [c.name, c.images.length])).toEqual([
      ['daisy', 40],
      ['dandelion', 40],
      ['roses', 40],
      ['sunflowers', 40],
      ['tulips', 40],
    ]);
    expect(flowers.issues.map((issue) => [path.basename(issue.path), issue.code])).toEqual([['LICENSE.txt', 'NOT_IN_CLASS']]);
    for (const c of flowers.classes) {
      expect(c.counts.validation).toBeGreaterThan(0);
      expect(c.counts.test).toBeGreaterThan(0);
      expect(c.images.every((image) => image.format === 'jpeg' && image.widthPx > 0)).toBe(true);
    }
    expect(() => assertTrainable(flowers)).not.toThrow();
  });
});
