/**
 * The exclusion list made in the app (the service) is respected by the CLI's `audit` and
 * `retrain` on the same data folder: the built CLI as a child process, synthetic photos and a
 * tiny backbone.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src-main/api/service.js';
import { assertBuilt, cli } from '../cli/helpers.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';

let base: string;
beforeAll(() => assertBuilt());
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

describe('exclusions in the CLI', () => {
  it('audit and retrain leave out what the app excluded', async () => {
    base = await tempDir('health-cli');
    const root = await makeColourDataset(path.join(base, 'colours'), 10);
    const backbone = await makeTinyBackbone(path.join(base, 'backbone'));
    const dataDir = path.join(base, 'data');
    const excluded = ['red/red_2.jpg', 'blue/blue_5.png'];
    const service = await createService({ dataDir });
    try {
      const { id } = await service.openDataset({ path: root });
      expect((await service.excludeImages({ datasetId: id, paths: excluded })).dataset.imageCount).toBe(28);
    } finally {
      await service.close();
    }

    const report = path.join(base, 'report.json');
    const audit = await cli(['audit', '--image_dir', root, '--model_dir', backbone, '--data_dir', dataDir, '--folds', '2', '--output_json', report]);
    expect(audit.stderr).toBe('');
    expect(audit.code).toBe(0);
    expect(audit.stdout).toContain('3 classes, 28 images');
    expect(audit.stdout).toContain('(2 excluded in Data health)');
    const json = JSON.parse(await readFile(report, 'utf8'));
    expect(json.images).toBe(28);
    expect(json.balance.classes.reduce((n: number, c: { total: number }) => n + c.total, 0)).toBe(28);

    const retrain = await cli(['retrain', '--image_dir', root, '--model_dir', backbone, '--data_dir', dataDir, '--how_many_training_steps', '5']);
    expect(retrain.code).toBe(0);
    expect(retrain.stdout).toMatch(/3 classes, 28 images \(blue 9, green 10, red 9\)/);
  }, 300_000);
});
