/** openDataset through the real service: bounded, cancellable with progress, and clear about what is wrong. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeColourDataset, tempDir } from '../helpers/fixtures.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { EventPayload } from '../../src-main/api/contract.js';

describe('openDataset', () => {
  let base: string;
  let datasetRoot: string;
  let service: Service;

  beforeAll(async () => {
    base = await tempDir('open-dataset');
    // 3 classes × 40 images: enough files that a cancel lands mid-scan.
    datasetRoot = await makeColourDataset(path.join(base, 'colours'), 40);
    service = await createService({ dataDir: path.join(base, 'data') });
  });
  afterAll(async () => service?.close());

  it('says whether a path is missing or a file', async () => {
    await expect(service.openDataset({ path: path.join(base, 'nope') })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('does not exist') });
    const file = path.join(base, 'file.txt');
    await writeFile(file, 'x');
    await expect(service.openDataset({ path: file })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('is a file, not a folder') });
  });

  it('reports listing, then reading progress, and opens the folder', async () => {
    const seen: EventPayload<'dataset.progress'>[] = [];
    const off = service.on('dataset.progress', (p) => seen.push(p));
    const summary = await service.openDataset({ path: datasetRoot });
    off();
    expect(summary.imageCount).toBe(120);
    const phases = seen.map((p) => p.phase);
    expect(phases).toContain('listing');
    expect(phases.at(-1)).toBe('reading');
    // Listing comes first, and reading ends with every image read.
    expect(phases.indexOf('listing')).toBeLessThan(phases.indexOf('reading'));
    expect(seen.at(-1)).toMatchObject({ done: 120, total: 120 });
  });

  it('is cancelled by cancelOpenDataset, and the folder can be opened again after', async () => {
    // A fresh data folder: no scan index, so every image is read.
    const fresh = await createService({ dataDir: path.join(base, 'data-cancel') });
    try {
      let cancelled: Promise<{ cancelled: boolean }> | undefined;
      const off = fresh.on('dataset.progress', (p) => {
        if (p.phase === 'reading' && !cancelled) cancelled = fresh.cancelOpenDataset({ path: datasetRoot });
      });
      await expect(fresh.openDataset({ path: datasetRoot })).rejects.toMatchObject({ code: 'CANCELLED' });
      off();
      expect(await cancelled).toEqual({ cancelled: true });
      // Nothing is running now, and a new open starts a new scan.
      expect(await fresh.cancelOpenDataset({ path: datasetRoot })).toEqual({ cancelled: false });
      expect((await fresh.openDataset({ path: datasetRoot })).imageCount).toBe(120);
    } finally {
      await fresh.close();
    }
  });

  it('stops at the file limit with TOO_LARGE naming it', async () => {
    const bounded = await createService({ dataDir: path.join(base, 'data-bounded'), maxDatasetFiles: 50 });
    try {
      await expect(bounded.openDataset({ path: datasetRoot })).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringContaining('50') });
    } finally {
      await bounded.close();
    }
  });
});
