/**
 * Labelling a folder from the app (the contract's labelFolder) on real photos from ../shared
 * (skipped, with a note, when absent): it agrees with single-image classify on every photo,
 * a corrupt file gets its error row, the CSV is the CLI's, thumbnails of the folder may be
 * read, and a cancel stops it early with the rows done so far.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../../src-main/api/service.js';
import type { EventPayload, LabelFolderResult, RunSummary } from '../../src-main/api/contract.js';
import { validateRequest } from '../../src-main/api/validate.js';
import { CORRUPT_JPEG } from '../core/classify/folder-fixtures.js';
import { parseCsv } from '../helpers/csv.js';
import { tempDir } from '../helpers/fixtures.js';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';

if (!hasShared) console.warn('label-folder.test: ../shared is absent — real MobileNetV2/flowers folder labelling skipped.');

const CLASSES = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'];

/** `dir/<class>/<first n photos of the class>` copied from the shared flowers (into a temp folder). */
async function flowerSubset(dir: string, perClass: number, offset = 0): Promise<string> {
  for (const name of CLASSES) {
    const source = sharedPath('datasets', 'flower_photos_small', name);
    const files = (await readdir(source)).filter((f) => f.endsWith('.jpg')).sort().slice(offset, offset + perClass);
    await mkdir(path.join(dir, name), { recursive: true });
    for (const file of files) await copyFile(path.join(source, file), path.join(dir, name, file));
  }
  return dir;
}

describe.skipIf(!hasShared)('labelFolder on real photos (MobileNetV2 0.35, a trained run)', () => {
  let service: Service;
  let runId: string;
  let folder: string;
  let many: string;
  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('label-folder-api');
    service = await createService({ dataDir: path.join(base, 'data') });
    await service.updateSettings({ featureEngine: 'tfjs' });
    const train = await flowerSubset(path.join(base, 'train'), 6);
    const dataset = await service.openDataset({ path: train, testPercent: 20, validationPercent: 20 });
    const model = await service.importModel({ path: sharedPath('models', 'mobilenet_v2_0.35_224'), spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } } });
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 40, evalStepInterval: 20, testingPercentage: 20, validationPercentage: 20 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    // Photos the run never saw, nested one level deeper, plus a corrupt one and a text file.
    folder = path.join(base, 'to-label');
    await flowerSubset(path.join(folder, 'batch'), 3, 10);
    await writeFile(path.join(folder, 'batch', 'roses', 'broken.jpg'), CORRUPT_JPEG);
    await writeFile(path.join(folder, 'notes.txt'), 'not an image');
    many = await flowerSubset(path.join(base, 'many'), 8, 20);
  }, 600_000);
  afterAll(async () => service?.close());

  it('agrees with classify on every photo (to 1e-5), gives the corrupt file its error row, and exports the CLI\'s CSV', async () => {
    const progress: EventPayload<'labelFolder.progress'>[] = [];
    const off = service.on('labelFolder.progress', (p) => progress.push(p));
    // The request as a client sends it passes the boundary's validator.
    const result = await service.labelFolder(validateRequest('labelFolder', { path: folder, runId, topK: 5 }));
    off();
    expect(result).toMatchObject({ total: 16, skipped: 1, cancelled: false, topK: 5, labels: CLASSES });
    // Listing order (by folder, then name in code-unit order), as the CLI writes it.
    const paths = result.rows.map((r) => r.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toContain('batch/roses/broken.jpg');
    const broken = result.rows.find((r) => r.path === 'batch/roses/broken.jpg');
    expect(broken?.predictions).toEqual([]);
    expect(broken?.error).toMatch(/broken\.jpg/);
    expect(progress.at(-1)).toMatchObject({ root: result.root, done: 16, total: 16, failed: 1, etaMs: 0 });
    console.info(`labelFolder: ${result.total} photos in ${result.durationMs.toFixed(0)} ms (${result.imagesPerSecond.toFixed(1)} images/s, ${result.engine})`);

    let worst = 0;
    for (const row of result.rows.filter((r) => !r.error)) {
      const alone = await service.classify({ runId, image: { path: path.join(result.root, row.path) }, topK: 5 });
      expect(row.predictions.map((p) => p.label), row.path).toEqual(alone.predictions.map((p) => p.label));
      row.predictions.forEach((p, i) => (worst = Math.max(worst, Math.abs(p.probability - alone.predictions[i].probability))));
    }
    console.info(`labelFolder vs classify: max |Δp| = ${worst.toExponential(2)} over ${result.rows.length - 1} photos`);
    expect(worst).toBeLessThan(1e-5);

    const csv = await service.exportLabelFolderCsv({ jobId: result.jobId });
    expect(csv).toMatchObject({ fileName: 'to-label-labels.csv', mimeType: 'text/csv' });
    expect(csv.text.endsWith('\r\n')).toBe(true);
    const table = parseCsv(csv.text);
    expect(table[0]).toEqual(['path', ...[1, 2, 3, 4, 5].flatMap((i) => [`label_${i}`, `probability_${i}`]), 'error']);
    expect(table.length).toBe(17);
    for (const [i, row] of result.rows.entries()) {
      const cells = table[i + 1];
      expect(cells[0]).toBe(row.path);
      if (row.error) expect(cells.slice(1, 11).every((c) => c === '') && cells[11] === row.error).toBe(true);
      else expect(Number(cells[2])).toBe(row.predictions[0].probability);
    }
    // The labelled folder is readable by the image route (thumbnails), not its parent.
    await expect(service.access.resolveReadable(path.join(result.root, result.rows[1].path))).resolves.toBeTruthy();
    await expect(service.access.resolveReadable(path.join(many, 'daisy'))).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  }, 300_000);

  it('stops after the batch in progress when cancelled, with the rows done; refuses a missing folder and an unknown job', async () => {
    const cancelledAt: number[] = [];
    const off = service.on('labelFolder.progress', (p) => {
      if (p.done > 0 && cancelledAt.length === 0) {
        cancelledAt.push(p.done);
        void service.cancelLabelFolder({ path: many });
      }
    });
    let result: LabelFolderResult;
    try {
      // 40 photos in batches of 8: the cancel after the first batch lands well before the end.
      result = await service.labelFolder({ path: many, runId, topK: 2 });
    } finally {
      off();
    }
    expect(result.cancelled).toBe(true);
    expect(result.rows.length).toBeGreaterThan(0);
    expect(result.rows.length).toBeLessThan(result.total);
    expect(await service.cancelLabelFolder({ path: many })).toEqual({ cancelled: false });
    await expect(service.labelFolder({ path: path.join(folder, 'missing'), runId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.exportLabelFolderCsv({ jobId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(() => validateRequest('labelFolder', { path: folder })).toThrow(/exactly one of runId or modelId/);
  }, 300_000);
});
