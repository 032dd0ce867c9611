/**
 * Issue 10, items 10 and 11 in Chromium on the real photos, the shared MobileNetV2 and the real
 * service: any confusion-matrix cell, the diagonal too, lists its test images (thumbnail, true
 * label, prediction, probability) and has a tooltip; one opens in Classify with its true label;
 * 5-fold cross-validation over the cached bottlenecks shows mean ± spread beside the test accuracy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunDetail } from '../../src-main/api/contract.js';
import { hasShared, sharedPath } from '../helpers/tf.js';
import { hasChromium, importModel, openDataset, startApp, waitForRunStatus, type App } from './helpers.js';
import { shotsBothThemes } from './shots.js';

const FLOWERS = sharedPath('datasets', 'flower_photos_small');

describe.skipIf(!hasChromium || !hasShared)('results a user can explore (items 10, 11)', () => {
  let app: App;
  let run: RunDetail;

  beforeAll(async () => {
    app = await startApp();
    const { page } = app;
    expect(await openDataset(page, FLOWERS)).toBe('summary');
    await importModel(page, sharedPath('models', 'mobilenet_v2_0.35_224'), 'MobileNetV2 0.35');
    await page.locator('#hp-howManyTrainingSteps').fill('60');
    await page.locator('#hp-evalStepInterval').fill('30');
    await page.getByTestId('nav-train').click();
    await page.getByRole('main').getByRole('button', { name: 'Train', exact: true }).click();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'], 290_000)).toBe('completed');
    const [summary] = await app.service.listRuns({});
    run = await app.service.getRun({ runId: summary.id });
    await page.getByRole('button', { name: 'See results' }).click();
    await page.getByTestId('view-results').waitFor();
  }, 300_000);
  afterAll(async () => app?.close());

  it('a diagonal cell lists its correctly classified images; one opens in Classify with its true label', async () => {
    const { page } = app;
    const evaluation = run.evaluation!;
    const c = evaluation.classes.findIndex((_, i) => evaluation.confusion[i][i] > 0);
    const name = evaluation.classes[c];
    const count = evaluation.confusion[c][c];
    const cell = page.getByRole('button', { name: new RegExp(`^True ${name}, predicted ${name}: ${count} \\(.*show these images$`) });
    // The tooltip says what the cell holds and that it can be clicked.
    await expect(page.locator('td', { has: cell }).getAttribute('title')).resolves.toMatch(new RegExp(`^True ${name}, predicted ${name}: ${count} .*Click to see`));
    await cell.click();
    const list = page.getByTestId('misclassified');
    await expect(list.getByRole('heading', { level: 2 }).textContent()).resolves.toMatch(new RegExp(`True ${name}, predicted ${name}\\s*\\(${count}\\)`));
    const thumbs = list.getByRole('button', { name: /^Classify again / });
    await expect(thumbs.count()).resolves.toBe(count);
    // Each with its true label, the prediction and its probability, as the run recorded them.
    const expected = evaluation.predictions!.filter((p) => p.trueLabel === name && p.predictedLabel === name);
    const captions = (await list.locator('figcaption, .caption').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(captions.length).toBe(count);
    expect(captions[0]).toMatch(new RegExp(`^is ${name} said ${name} \\(${Math.round(expected[0].probability * 100)}%\\)( Fix…)?$`));
    await expect(page.getByTestId('cell-correct-note').count()).resolves.toBe(0);
    await shotsBothThemes(page, 'results-diagonal-cell');

    await thumbs.first().click();
    await page.getByTestId('view-classify').waitFor();
    await expect(page.getByTestId('classify-true-label').textContent({ timeout: 60_000 })).resolves.toMatch(new RegExp(`True label: ${name}`));
    await shotsBothThemes(page, 'classify-from-cell');
  }, 120_000);

  it('an off-diagonal cell lists the images mistaken for that class', async () => {
    const { page } = app;
    const evaluation = run.evaluation!;
    await page.getByTestId('nav-results').click();
    const wrong = evaluation.predictions!.find((p) => p.trueLabel !== p.predictedLabel);
    if (!wrong) return; // every test photo right: nothing off the diagonal to click
    const count = evaluation.predictions!.filter((p) => p.trueLabel === wrong.trueLabel && p.predictedLabel === wrong.predictedLabel).length;
    await page.getByRole('button', { name: new RegExp(`^True ${wrong.trueLabel}, predicted ${wrong.predictedLabel}: ${count} `) }).click();
    const list = page.getByTestId('misclassified');
    await expect(list.getByRole('button', { name: /^Classify again / }).count()).resolves.toBe(count);
    await expect(list.textContent()).resolves.toContain(`said ${wrong.predictedLabel}`);
  });

  it('5-fold cross-validation over the cached bottlenecks gives mean ± spread beside the test accuracy', async () => {
    const { page } = app;
    await page.getByTestId('nav-results').click();
    await page.getByRole('button', { name: 'Cross-validate (5-fold)' }).click();
    const box = page.getByTestId('cross-validation');
    await box.getByText('5-fold cross-validation').waitFor({ timeout: 120_000 });
    await expect(box.getByTestId('cv-mean').textContent()).resolves.toMatch(/^\d+\.\d%\s±\s\d+\.\d%$/);
    await expect(box.getByTestId('cv-detail').textContent()).resolves.toMatch(/^\s*200 images, each held out once · 95 % interval \d+\.\d–\d+\.\d\s?%/);
    // The page shows what the service computes (seeded folds: the same numbers again).
    const result = await app.service.crossValidateRun({ runId: run.id, folds: 5 });
    expect(result.foldAccuracies).toHaveLength(5);
    await expect(box.getByTestId('cv-mean').textContent()).resolves.toContain(`${(result.mean * 100).toFixed(1)}%`);
    // MobileNet features separate these flowers far better than chance (20 %).
    expect(result.mean).toBeGreaterThan(0.6);
    await shotsBothThemes(page, 'results-cross-validation');
    expect(app.consoleErrors).toEqual([]);
  }, 180_000);
});
