/** captureImage (a webcam frame into a class folder of the open dataset): a new JPEG, never a replaced file, never outside the dataset, counts updated. */
import { mkdir, readdir, readFile, rename, symlink } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/api/service.js';
import { validateRequest } from '../../src-main/api/validate.js';
import { makeColourDataset, tempDir } from '../helpers/fixtures.js';

describe('captureImage', () => {
  let service: Service;
  let root: string;
  let outside: string;
  let frame: string;
  beforeAll(async () => {
    const base = await tempDir('capture');
    service = await createService({ dataDir: path.join(base, 'data') });
    root = await makeColourDataset(path.join(base, 'colours'), 4);
    outside = path.join(base, 'outside');
    await mkdir(outside);
    // A linked "class" that leads out of the dataset.
    await symlink(outside, path.join(root, 'linked'));
    frame = (await sharp({ create: { width: 224, height: 224, channels: 3, background: { r: 200, g: 30, b: 40 } } }).jpeg({ quality: 85 }).toBuffer()).toString('base64');
  });
  afterAll(async () => service?.close());

  it('writes a new JPEG into the class folder, twice without replacing, and returns the rescanned counts', async () => {
    const dataset = await service.openDataset({ path: root });
    const before = dataset.classes.find((c) => c.name === 'red')!.count;
    const first = await service.captureImage(validateRequest('captureImage', { datasetId: dataset.id, className: 'red', dataBase64: frame }));
    const second = await service.captureImage({ datasetId: dataset.id, className: 'red', dataBase64: frame });
    expect(path.dirname(first.path)).toBe(path.join(dataset.root, 'red'));
    expect(path.basename(first.path)).toMatch(/^webcam-\d{4}-\d\d-\d\dT[\d-]+Z(-\d+)?\.jpg$/);
    expect(second.path).not.toBe(first.path);
    expect(await readFile(first.path)).toEqual(Buffer.from(frame, 'base64'));
    expect(second.dataset.classes.find((c) => c.name === 'red')!.count).toBe(before + 2);
    expect(second.dataset.imageCount).toBe(dataset.imageCount + 2);
    // No temporary file is left behind.
    expect((await readdir(path.join(root, 'red'))).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses what is not a complete JPEG, an unknown class and a class folder linked out of the dataset', async () => {
    const dataset = await service.openDataset({ path: root });
    const png = (await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()).toString('base64');
    const truncated = Buffer.from(frame, 'base64').subarray(0, 400).toString('base64');
    await expect(service.captureImage({ datasetId: dataset.id, className: 'red', dataBase64: png })).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE' });
    await expect(service.captureImage({ datasetId: dataset.id, className: 'red', dataBase64: truncated })).rejects.toMatchObject({ code: 'IMAGE_UNREADABLE' });
    await expect(service.captureImage({ datasetId: dataset.id, className: '../red', dataBase64: frame })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.captureImage({ datasetId: 'nope', className: 'red', dataBase64: frame })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // A folder link is no class; and a class folder swapped for a link after the scan is refused.
    await expect(service.captureImage({ datasetId: dataset.id, className: 'linked', dataBase64: frame })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await rename(path.join(root, 'blue'), path.join(root, 'blue-moved'));
    await symlink(outside, path.join(root, 'blue'));
    await expect(service.captureImage({ datasetId: dataset.id, className: 'blue', dataBase64: frame })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    expect(await readdir(outside)).toEqual([]);
    expect(() => validateRequest('captureImage', { datasetId: dataset.id, className: 'red', dataBase64: 'not base64!' })).toThrow(/must be base64/);
  });
});
