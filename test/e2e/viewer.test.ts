/**
 * The TensorBoard-like viewer in a real browser against the real service: the graph of the
 * shared MobileNetV2 backbone with its input layer stated up front, search, choosing a
 * bottleneck node that training then uses, runs overlaid and compared, scalars downloaded
 * as CSV/JSON, and a small sweep. Screenshots go to test-results/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src-main/api/contract.js';
import { makeColourDataset } from '../helpers/fixtures.js';
import { hasShared, sharedPath } from '../helpers/tf.js';
import type { Page } from 'playwright-core';
import { hasChromium, screenshot, startApp, type App } from './helpers.js';
import { parseCsv } from '../helpers/csv.js';

const BOTTLENECK = 'model2/block_16_project';


/**
 * Dismisses toasts, then screenshots. (A toast that closes by itself between listing and
 * clicking would make a plain click wait for the default 30 s timeout.)
 */
async function shot(page: Page, name: string): Promise<void> {
  for (const button of await page.locator('.toasts button[aria-label="Dismiss"]').all()) await button.click({ timeout: 1000 }).catch(() => {});
  await screenshot(page, name, { keepToasts: true });
}

describe.skipIf(!hasChromium || !hasShared)('viewer: model graph with its input layer, runs side by side', () => {
  let app: App;
  let modelId: string;
  let datasetRoot: string;
  const runIds: string[] = [];

  /** Trains one short run through the service and waits for it to finish. */
  async function train(datasetId: string, name: string, learningRate: number): Promise<RunSummary> {
    const finished = new Map<string, RunSummary>();
    let wanted: string | null = null;
    let resolve: (summary: RunSummary) => void = () => {};
    const done = new Promise<RunSummary>((r) => (resolve = r));
    const stop = app.service.on('run.finished', (summary) => {
      finished.set(summary.id, summary);
      if (summary.id === wanted) resolve(summary);
    });
    try {
      const { runId } = await app.service.startTraining({
        datasetId,
        name,
        config: { architecture: modelId, howManyTrainingSteps: 30, evalStepInterval: 5, learningRate, trainBatchSize: 16 },
      });
      wanted = runId;
      const early = finished.get(runId);
      return early ?? (await done);
    } finally {
      stop();
    }
  }

  beforeAll(async () => {
    app = await startApp();
    datasetRoot = await makeColourDataset(path.join(app.baseDir, 'colours'), 10);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows the MobileNetV2 input layer up front: name, [null,224,224,3], float32, [-1, 1]', async () => {
    const { page } = app;
    // Import through the Model page as a user would, stating the model's input range.
    await page.getByTestId('nav-model').click();
    await page.getByTestId('import-path').fill(sharedPath('models/mobilenet_v2_0.35_224'));
    await page.getByTestId('import-name').fill('MobileNetV2 viewer');
    await page.getByTestId('import-range').selectOption('-1,1');
    await page.getByTestId('import-submit').click();
    await page.locator('[data-testid="model-row"]', { hasText: 'MobileNetV2 viewer' }).waitFor({ timeout: 60_000 });
    const imported = (await app.service.listModels({})).find((m) => m.name === 'MobileNetV2 viewer');
    expect(imported).toBeDefined();
    modelId = imported!.id;

    await page.getByTestId('nav-graph').click();
    await page.getByTestId('graph-source').selectOption(`model:${modelId}`);
    const panel = page.getByTestId('graph-input-panel');
    await panel.waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('graph-input-name').textContent()).resolves.toMatch(/(^|\/)input_1$/);
    await expect(page.getByTestId('graph-input-shape').textContent()).resolves.toBe('[null,224,224,3]');
    await expect(page.getByTestId('graph-input-dtype').textContent()).resolves.toBe('float32');
    await expect(page.getByTestId('graph-input-normalization').textContent()).resolves.toContain('[-1, 1]');

    // The graph is drawn (156 layers, blocks collapsed) with the input node highlighted.
    const inputNode = page.locator('[data-testid="graph-node"][data-roles~="input"]');
    await inputNode.waitFor({ timeout: 60_000 });
    await expect(inputNode.getAttribute('data-node-id')).resolves.toMatch(/input_1$/);
    // Only what is on screen is in the DOM; the canvas reports how many boxes the graph has.
    await expect(page.locator('[data-testid="graph-node"][data-kind="group"]').count()).resolves.toBeGreaterThan(2);
    const total = Number(await page.getByTestId('graph-canvas').getAttribute('data-total'));
    expect(total).toBeGreaterThan(20);
    expect(total).toBeLessThan(60);
    await shot(page, 'viewer-01-graph');
  });

  it('search finds a node inside a collapsed block, opens the block and centres it', async () => {
    const { page } = app;
    const target = page.locator(`[data-testid="graph-node"][data-node-id="${BOTTLENECK}"]`);
    await expect(target.count()).resolves.toBe(0); // inside the collapsed block_16
    await page.getByTestId('graph-search').fill('block_16_project');
    await page.getByTestId('graph-search').press('Enter');
    await target.waitFor({ timeout: 30_000 });
    await page.waitForFunction((id) => document.querySelector(`[data-node-id="${id}"]`)?.classList.contains('current-hit'), BOTTLENECK);
    await expect(page.getByTestId('graph-search-count').textContent()).resolves.toMatch(/^1 \/ 2$/); // block_16_project and its _BN
    // Centred: the node's box lies inside the visible canvas.
    const canvasBox = await page.getByTestId('graph-canvas').boundingBox();
    const nodeBox = await target.boundingBox();
    expect(canvasBox && nodeBox).toBeTruthy();
    const centreX = nodeBox!.x + nodeBox!.width / 2;
    const centreY = nodeBox!.y + nodeBox!.height / 2;
    expect(Math.abs(centreX - (canvasBox!.x + canvasBox!.width / 2))).toBeLessThan(40);
    expect(Math.abs(centreY - (canvasBox!.y + canvasBox!.height / 2))).toBeLessThan(40);
    await expect(page.getByTestId('graph-side-panel').getAttribute('data-ref-id')).resolves.toBe(BOTTLENECK);
    await expect(page.getByTestId('graph-side-panel').textContent()).resolves.toContain('[null,7,7,112]');
  });

  it('"Use as bottleneck" on the imported model changes what training uses', async () => {
    const { page } = app;
    await page.getByTestId('use-as-bottleneck').click();
    await page.waitForFunction((id) => document.querySelector('[data-testid="graph-bottleneck-name"]')?.textContent === id, BOTTLENECK, { timeout: 30_000 });
    await page.locator(`[data-node-id="${BOTTLENECK}"][data-roles~="bottleneck"]`).waitFor();
    const model = (await app.service.listModels({})).find((m) => m.id === modelId)!;
    expect(model.bottleneckNode).toBe(BOTTLENECK);
    expect(model.featureSize).toBe(112);
    await shot(page, 'viewer-02-bottleneck');

    // Train two short runs with it: the exported models' bottleneck is the chosen node.
    const dataset = await app.service.openDataset({ path: datasetRoot });
    for (const [name, learningRate] of [['viewer lr 0.01', 0.01], ['viewer lr 0.5', 0.5]] as const) {
      const summary = await train(dataset.id, name, learningRate);
      expect(summary.status).toBe('completed');
      runIds.push(summary.id);
    }
    const exported = await app.service.describeModel({ runId: runIds[0] });
    expect(exported.bottleneck.name).toBe(BOTTLENECK);
  });

  it('overlays two runs, compares them and downloads their scalars as CSV and JSON', async () => {
    const { page } = app;
    await page.getByTestId('nav-runs').click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    for (const id of runIds) {
      const row = page.locator(`[data-testid="run-row"][data-run-id="${id}"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.getByTestId('run-select').check();
    }
    const compare = page.getByTestId('runs-compare-table');
    await compare.waitFor();
    await expect(compare.locator('thead th[data-run-id]').count()).resolves.toBe(2);
    await expect(compare.locator('tr[data-key="config.learningRate"] td').allTextContents()).resolves.toEqual(['0.01', '0.5']);
    await expect(compare.locator('tr[data-key="config.learningRate"]').getAttribute('class')).resolves.toContain('differs');
    // Both charts draw both runs' points (train + validation, 7 evaluations each).
    await page.waitForFunction(() => {
      const charts = document.querySelectorAll('[data-points]');
      return charts.length >= 2 && Array.from(charts).every((c) => Number(c.getAttribute('data-points')) >= 2 * 6);
    }, undefined, { timeout: 30_000 });
    await shot(page, 'viewer-03-runs');

    const csvDownload = page.waitForEvent('download');
    await page.getByTestId('download-csv').click();
    const csvFile = await (await csvDownload).path();
    const rows = parseCsv(await readFile(csvFile, 'utf8'));
    expect(rows[0]).toEqual(['run', 'step', 'wall_time', 'relative_time_s', 'train_accuracy', 'train_cross_entropy', 'validation_accuracy', 'validation_cross_entropy']);
    const names = new Set(rows.slice(1).map((r) => r[0]));
    expect(names).toEqual(new Set(['viewer lr 0.01', 'viewer lr 0.5']));
    for (const name of names) {
      const runRows = rows.filter((r) => r[0] === name);
      expect(runRows.length).toBeGreaterThanOrEqual(3);
      const steps = runRows.map((r) => Number(r[1]));
      expect(steps.every((step, i) => i === 0 || step > steps[i - 1])).toBe(true);
      for (const r of runRows) {
        expect(Number(r[4])).toBeGreaterThanOrEqual(0);
        expect(Number(r[4])).toBeLessThanOrEqual(1);
        expect(Number(r[2])).toBeGreaterThan(1.7e9); // wall time in seconds
      }
    }

    const jsonDownload = page.waitForEvent('download');
    await page.getByTestId('download-json').click();
    const json = JSON.parse(await readFile(await (await jsonDownload).path(), 'utf8')) as { runs: { id: string; points: unknown[] }[] };
    expect(json.runs.map((r) => r.id).sort()).toEqual([...runIds].sort());
    expect(json.runs.every((r) => r.points.length >= 6)).toBe(true);
  });

  it('sweeps a hyperparameter from the Runs page and compares the sweep runs', async () => {
    const { page } = app;
    // The shell has no dataset open: open one from the sweep panel.
    await page.getByTestId('sweep-dataset-path').fill(datasetRoot);
    await page.getByRole('button', { name: 'Open dataset' }).click();
    await page.getByTestId('sweep-dataset-path').waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByTestId('sweep-parameter').selectOption('howManyTrainingSteps');
    await page.getByTestId('sweep-values').fill('10, 20, 10');
    await expect(page.getByTestId('sweep-help').textContent()).resolves.toContain('how_many_training_steps=10, how_many_training_steps=20');
    await page.getByTestId('sweep-start').click();
    await page.locator('[data-testid="sweep-progress"][data-done="true"]').waitFor({ timeout: 180_000 });
    const sweepRows = page.locator('[data-testid="sweep-progress"] [data-run-id]');
    await expect(sweepRows.count()).resolves.toBe(2);
    await expect(sweepRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).resolves.toEqual(['completed', 'completed']);
    // The finished sweep is what the comparison shows.
    const compare = page.getByTestId('runs-compare-table');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="runs-compare-table"] thead th[data-run-id]').length === 2);
    await expect(compare.locator('tr[data-key="config.howManyTrainingSteps"] td').allTextContents()).resolves.toEqual(['10', '20']);
    await shot(page, 'viewer-04-sweep');
    expect(app.consoleErrors.filter((e) => !/favicon/i.test(e))).toEqual([]);
  });
});
