/**
 * Data health in Chromium against the real service, on real flower photos and the shared
 * MobileNetV2: run the audit (cancel once, then to the end), move a suspect to its suggested
 * class and undo it, exclude a photo and restore it — on disk, in the fix log, in the
 * dataset's counts. Screenshots of the view in both themes go to test-results/screenshots/
 * and /tmp/shots/health-*.png.
 */
import { access, copyFile, mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/api/contract.js';
import { hasShared, sharedPath } from '../helpers/tf.js';
import { hasChromium, importModel, openDataset, screenshot, startApp, type App } from './helpers.js';

const SHOTS = '/tmp/shots';
const exists = (file: string): Promise<boolean> => access(file).then(() => true, () => false);

async function shot(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, name);
  await mkdir(SHOTS, { recursive: true });
  await copyFile(file, path.join(SHOTS, `${name}.png`));
}

/** Waits until the element with `testid` contains `text` (the view updates when the service answered). */
const waitText = (page: Page, testid: string, text: string | RegExp) => page.getByTestId(testid).filter({ hasText: text }).first().waitFor({ timeout: 120_000 });

describe.skipIf(!hasChromium || !hasShared)('Data health view', () => {
  let app: App;
  let root: string;
  let rose: string;

  beforeAll(async () => {
    app = await startApp();
    root = path.join(app.baseDir, 'flowers');
    // 20 photos per class (100 in all) keep the audit and its reruns short on a busy machine.
    const source = sharedPath('datasets', 'flower_photos_small');
    for (const cls of (await readdir(source, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)) {
      await mkdir(path.join(root, cls), { recursive: true });
      for (const name of (await readdir(path.join(source, cls))).sort().slice(0, 20)) await copyFile(path.join(source, cls, name), path.join(root, cls, name));
    }
    // Two daisies filed under tulips, and copies of a rose: something to find.
    for (const name of (await readdir(path.join(root, 'daisy'))).sort().slice(5, 7)) await rename(path.join(root, 'daisy', name), path.join(root, 'tulips', name));
    rose = (await readdir(path.join(root, 'roses'))).sort()[3];
    await writeFile(path.join(root, 'roses', `copy-${rose}`), await sharp(path.join(root, 'roses', rose)).resize(200).jpeg({ quality: 70 }).toBuffer());
    // And the same rose, byte for byte, filed under sunflowers: a conflicting duplicate whatever the features say.
    await copyFile(path.join(root, 'roses', rose), path.join(root, 'sunflowers', `rose-${rose}`));
    // TF.js in a worker: no ONNX conversion, so the time goes to the audit itself.
    await app.service.updateSettings({ featureEngine: 'tfjs' });
  }, 120_000);
  afterAll(async () => app?.close());

  it('runs the audit with progress and cancel, moves a suspect and undoes it, excludes a photo and restores it', async () => {
    const { page } = app;
    expect(await openDataset(page, root)).toBe('summary');
    await importModel(page, sharedPath('models', 'mobilenet_v2_0.35_224'), 'MobileNetV2 shared');
    await page.getByRole('button', { name: /Data health/ }).click();
    await page.getByRole('heading', { name: 'Data health', level: 1 }).waitFor();

    // Start, see progress, cancel.
    await page.getByRole('button', { name: 'Run the audit', exact: true }).click();
    await page.getByTestId('health-progress').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await waitText(page, 'health-notice', 'Audit cancelled');

    // Then to the end.
    await page.getByRole('button', { name: 'Run the audit', exact: true }).click();
    await page.getByTestId('health-stats').waitFor({ timeout: 300_000 });
    await page.getByTestId('health-item').first().waitFor();
    const suspects = page.getByTestId('health-suspects').getByTestId('health-item');
    expect(await suspects.count()).toBeGreaterThan(0);
    await waitText(page, 'health-duplicates', `sunflowers/rose-${rose}`);
    await page.getByTestId('health-balance').waitFor();
    // The images are drawn (the image route serves the dataset's files).
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="health-suspects"] img')].some((img) => (img as HTMLImageElement).naturalWidth > 0), null, { timeout: 30_000 });
    await shot(page, 'health-light');
    await page.getByTestId('theme-toggle').click();
    await shot(page, 'health-dark');
    await page.getByTestId('theme-toggle').click();

    // Move the top suspect to the class it looks like.
    const first = suspects.first();
    const suspectPath = (await first.getAttribute('data-path'))!;
    const moveButton = first.getByRole('button', { name: new RegExp(`^Move ${suspectPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to (?!the chosen)`) });
    const suggested = (await moveButton.textContent())!.replace('Move to ', '').trim();
    const before = Number(await page.getByTestId('health-stats').locator('.stat').first().locator('.value').textContent());
    await moveButton.click();
    await waitText(page, 'health-notice', `Moved ${suspectPath} to ${suggested}`);
    const movedTo = path.join(root, suggested, path.basename(suspectPath));
    expect(await exists(movedTo)).toBe(true);
    expect(await exists(path.join(root, ...suspectPath.split('/')))).toBe(false);
    await waitText(page, 'health-moves', `${suspectPath} → ${suggested}/`);
    await waitText(page, 'health-bottlenecks', /0 from cache, 0 computed, \d+ reused/);
    await expect(page.getByTestId('health-suspects').locator(`[data-path="${suspectPath}"]`).count()).resolves.toBe(0);
    await shot(page, 'health-after-move');

    // Undo it.
    await page.getByRole('button', { name: `Undo move of ${suspectPath}` }).click();
    await waitText(page, 'health-notice', 'Move undone');
    expect(await exists(path.join(root, ...suspectPath.split('/')))).toBe(true);
    expect(await exists(movedTo)).toBe(false);
    await waitText(page, 'health-moves', 'undone');

    // Exclude an outlier (or, without one, another suspect), then restore it.
    const candidate = (await page.getByTestId('health-outliers').getByTestId('health-item').count()) > 0
      ? page.getByTestId('health-outliers').getByTestId('health-item').first()
      : suspects.nth(1);
    const excludedPath = (await candidate.getAttribute('data-path'))!;
    await candidate.getByRole('button', { name: `Exclude ${excludedPath}` }).click();
    await waitText(page, 'health-notice', `Excluded ${excludedPath}`);
    await waitText(page, 'health-excluded', excludedPath);
    await waitText(page, 'health-stats', new RegExp(`(^|\\D)${before - 1}\\s*images checked`));
    expect(await exists(path.join(root, ...excludedPath.split('/')))).toBe(true);
    await page.getByTestId('nav-dataset').click();
    await expect(page.getByTestId('dataset-image-count').textContent()).resolves.toBe(String(before - 1));
    await page.getByRole('button', { name: /Data health/ }).click();
    await shot(page, 'health-excluded');

    await page.getByRole('button', { name: `Restore ${excludedPath}` }).click();
    await waitText(page, 'health-notice', `Restored ${excludedPath}`);
    await waitText(page, 'health-excluded', 'Excluded (0)');
    await page.getByTestId('nav-dataset').click();
    await expect(page.getByTestId('dataset-image-count').textContent()).resolves.toBe(String(before));
    // Results' misclassified images open the same actions: train a barely started run (every bottleneck cached; one tiny step, so it still gets many test images wrong), send its mistakes here, exclude one.
    const finished = new Promise<RunSummary>((resolve) => {
      const off = app.service.on('run.finished', (r) => (off(), resolve(r)));
    });
    // The page's dataset id: ids are stable per folder, so opening it again here gives the same.
    const { id: datasetId } = await app.service.openDataset({ path: root });
    await app.service.startTraining({ datasetId, config: { architecture: (await app.service.listModels({})).find((m) => m.name === 'MobileNetV2 shared')!.id, howManyTrainingSteps: 1, learningRate: 0.00001 } });
    const run = await finished;
    expect(run.phases).toMatchObject({ bottlenecksComputed: 0 });
    await page.getByTestId('nav-results').click();
    await page.getByTestId('results-run').selectOption(run.id);
    await page.locator(`[data-testid="results-summary"][data-run-id="${run.id}"]`).waitFor({ timeout: 60_000 });
    await page.getByTestId('fix-in-health').click();
    const focusItem = page.getByTestId('health-focus').getByTestId('health-item').first();
    await focusItem.waitFor();
    const fromResults = (await focusItem.getAttribute('data-path'))!;
    await focusItem.getByRole('button', { name: `Exclude ${fromResults}` }).click();
    await waitText(page, 'health-notice', `Excluded ${fromResults}`);
    await waitText(page, 'health-excluded', fromResults);
    await page.getByRole('button', { name: `Restore ${fromResults}` }).click();
    await waitText(page, 'health-notice', `Restored ${fromResults}`);
    await waitText(page, 'health-excluded', 'Excluded (0)');

    // The one 409 is the cancelled audit's answer (CANCELLED travels as HTTP 409); nothing else went wrong.
    expect(app.consoleErrors.filter((e) => !e.includes('status of 409'))).toEqual([]);
  }, 900_000);
});
