import { copyFile, cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvField, folderCsv, folderJson, labelFolder, labelFolderName, listFolderImages, type FolderRow } from '../../../src-main/core/classify/folder.js';
import { labelImage, loadLabelClassifier } from '../../../src-main/core/classify/label.js';
import type { ImageClassifier } from '../../../src-main/core/classify/index.js';
import { parseCsv } from '../../helpers/csv.js';
import { makeColourDataset, tempDir } from '../../helpers/fixtures.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { CORRUPT_JPEG, makeExport } from './folder-fixtures.js';

/** Every file below `dir`, relative with `/`, sorted. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/')).sort();
}

describe('labelling a folder (synthetic photos, an export of a tiny network)', () => {
  let exportDir: string;
  let photos: string;
  let classifier: ImageClassifier;
  const odd = ['odd/a,"quoted", name.png', 'odd/new\nline.jpg'];

  beforeAll(async () => {
    await useWasm();
    exportDir = await makeExport('folder');
    photos = path.join(await tempDir('folder-photos'), 'inbox');
    await makeColourDataset(path.join(photos, 'deep', 'er'), 3);
    await mkdir(path.join(photos, 'odd'), { recursive: true });
    await copyFile(path.join(photos, 'deep/er/red/red_1.png'), path.join(photos, odd[0]));
    await copyFile(path.join(photos, 'deep/er/blue/blue_0.jpg'), path.join(photos, odd[1]));
    await writeFile(path.join(photos, 'broken.jpg'), CORRUPT_JPEG);
    await writeFile(path.join(photos, 'notes.txt'), 'not listed');
    await writeFile(path.join(photos, '.hidden.jpg'), CORRUPT_JPEG);
    classifier = await loadLabelClassifier({ graph: exportDir });
  });

  it('lists images recursively in a stable order and skips other files', async () => {
    const { files, skipped } = await listFolderImages(photos);
    expect(files).toHaveLength(9 + 2 + 1);
    expect(files[0]).toBe('broken.jpg');
    expect(files).toContain('deep/er/green/green_2.jpg');
    expect(files).toEqual(expect.arrayContaining(odd));
    expect(skipped.sort()).toEqual(['.hidden.jpg', 'notes.txt']);
  });

  it('gives one row per image, an error row for a corrupt file, and the labels label --image gives', async () => {
    const progress: number[] = [];
    const result = await labelFolder({ classifier, imageDir: photos, topK: 2, batchSize: 4, onProgress: (p) => progress.push(p.done), progressIntervalMs: 0 });
    expect(result.cancelled).toBe(false);
    expect(result.total).toBe(12);
    expect(result.rows.map((r) => r.path)).toEqual((await listFolderImages(photos)).files);
    const broken = result.rows.find((r) => r.path === 'broken.jpg') as FolderRow;
    expect(broken.predictions).toEqual([]);
    expect(broken.error).toMatch(/broken\.jpg/);
    // Every other image: the same top 2 as labelling it alone, to 1e-5.
    for (const row of result.rows.filter((r) => r !== broken)) {
      expect(row.error).toBeUndefined();
      const alone = await labelImage({ graph: exportDir, image: path.join(photos, row.path), topK: 2 });
      expect(row.predictions.map((p) => p.label)).toEqual(alone.predictions.map((p) => p.label));
      row.predictions.forEach((p, i) => expect(Math.abs(p.probability - alone.predictions[i].probability)).toBeLessThan(1e-5));
    }
    expect(progress.at(-1)).toBe(12);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('writes RFC 4180 CSV and JSON that read back to the rows', async () => {
    const result = await labelFolder({ classifier, imageDir: photos, topK: 2 });
    const csv = folderCsv(result.rows, 2);
    const table = parseCsv(csv);
    expect(table[0]).toEqual(['path', 'label_1', 'probability_1', 'label_2', 'probability_2', 'error']);
    expect(table).toHaveLength(1 + 12);
    for (const [i, row] of result.rows.entries()) {
      const cells = table[i + 1];
      expect(cells[0]).toBe(row.path);
      if (row.error) expect(cells.slice(1)).toEqual(['', '', '', '', row.error]);
      else expect([cells[1], Number(cells[2]), cells[3], Number(cells[4]), cells[5]]).toEqual([row.predictions[0].label, row.predictions[0].probability, row.predictions[1].label, row.predictions[1].probability, '']);
    }
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    const json = JSON.parse(folderJson(result, { model: exportDir, imageDir: photos, topK: 2 }));
    expect(json).toMatchObject({ complete: true, total: 12, labelled: 11, failed: 1, topK: 2 });
    expect(json.rows).toEqual(JSON.parse(JSON.stringify(result.rows)));
  });

  it('copies each image to its label or _uncertain by the threshold, never replacing a file', async () => {
    const all = await labelFolder({ classifier, imageDir: photos });
    const tops = all.rows.filter((r) => !r.error).map((r) => r.predictions[0].probability).sort((a, b) => a - b);
    const threshold = tops[Math.floor(tops.length / 2)];
    const into = path.join(await tempDir('folder-sorted'), 'out');
    // A file already where one copy would go: it stays, the copy gets a suffix.
    const first = all.rows.find((r) => r.path === 'deep/er/red/red_0.jpg') as FolderRow;
    const firstFolder = first.predictions[0].probability >= threshold ? first.predictions[0].label : '_uncertain';
    await mkdir(path.join(into, firstFolder), { recursive: true });
    await writeFile(path.join(into, firstFolder, 'red_0.jpg'), 'already here');
    const before = await filesBelow(photos);

    const result = await labelFolder({ classifier, imageDir: photos, sort: { into, threshold } });
    expect(await filesBelow(photos)).toEqual(before); // copies: the folder is untouched
    for (const row of result.rows) {
      if (row.error) {
        expect(row.sortedTo).toBeUndefined();
        continue;
      }
      const top = row.predictions[0];
      const folder = top.probability >= threshold ? labelFolderName(top.label) : '_uncertain';
      const name = path.basename(row.path);
      expect(row.sortedTo).toBe(row === result.rows.find((r) => r.path === first.path) ? `${folder}/red_0 (1).jpg` : `${folder}/${name}`);
      expect(await readFile(path.join(into, row.sortedTo as string))).toEqual(await readFile(path.join(photos, row.path)));
    }
    expect(await readFile(path.join(into, firstFolder, 'red_0.jpg'), 'utf8')).toBe('already here');
    const uncertain = result.rows.filter((r) => r.sortedTo?.startsWith('_uncertain/'));
    expect(uncertain.length).toBeGreaterThan(0);
    expect(uncertain.length).toBeLessThan(11);
    expect(await filesBelow(into)).toHaveLength(11 + 1);
  });

  it('moves with move: true, and no file is lost', async () => {
    const work = path.join(await tempDir('folder-move'), 'inbox');
    await cp(photos, work, { recursive: true });
    const before = await filesBelow(work);
    const into = path.join(path.dirname(work), 'sorted');
    const result = await labelFolder({ classifier, imageDir: work, sort: { into, threshold: 0, move: true } });
    const after = await filesBelow(work);
    const sorted = await filesBelow(into);
    expect(after.length + sorted.length).toBe(before.length);
    // Only what was not labelled stays: the corrupt file and the files that are not images.
    expect(after).toEqual(['.hidden.jpg', 'broken.jpg', 'notes.txt']);
    // Threshold 0: every image goes to its top label's folder.
    for (const row of result.rows.filter((r) => !r.error)) expect(row.sortedTo).toBe(`${row.predictions[0].label}/${path.basename(row.path)}`);
  });

  it('refuses a sort folder inside the labelled folder, also through a link', async () => {
    await expect(labelFolder({ classifier, imageDir: photos, sort: { into: path.join(photos, 'sorted'), threshold: 0.5 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('inside the labelled folder') });
    await expect(labelFolder({ classifier, imageDir: photos, sort: { into: photos, threshold: 0.5 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const alias = path.join(await tempDir('folder-alias'), 'alias');
    await symlink(photos, alias);
    await expect(labelFolder({ classifier, imageDir: photos, sort: { into: path.join(alias, 'new', 'out'), threshold: 0.5 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(labelFolder({ classifier, imageDir: photos, sort: { into: path.join(await tempDir('folder-t'), 'o'), threshold: 1.5 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('reads only files inside the folder: a link leading out gets an error row', async () => {
    const dir = await tempDir('folder-link');
    await mkdir(path.join(dir, 'in'));
    await copyFile(path.join(photos, 'deep/er/red/red_0.jpg'), path.join(dir, 'in', 'own.jpg'));
    await copyFile(path.join(photos, 'deep/er/red/red_0.jpg'), path.join(dir, 'outside.jpg'));
    await symlink(path.join(dir, 'outside.jpg'), path.join(dir, 'in', 'link.jpg'));
    const result = await labelFolder({ classifier, imageDir: path.join(dir, 'in') });
    expect(result.rows.map((r) => [r.path, r.error === undefined])).toEqual([['link.jpg', false], ['own.jpg', true]]);
    expect(result.rows[0].error).toMatch(/outside/);
  });

  it('stops after the batch in progress when cancelled, with the rows done so far', async () => {
    const controller = new AbortController();
    const result = await labelFolder({ classifier, imageDir: photos, batchSize: 1, signal: controller.signal, progressIntervalMs: 0, onProgress: (p) => p.done >= 2 && controller.abort() });
    expect(result.cancelled).toBe(true);
    expect(result.rows.length).toBeGreaterThanOrEqual(2);
    expect(result.rows.length).toBeLessThan(12);
    const all = (await listFolderImages(photos)).files;
    expect(result.rows.map((r) => r.path)).toEqual(all.filter((f) => result.rows.some((r) => r.path === f)));
    expect(JSON.parse(folderJson(result, { model: exportDir, imageDir: photos, topK: 5 })).complete).toBe(false);
  });

  it('says what is wrong with the folder itself', async () => {
    await expect(labelFolder({ classifier, imageDir: path.join(photos, 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(labelFolder({ classifier, imageDir: path.join(photos, 'notes.txt') })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('not a folder') });
    const empty = await tempDir('folder-empty');
    await writeFile(path.join(empty, 'readme.md'), '#');
    await expect(labelFolder({ classifier, imageDir: empty })).rejects.toMatchObject({ code: 'DATASET_EMPTY' });
  });

  it('makes a safe folder name of any label', () => {
    expect(labelFolderName('daisy')).toBe('daisy');
    expect(labelFolderName('a/b\\c:d')).toBe('a_b_c_d');
    expect(labelFolderName('..')).toBe('_');
    expect(labelFolderName('')).toBe('_');
  });
});

describe.skipIf(!hasShared)('labelling real photos with real models (../shared)', () => {
  beforeAll(async () => {
    await useWasm();
  });

  it('an export on MobileNetV2 0.35 labels the flowers as label --image does, photo by photo', async () => {
    const backbone = sharedPath('models', 'mobilenet_v2_0.35_224');
    const exportDir = await makeExport('folder-mobilenet', async (dir) => cp(backbone, dir, { recursive: true }));
    const photos = path.join(await tempDir('folder-flowers'), 'flowers');
    for (const flower of ['daisy', 'roses', 'tulips']) {
      const names = (await readdir(sharedPath('datasets', 'flower_photos_small', flower))).sort().slice(0, 3);
      await mkdir(path.join(photos, flower), { recursive: true });
      for (const name of names) await copyFile(sharedPath('datasets', 'flower_photos_small', flower, name), path.join(photos, flower, name));
    }
    const classifier = await loadLabelClassifier({ graph: exportDir });
    try {
      const result = await labelFolder({ classifier, imageDir: photos, topK: 3, batchSize: 4 });
      expect(result.rows).toHaveLength(9);
      for (const row of result.rows) {
        const alone = await labelImage({ graph: exportDir, image: path.join(photos, row.path), topK: 3 });
        expect(row.predictions.map((p) => p.label)).toEqual(alone.predictions.map((p) => p.label));
        row.predictions.forEach((p, i) => expect(Math.abs(p.probability - alone.predictions[i].probability)).toBeLessThan(1e-5));
      }
    } finally {
      classifier.dispose();
    }
  });

  it('an imported classifier with labels (Darknet) labels the known photos as label --image does', async () => {
    const model = { graph: sharedPath('models', 'darknet_tiny_imagenet'), labels: sharedPath('models', 'darknet_tiny_imagenet', 'labels_darknet_order.json'), inputMean: 0, inputStd: 255 };
    const dir = sharedPath('images', 'imagenet_known');
    const classifier = await loadLabelClassifier(model);
    try {
      const result = await labelFolder({ classifier, imageDir: dir, topK: 1, batchSize: 8 });
      expect(result.rows).toHaveLength(19);
      expect(result.skipped).toContain('tags.tsv');
      for (const row of result.rows.slice(0, 6)) {
        const alone = await labelImage({ ...model, image: path.join(dir, row.path), topK: 1 });
        expect(row.predictions[0].label).toBe(alone.predictions[0].label);
        expect(Math.abs(row.predictions[0].probability - alone.predictions[0].probability)).toBeLessThan(1e-5);
      }
    } finally {
      classifier.dispose();
    }
  });
});
