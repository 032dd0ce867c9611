/**
 * Rechecks after a fix read features the audit did not keep from the disk cache, and never
 * compute one: synthetic photos, a tiny backbone, two service instances on one data folder
 * (an app restart).
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createService } from '../../src-main/api/service.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';

let base: string;
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe('rechecks from the disk cache', () => {
  it('a file restored after a restart comes back from the cache; one never computed is counted, not computed', async () => {
    base = await tempDir('health-recheck');
    const root = await makeColourDataset(path.join(base, 'colours'), 8);
    const backbone = await makeTinyBackbone(path.join(base, 'backbone'));
    const dataDir = path.join(base, 'data');
    const first = await createService({ dataDir });
    let modelId: string;
    try {
      await first.updateSettings({ featureEngine: 'tfjs' });
      modelId = (await first.importModel({ path: backbone })).id;
      const { id } = await first.openDataset({ path: root });
      expect((await first.runAudit({ datasetId: id, modelId, folds: 2 })).bottlenecks).toMatchObject({ computed: 24 });
      await first.excludeImages({ datasetId: id, paths: ['red/red_1.png'] });
    } finally {
      await first.close();
    }
    // A new photo, never audited, excluded before any audit sees it.
    await writeFile(path.join(root, 'green', 'extra.png'), await sharp({ create: { width: 30, height: 30, channels: 3, background: { r: 10, g: 240, b: 10 } } }).png().toBuffer());

    const second = await createService({ dataDir });
    try {
      const { id } = await second.openDataset({ path: root });
      await second.excludeImages({ datasetId: id, paths: ['green/extra.png'] });
      const audit = await second.runAudit({ datasetId: id, modelId: modelId!, folds: 2 });
      expect(audit).toMatchObject({ images: 23, excluded: 2, bottlenecks: { fromCache: 23, computed: 0 } });
      const restored = await second.restoreImages({ datasetId: id, paths: ['red/red_1.png', 'green/extra.png'] });
      expect(restored.dataset.imageCount).toBe(25);
      // red_1 from the disk cache, the new photo has no features: left out, counted, not computed.
      expect(restored.report).toMatchObject({ images: 24, excluded: 0, bottlenecks: { total: 25, reused: 23, fromCache: 1, computed: 0, failed: 1 } });
      expect((await second.getCacheInfo({})).entries).toBe(24);
    } finally {
      await second.close();
    }
  }, 300_000);
});
