/**
 * Issue 10, item 14 in Chromium on the real photos, the shared MobileNetV2 and the real service:
 * axe-core on every view in both themes, with content in each (an open dataset, a trained run,
 * a classified photo, a loaded graph), fails on any serious or critical violation; and at
 * 1024 × 700 no view scrolls sideways.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasShared, sharedPath } from '../helpers/tf.js';
import { hasChromium, importModel, openDataset, REPO_ROOT, startApp, waitForRunStatus, type App } from './helpers.js';
import { shotsBothThemes } from './shots.js';

const AXE = path.join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const VIEWS = ['dataset', 'model', 'train', 'metrics', 'results', 'classify', 'runs', 'graph'] as const;

type Finding = { view: string; theme: string; id: string; impact: string; help: string; targets: string[] };

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page, view: string, theme: string): Promise<Finding[]> {
  // Evaluated through the DevTools protocol: the app's CSP (script-src 'self') rightly refuses an injected <script>.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await readFile(AXE, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ view, theme, ...v }));
}

async function show(page: Page, view: (typeof VIEWS)[number]): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await page.getByTestId(`view-${view}`).waitFor();
  if (view === 'graph') await page.getByTestId('view-graph').locator('svg').first().waitFor({ timeout: 60_000 });
  // Two frames: Svelte's and the charts' layout done.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

describe.skipIf(!hasChromium || !hasShared)('accessibility and layout on every view (item 14)', () => {
  let app: App;

  beforeAll(async () => {
    app = await startApp();
    const { page } = app;
    expect(await openDataset(page, sharedPath('datasets', 'flower_photos_small'))).toBe('summary');
    await importModel(page, sharedPath('models', 'mobilenet_v2_0.35_224'), 'MobileNetV2 0.35');
    await page.locator('#hp-howManyTrainingSteps').fill('40');
    await page.locator('#hp-evalStepInterval').fill('10');
    await page.getByTestId('nav-train').click();
    await page.getByRole('main').getByRole('button', { name: 'Train', exact: true }).click();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'], 290_000)).toBe('completed');
    // Content on every page: a chosen confusion cell, a classified photo, a ticked run, a graph.
    await page.getByRole('button', { name: 'See results' }).click();
    await page.getByRole('button', { name: /^True daisy, predicted daisy: / }).click();
    await page.getByRole('button', { name: /^Classify again / }).first().click();
    await page.getByTestId('classify-true-label').waitFor({ timeout: 60_000 });
    await page.getByTestId('nav-runs').click();
    await page.getByTestId('run-row').first().getByRole('checkbox').check();
  }, 300_000);
  afterAll(async () => app?.close());

  it('has no serious or critical axe-core violation on any view, in the light and the dark theme', async () => {
    const { page } = app;
    const findings: Finding[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const theme = (await page.evaluate(() => document.documentElement.dataset.theme)) ?? 'light';
      for (const view of VIEWS) {
        await show(page, view);
        findings.push(...(await seriousViolations(page, view, theme)));
      }
      await page.getByTestId('theme-toggle').click();
    }
    expect(findings).toEqual([]);
  }, 240_000);

  it('does not scroll sideways at 1024 × 700 on any view', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    const widths: Record<string, number> = {};
    const overflowing: Record<string, string[]> = {};
    for (const view of VIEWS) {
      await show(page, view);
      widths[view] = await page.evaluate(() => document.documentElement.scrollWidth);
      // On failure, say which elements stick out (the innermost ones), not only how far.
      if (widths[view] > 1024) overflowing[view] = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > 1024 && ![...el.children].some((c) => c.getBoundingClientRect().right > 1024))
          .slice(0, 6)
          .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`),
      );
    }
    expect({ widths, overflowing }).toEqual({ widths: Object.fromEntries(VIEWS.map((v) => [v, expect.toSatisfy((w: number) => w <= 1024)])), overflowing: {} });
    for (const view of ['runs', 'graph'] as const) {
      await show(page, view);
      await shotsBothThemes(page, `${view}-1024`);
    }
    await page.setViewportSize({ width: 1360, height: 860 });
    // With a node's details open, the canvas still takes every column but one, and the legend sits below it, not over it.
    await show(page, 'graph');
    await page.locator('[data-testid="graph-node"]').nth(2).click();
    await page.getByRole('button', { name: 'Close details' }).waitFor();
    const boxes = await page.evaluate(() => {
      const rect = (selector: string) => document.querySelector(selector)!.getBoundingClientRect().toJSON() as DOMRect;
      return { canvas: rect('[data-testid="graph-canvas"]'), legend: rect('.legend'), main: rect('[data-testid="view-graph"]') };
    });
    expect(boxes.canvas.width).toBeGreaterThan(boxes.main.width * 0.6);
    expect(boxes.legend.top).toBeGreaterThanOrEqual(boxes.canvas.bottom - 1);
    for (const view of ['graph', 'runs', 'results', 'dataset'] as const) {
      await show(page, view);
      await shotsBothThemes(page, view);
    }
  }, 240_000);
});
