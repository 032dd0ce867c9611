/**
 * The renderer against a scripted fake service (no TensorFlow): event-driven UI that the real
 * engine makes hard to time — a model download's progress bar, a fast stream of training
 * points batched into the chart, a lost event socket — checked deterministically.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricPoint, RunDetail, RunSummary } from '../../src-main/api/contract.js';
import { createServer } from '../../src-main/server/index.js';
import { createFakeService, FAKE_CATALOG_MODEL, FAKE_ENGINE, type FakeService } from '../server/fake-service.js';
import { hasChromium, RENDERER_DIR, screenshot, startApp, waitForRunStatus, type App } from './helpers.js';

const CATALOG_MODEL = FAKE_CATALOG_MODEL;

const STEPS = 400;
const point = (step: number): MetricPoint => ({
  step,
  wallTimeMs: 1_700_000_000_000 + step * 10,
  relativeTimeMs: step * 10,
  trainAccuracy: Math.min(1, 0.3 + step / 600),
  trainCrossEntropy: 1.5 / (1 + step / 50),
  validationAccuracy: Math.min(1, 0.25 + step / 700),
  validationCrossEntropy: 1.6 / (1 + step / 60),
});

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!hasChromium)('renderer with a scripted fake service', () => {
  let app: App;
  let fake: FakeService;
  let releaseDownload: () => void = () => {};
  /**
   * Lets the scripted run send `run.finished` (the test first checks what the stream alone drew).
   * A latch made up front: a release that comes before the stream's last pause is not lost.
   */
  let releaseFinish: () => void = () => {};
  const finishReleased = new Promise<void>((resolve) => (releaseFinish = resolve));
  let finishedRun: RunSummary | null = null;

  beforeAll(async () => {
    const run: RunSummary = {
      id: 'run1',
      name: 'scripted run',
      createdAt: new Date(1_700_000_000_000).toISOString(),
      status: 'completed',
      datasetRoot: '/data/set',
      modelId: CATALOG_MODEL.id,
      config: { architecture: CATALOG_MODEL.id, howManyTrainingSteps: STEPS } as RunSummary['config'],
      classes: ['a', 'b'],
      backend: 'wasm',
      featureEngine: 'tfjs',
      device: 'test CPU',
      phases: {},
      durationMs: 4000,
      testAccuracy: 0.9,
    };
    fake = createFakeService({
      overrides: {
        listModels: async () => [CATALOG_MODEL],
        downloadModel: async ({ modelId }) => {
          fake.emit('model.download', { modelId, receivedBytes: 500_000, totalBytes: 2_000_000, file: 'model.json' });
          await new Promise<void>((resolve) => (releaseDownload = resolve));
          return { ...CATALOG_MODEL, cached: true, sizeOnDiskBytes: 2_000_000 };
        },
        openDataset: async (req) => ({
          id: 'ds1',
          root: req.path,
          classes: [
            { name: 'a', label: 'a', count: 10, counts: { train: 8, validation: 1, test: 1 }, samples: [] },
            { name: 'b', label: 'b', count: 10, counts: { train: 8, validation: 1, test: 1 }, samples: [] },
          ],
          issues: [],
          duplicates: [],
          imageCount: 20,
          validationPercent: 10,
          testPercent: 10,
          trainable: true,
          scannedAt: new Date().toISOString(),
        }),
        startTraining: async () => {
          // Events flow after the reply, as fast as the server can send them.
          setTimeout(async () => {
            fake.emit('run.phase', { runId: 'run1', phase: 'bottlenecks', message: 'Bottlenecks for 20 images' });
            fake.emit('bottlenecks.progress', { runId: 'run1', done: 20, total: 20, fromCache: 5, computed: 15, failed: 0, imagesPerSecond: 40, etaMs: 0, phase: 'compute' });
            fake.emit('run.phase', { runId: 'run1', phase: 'training', message: 'Training' });
            for (let step = 1; step <= STEPS; step++) {
              fake.emit('training.progress', { runId: 'run1', step, totalSteps: STEPS, point: point(step) });
              if (step % 50 === 0) await wait(50);
            }
            await finishReleased;
            finishedRun = run;
            fake.emit('run.finished', run);
          }, 50);
          return { runId: 'run1' };
        },
        listRuns: async () => (finishedRun ? [finishedRun] : []),
        getRun: async () => ({ ...run, metrics: Array.from({ length: STEPS }, (_, i) => point(i + 1)) }) as RunDetail,
      },
    });
    app = await startApp({ service: fake });
  });

  afterAll(async () => {
    releaseDownload();
    releaseFinish();
    await app?.close();
  });

  it('shows a download progress bar from model.download events, then the model as downloaded', async () => {
    const { page } = app;
    await page.getByTestId('nav-model').click();
    const row = page.locator('[data-testid="model-row"]', { hasText: CATALOG_MODEL.name });
    await row.getByRole('button', { name: `Download ${CATALOG_MODEL.name}` }).click();
    const bar = row.getByTestId('download-progress').getByRole('progressbar');
    await page.waitForFunction(() => document.querySelector('[data-testid="download-progress"] [role="progressbar"]')?.getAttribute('aria-valuenow') === '500000');
    await expect(bar.getAttribute('aria-valuemax')).resolves.toBe('2000000');
    await expect(row.getByTestId('download-progress').textContent()).resolves.toContain('500 KB / 2.0 MB');
    await screenshot(page, '30-fake-download');
    releaseDownload();
    await row.getByText('Downloaded').waitFor();
  });

  it('draws every point of a fast training stream, batched per frame', async () => {
    const { page } = app;
    await page.getByTestId('nav-dataset').click();
    await page.getByTestId('dataset-path').fill('/data/set');
    await page.getByTestId('dataset-open').click();
    await page.getByTestId('dataset-summary').waitFor();
    await page.getByTestId('nav-train').click();
    // Record every value the chart's point count takes: one per redraw of the chart's data.
    await page.evaluate(() => {
      const w = window as unknown as { pointCounts: number[] };
      w.pointCounts = [];
      new MutationObserver((records) => {
        for (const record of records) {
          const target = record.target as Element;
          if (target.getAttribute('data-testid') === 'metrics-chart-accuracy') w.pointCounts.push(Number(target.getAttribute('data-points')));
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-points'] });
    });
    await page.getByTestId('train-button').click();
    // Before run.finished (whose stored metrics would replace the chart's points), the stream
    // alone must have drawn all 400 points: a dropped point keeps this below 400.
    await page.waitForFunction((steps) => document.querySelector('[data-testid="metrics-chart-accuracy"]')?.getAttribute('data-points') === String(steps), STEPS, { timeout: 20_000 });
    await expect(page.getByTestId('run-progress').getAttribute('data-status')).resolves.toBe('running');
    await expect(page.getByTestId('training-progress').textContent()).resolves.toContain(`step ${STEPS} / ${STEPS}`);
    const counts = await page.evaluate(() => (window as unknown as { pointCounts: number[] }).pointCounts);
    console.info(`renderer-fake: ${STEPS} streamed points drawn in ${counts.length} updates (${counts.join(', ')})`);
    // Batched per frame: far fewer updates than points (one per event would be 400), each adding points.
    expect(counts.length).toBeLessThan(STEPS / 4);
    expect(counts.at(-1)).toBe(STEPS);
    expect(counts.every((n, i) => i === 0 || n > counts[i - 1])).toBe(true);
    releaseFinish();
    expect(await waitForRunStatus(page, ['completed', 'failed', 'cancelled'], 30_000)).toBe('completed');
    await expect(page.getByTestId('bottleneck-progress').textContent()).resolves.toContain('5 from cache');
    const startCall = fake.calls.find((call) => call.method === 'startTraining');
    expect(startCall?.request).toMatchObject({ datasetId: 'ds1', config: { architecture: CATALOG_MODEL.id, validationPercentage: 10, testingPercentage: 10 } });
  });

  it('shows that the event link dropped, and reconnects when the server is back', async () => {
    const { page } = app;
    await expect(page.getByTestId('connection').count()).resolves.toBe(0);
    const { port, token } = app.server;
    await app.server.close();
    await page.getByTestId('connection').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('connection').textContent()).resolves.toMatch(/Disconnected|Connecting/);
    app.server = await createServer({ service: fake, staticDir: RENDERER_DIR, token, port });
    await page.getByTestId('connection').waitFor({ state: 'detached', timeout: 30_000 });
    // Events flow again on the new socket.
    fake.emit('engine.changed', { ...FAKE_ENGINE, summary: 'wasm after reconnect' });
    await page.getByTestId('engine-chip').and(page.locator('[title="wasm after reconnect"]')).waitFor();
  });
});
