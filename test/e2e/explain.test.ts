/**
 * The browser view of "why this prediction" and calibration, against the real service on
 * ../shared (skipped with a note without it or without Chromium): a run trained on the flower
 * photos shows its reliability diagram with ECE before/after on Results, and Classify draws an
 * occlusion heat map over a photo with the method named. Screenshots, light and dark, go to
 * /tmp/shots/explain-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/api/contract.js';
import { hasShared, sharedPath } from '../helpers/tf.js';
import { dismissToasts, hasChromium, startApp, type App } from './helpers.js';

const SHOTS = '/tmp/shots';
if (!hasShared || !hasChromium) console.warn('explain e2e: needs ../shared and Chromium — skipped.');

describe.skipIf(!hasShared || !hasChromium)('browser: heat map and reliability diagram', () => {
  let app: App;
  let run: RunSummary;
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    app = await startApp();
    const { service } = app;
    await service.updateSettings({ featureEngine: 'tfjs' });
    const dataset = await service.openDataset({ path: sharedPath('datasets', 'flower_photos_small'), validationPercent: 25, testPercent: 20 });
    const model = await service.importModel({ path: sharedPath('models', 'mobilenet_v2_0.35_224'), spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } } });
    let runId: string | undefined;
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (r) => r.id === runId && resolve(r)));
    ({ runId } = await service.startTraining({ datasetId: dataset.id, name: 'flowers calibrated', config: { architecture: model.id, validationPercentage: 25, testingPercentage: 20, howManyTrainingSteps: 500, evalStepInterval: 250 } }));
    run = await done;
    expect(run.status, run.error).toBe('completed');
  }, 600_000);
  afterAll(async () => app?.close());

  const shoot = async (testid: string, name: string): Promise<void> => {
    await dismissToasts(app.page);
    await app.page.getByTestId(testid).screenshot({ path: `${SHOTS}/explain-${name}.png` });
  };

  it('shows the reliability diagram and an occlusion heat map, in light and dark themes', async () => {
    const { page } = app;
    for (const theme of ['light', 'dark'] as const) {
      if (theme === 'dark') {
        await page.getByTestId('theme-toggle').click();
        await expect(page.evaluate(() => document.documentElement.dataset.theme)).resolves.toBe('dark');
      }
      await page.getByTestId('nav-results').click();
      await page.getByTestId('results-run').selectOption({ label: new RegExp('flowers calibrated') as unknown as string }).catch(() => {});
      const reliability = page.getByTestId('reliability');
      await reliability.waitFor({ timeout: 60_000 });
      await expect(reliability.getByTestId('temperature').textContent()).resolves.toMatch(/^T = \d+\.\d{3}$/);
      await expect(reliability.getByTestId('ece-validation').textContent()).resolves.toMatch(/validation \(\d+\).*%.*%/);
      await reliability.locator('xpath=..').scrollIntoViewIfNeeded();
      await page.locator('.card', { has: reliability }).screenshot({ path: `${SHOTS}/explain-reliability-${theme}.png` });

      await page.getByTestId('nav-classify').click();
      if (theme === 'light') {
        await page.getByTestId('classify-file').setInputFiles(sharedPath('datasets', 'flower_photos_small', 'sunflowers', (await import('node:fs')).readdirSync(sharedPath('datasets', 'flower_photos_small', 'sunflowers')).filter((f) => f.endsWith('.jpg'))[0]));
        await page.getByTestId('predictions').waitFor({ timeout: 60_000 });
      }
      // The view was left and re-entered: the heat map is asked for again.
      await page.getByTestId('explain-button').click();
      await page.getByTestId('heat-map-canvas').waitFor({ timeout: 120_000 });
      await expect(page.getByTestId('heat-map-method').textContent()).resolves.toMatch(/^Occlusion sensitivity for /);
      await shoot('classify-result', `heatmap-${theme}`);
    }
    expect(app.consoleErrors.filter((message) => !/Failed to load resource/.test(message))).toEqual([]);
  }, 600_000);
});
