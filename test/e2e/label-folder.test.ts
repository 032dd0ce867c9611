/**
 * Label a folder in Chromium (serve + the built renderer) on real flower photos with a run on
 * MobileNetV2 0.35: type the path, label, watch progress and cancel, then the table (least
 * certain first, filters, thumbnails, the unreadable file's row) and the CSV download.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRUPT_JPEG } from '../core/classify/folder-fixtures.js';
import { parseCsv } from '../helpers/csv.js';
import { hasShared } from '../helpers/tf.js';
import { hasChromium, startApp, type App } from './helpers.js';
import { axeViolations, flowerSubset, trainFlowerRun } from './label-fixtures.js';
import { mkdir } from 'node:fs/promises';

const SHOTS = '/tmp/shots';
if (!hasChromium || !hasShared) console.warn(`label-folder e2e skipped: ${!hasChromium ? 'no Chromium' : '../shared is absent'}.`);

const percent = (text: string): number => Number.parseFloat(text.replace('%', ''));

describe.skipIf(!hasChromium || !hasShared)('Label a folder (Chromium)', () => {
  let app: App;
  let folder: string;
  let many: string;
  beforeAll(async () => {
    app = await startApp();
    await trainFlowerRun(app.service, await flowerSubset(path.join(app.baseDir, 'train'), 6));
    folder = await flowerSubset(path.join(app.baseDir, 'photos'), 3, 10);
    await writeFile(path.join(folder, 'roses', 'broken.jpg'), CORRUPT_JPEG);
    many = await flowerSubset(path.join(app.baseDir, 'many'), 40);
    await mkdir(SHOTS, { recursive: true });
    // The run finished while the page was open; a reload lists it as it would after a restart.
    await app.page.reload();
    await app.page.getByTestId('view-dataset').waitFor();
  }, 600_000);
  afterAll(async () => app?.close());

  it('labels a folder, shows the least certain first, filters, and downloads the CLI\'s CSV', async () => {
    const { page } = app;
    await page.getByRole('button', { name: /Label a folder/ }).click();
    await expect.poll(() => page.getByLabel('Label with').inputValue()).toMatch(/^run:/);

    // Cancel: the 200 shared photos; the job stops after the batch in progress.
    await page.getByLabel('Folder of images to label').fill(many);
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await expect.poll(async () => (await page.getByRole('progressbar').getAttribute('aria-valuetext')) ?? '', { timeout: 120_000 }).toMatch(/^[1-9]\d* \/ 200 images · [\d.]+ images\/s · .+ left/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('label-summary').textContent({ timeout: 120_000 })).resolves.toMatch(/^\s*Cancelled: \d+ images labelled\s+of 200/);

    await page.getByLabel('Folder of images to label').fill(folder);
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await page.getByText(/15 images labelled, 1 unreadable\s+of 16/).waitFor({ timeout: 120_000 });
    const rows = page.getByTestId('label-row');
    expect(await rows.count()).toBe(16);

    // Least certain first (the default order), the unreadable file last.
    const confidences = (await page.getByTestId('label-confidence').allTextContents()).map(percent);
    expect(confidences.length).toBe(15);
    expect(confidences).toEqual([...confidences].sort((a, b) => a - b));
    await expect(rows.last().getByTestId('label-row-error').textContent()).resolves.toMatch(/broken\.jpg/);
    // Thumbnails come through the image route for the labelled folder.
    await expect.poll(() => rows.first().locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/label-folder-light.png`, fullPage: true });
    expect(await axeViolations(page, '[data-testid="view-label"]')).toEqual([]);

    // Sort by the column header: most certain first.
    const confidenceHeader = page.getByRole('columnheader', { name: 'Confidence' });
    await expect(confidenceHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
    await page.getByRole('button', { name: 'Confidence', exact: true }).click();
    await expect(confidenceHeader.getAttribute('aria-sort')).resolves.toBe('descending');
    const descending = (await page.getByTestId('label-confidence').allTextContents()).map(percent);
    expect(descending).toEqual([...confidences].sort((a, b) => b - a));

    // Filter: one label, then a confidence floor, then the unreadable ones.
    const firstLabel = (await rows.first().locator('td strong').textContent()) as string;
    await page.getByLabel('Filter by label').selectOption(firstLabel);
    expect(new Set(await page.locator('[data-testid="label-row"] td strong').allTextContents())).toEqual(new Set([firstLabel]));
    await page.getByLabel('Filter by label').selectOption('');
    await page.getByLabel('Minimum confidence (%)').fill('50');
    const floor = (await page.getByTestId('label-confidence').allTextContents()).map(percent);
    expect(floor.every((c) => c >= 50)).toBe(true);
    expect(floor.length).toBe(confidences.filter((c) => c >= 50).length);
    await page.getByLabel('Minimum confidence (%)').fill('0');
    await page.getByLabel('Filter by label').selectOption({ label: 'Unreadable' });
    expect(await rows.count()).toBe(1);
    await page.getByLabel('Filter by label').selectOption('');

    // The CSV download is the CLI's format.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('photos-labels.csv');
    const table = parseCsv(await readFile((await download.path()) as string, 'utf8'));
    expect(table[0].slice(0, 3)).toEqual(['path', 'label_1', 'probability_1']);
    expect(table.at(0)?.at(-1)).toBe('error');
    expect(table.length).toBe(17);
    expect(table.find((r) => r[0] === 'roses/broken.jpg')?.at(-1)).toMatch(/broken\.jpg/);

    await page.getByTestId('theme-toggle').click();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await page.screenshot({ path: `${SHOTS}/label-folder-dark.png`, fullPage: true });
    expect(await axeViolations(page, '[data-testid="view-label"]')).toEqual([]);
    await page.getByTestId('theme-toggle').click();
    expect(app.consoleErrors).toEqual([]);
  }, 600_000);

  it('says what is wrong with a missing folder', async () => {
    const { page } = app;
    await page.getByLabel('Folder of images to label').fill(path.join(folder, 'nope'));
    await page.getByRole('button', { name: 'Label', exact: true }).click();
    await expect(page.getByTestId('label-error').textContent({ timeout: 30_000 })).resolves.toMatch(/nope does not exist/);
  }, 120_000);
});
