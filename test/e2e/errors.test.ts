/**
 * Browser journeys where something goes wrong, against the real service: a folder without
 * class folders, a corrupt image inside a class (listed with its reason; training still
 * works), and a run cancelled while it trains. Synthetic colour images and a tiny generated
 * backbone keep it fast. Screenshots go to test-results/screenshots/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeColourDataset, makeTinyBackbone } from '../helpers/fixtures.js';
import { hasChromium, importModel, openDataset, screenshot, setHyperparameter, startApp, waitForRunStatus, type App } from './helpers.js';

describe.skipIf(!hasChromium)('browser error journeys', () => {
  let app: App;
  let datasetRoot: string;

  beforeAll(async () => {
    app = await startApp({ colorScheme: 'dark' });
    datasetRoot = await makeColourDataset(path.join(app.baseDir, 'colours'), 12);
    await writeFile(path.join(datasetRoot, 'red', 'corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3, 4]));
    const modelDir = await makeTinyBackbone(path.join(app.baseDir, 'tiny-model'));
    await importModel(app.page, modelDir, 'Tiny backbone');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('says why a folder without class folders cannot be used, and why a missing one cannot be opened', async () => {
    const { page } = app;
    const flat = path.join(app.baseDir, 'flat');
    await mkdir(flat, { recursive: true });
    await writeFile(path.join(flat, 'notes.txt'), 'no class folders here');
    expect(await openDataset(page, flat)).toBe('summary');
    await expect(page.getByTestId('dataset-blocking').textContent()).resolves.toMatch(/no class folders/i);
    await expect(page.getByTestId('dataset-trainable').textContent()).resolves.toMatch(/Cannot train/);
    await expect(page.getByTestId('dataset-issue').filter({ hasText: 'notes.txt' }).count()).resolves.toBe(1);
    await page.getByTestId('nav-train').click();
    await expect(page.getByTestId('train-button').isDisabled()).resolves.toBe(true);
    await expect(page.getByTestId('train-blocker').textContent()).resolves.toMatch(/errors/);
    await screenshot(page, '20-error-no-classes');

    expect(await openDataset(page, path.join(app.baseDir, 'does-not-exist'))).toBe('error');
    // Shown once, as one readable toast naming the folder.
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(1);
    await expect(page.getByTestId('toast-error').textContent()).resolves.toContain('does-not-exist');
    await screenshot(page, '21-error-missing-folder', { keepToasts: true });
  });

  it('lists a corrupt image with its reason, and still trains', async () => {
    const { page } = app;
    expect(await openDataset(page, datasetRoot)).toBe('summary');
    const issue = page.getByTestId('dataset-issue').filter({ hasText: 'corrupt.jpg' });
    await expect(issue.count()).resolves.toBe(1);
    expect((await issue.textContent())?.replace('corrupt.jpg', '').trim().length ?? 0).toBeGreaterThan(10);
    await page.getByTestId('issue-filter').fill('corrupt');
    await expect(page.getByTestId('dataset-issue').count()).resolves.toBe(1);
    await expect(page.getByTestId('dataset-trainable').textContent()).resolves.toContain('Ready to train');
    await screenshot(page, '22-error-corrupt-image');

    await setHyperparameter(page, 'howManyTrainingSteps', '40');
    await setHyperparameter(page, 'evalStepInterval', '10');
    await page.getByTestId('nav-train').click();
    await page.getByTestId('train-button').click();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'])).toBe('completed');
    await expect(page.getByTestId('run-test-accuracy').textContent()).resolves.toMatch(/%$/);
  }, 240_000);

  it('cancels a long run while it trains', async () => {
    const { page } = app;
    await setHyperparameter(page, 'howManyTrainingSteps', '500000');
    await page.getByTestId('nav-train').click();
    await page.getByTestId('run-name').fill('to cancel');
    await page.getByTestId('train-button').click();
    // Bottlenecks are cached from the previous run, so training starts quickly.
    await page.getByTestId('training-progress').waitFor({ timeout: 60_000 });
    await page.getByTestId('cancel-button').click();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'], 60_000)).toBe('cancelled');
    await expect(page.getByTestId('run-finished').textContent()).resolves.toMatch(/cancelled/);
    await expect(page.getByTestId('train-button').isEnabled()).resolves.toBe(true);
    // Cancelling is not an error: no error toast.
    await expect(page.getByTestId('toast-error').count()).resolves.toBe(0);
    await screenshot(page, '23-cancelled-run');
  });
});
