/**
 * Issue 10, item 8 in Chromium against the real service: a browser user of `serve` on another
 * machine uploads a folder of real photos with the directory picker, it opens as a dataset,
 * trains, and the export comes back as a zip and the scalars as CSV and JSON. A drop of loose
 * files says what to drop instead. Screenshots go to test-results/screenshots/ and /tmp/shots/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTinyBackbone } from '../helpers/fixtures.js';
import { hasShared, sharedPath } from '../helpers/tf.js';
import { dismissToasts, hasChromium, importModel, startApp, waitForRunStatus, type App } from './helpers.js';
import { shotsBothThemes } from './shots.js';

const FLOWERS = sharedPath('datasets', 'flower_photos_small');

describe.skipIf(!hasChromium || !hasShared)('upload and download from a browser (item 8)', () => {
  let app: App;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => app?.close());

  it('uploads a folder of class folders with the directory picker; it is stored under the data folder and opens as a dataset', async () => {
    const { page } = app;
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload folder…' }).click();
    await (await chooser).setFiles(FLOWERS);
    const summary = page.getByTestId('dataset-summary');
    await summary.waitFor({ timeout: 120_000 });
    const root = path.join(app.baseDir, 'data', 'uploads', 'flower_photos_small');
    await expect(summary.getAttribute('data-root')).resolves.toBe(root);
    await expect(page.getByRole('status').filter({ hasText: 'Uploaded' }).textContent()).resolves.toBe(`Uploaded 200 images to ${root}; 1 file that is not an image left out.`);
    await expect(summary.getByText('Ready to train').count()).resolves.toBe(1);
    await expect(page.getByRole('heading', { level: 3 }).allTextContents()).resolves.toEqual(['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    // The bytes arrived whole.
    const first = 'daisy/' + (await import('node:fs/promises').then((fs) => fs.readdir(path.join(FLOWERS, 'daisy'))))[0];
    expect((await readFile(path.join(root, first))).equals(await readFile(path.join(FLOWERS, first)))).toBe(true);
    await shotsBothThemes(page, 'dataset-uploaded');
  }, 180_000);

  it('a drop of loose files (no folder) says to drop the folder of class folders', async () => {
    const { page } = app;
    await page.getByTestId('dataset-dropzone').evaluate((zone) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array([0xff, 0xd8, 0xff])], '1.jpg', { type: 'image/jpeg' }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await expect(page.getByRole('status').filter({ hasText: 'loose files' }).textContent()).resolves.toMatch(/drop the folder that holds one sub-folder per class/);
  });

  it('trains on the uploaded photos, then downloads the export as a zip and the scalars as CSV and JSON', async () => {
    const { page } = app;
    await importModel(page, await makeTinyBackbone(path.join(app.baseDir, 'tiny')), 'Tiny backbone');
    await page.locator('#hp-howManyTrainingSteps').fill('20');
    await page.locator('#hp-evalStepInterval').fill('10');
    await page.getByTestId('nav-train').click();
    await page.getByRole('main').getByRole('button', { name: 'Train', exact: true }).click();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'], 170_000)).toBe('completed');
    await page.getByRole('button', { name: 'See results' }).click();
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const dir = ((await page.getByLabel('Folder', { exact: true }).textContent({ timeout: 60_000 })) ?? '').trim();
    expect(dir).toContain(path.join(app.baseDir, 'data', 'exports'));
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download .zip' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${path.basename(dir)}.zip`);
    const entries = unzipSync(new Uint8Array(await readFile((await download.path())!)));
    const names = Object.keys(entries).map((n) => n.split('/').slice(1).join('/')).sort();
    expect(names).toEqual(expect.arrayContaining(['labels.txt', 'metadata.json', 'model.json']));
    expect(Buffer.from(entries[`${path.basename(dir)}/labels.txt`]).toString()).toBe('daisy\ndandelion\nroses\nsunflowers\ntulips\n');
    await shotsBothThemes(page, 'results-export');

    await page.getByTestId('nav-runs').click();
    for (const [label, pattern] of [['Download CSV', /^step|,/], ['Download JSON', /^[[{]/]] as const) {
      const next = page.waitForEvent('download');
      await page.getByRole('button', { name: label }).click();
      const file = await next;
      expect(file.suggestedFilename()).toBe(label.endsWith('CSV') ? 'scalars.csv' : 'scalars.json');
      expect((await readFile((await file.path())!, 'utf8')).trimStart()).toMatch(pattern);
    }
    await dismissToasts(page);
    expect(app.consoleErrors).toEqual([]);
  }, 240_000);
});
