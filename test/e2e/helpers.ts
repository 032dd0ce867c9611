/**
 * Browser end-to-end harness: the real service and HTTP server in this process, serving the
 * built renderer (`dist/renderer`), driven by Debian's Chromium through playwright-core.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createService, type Service } from '../../src-main/api/service.js';
import { createServer, type RunningServer } from '../../src-main/server/index.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const RENDERER_DIR = path.join(REPO_ROOT, 'dist/renderer');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results/screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

/** Chromium flags for a quiet, offline, headless run on CI machines. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Builds the renderer when `dist/renderer` is missing (`npm test` builds it first). */
export async function ensureRendererBuilt(): Promise<void> {
  if (existsSync(path.join(RENDERER_DIR, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(REPO_ROOT, 'vite.config.ts'), logLevel: 'warn' });
}

export type App = {
  service: Service;
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Temp folder holding the app's data dir; removed by `close`. */
  baseDir: string;
  /** Browser console errors and page errors seen so far. */
  consoleErrors: string[];
  close(): Promise<void>;
};

/**
 * Starts service + server (temp data dir, a random token as `serve` has) and opens
 * the app in a fresh Chromium profile at 1360×860. `service` replaces the real service (a fake).
 */
export async function startApp(options: { colorScheme?: 'light' | 'dark'; service?: Service; /** Extra Chromium flags (e.g. a fake camera) for one test. */ args?: string[] } = {}): Promise<App> {
  await ensureRendererBuilt();
  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'rs-e2e-'));
  const dataDir = path.join(baseDir, 'data');
  await mkdir(dataDir, { recursive: true });
  const service = options.service ?? (await createService({ dataDir }));
  // The token serve generates (always required, as for a user): the page reads it from the URL's #token=.
  // uploadsDir as `serve` passes it: the service's <dataDir>/uploads (browser uploads of datasets).
  const server = await createServer({ service, staticDir: RENDERER_DIR, uploadsDir: path.join(dataDir, 'uploads') });
  const userDataDir = path.join(baseDir, 'chromium-profile');
  // A persistent context gives a fresh --user-data-dir we own (and delete).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
    headless: true,
    viewport: { width: 1360, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const browser = context.browser() as Browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(server.openUrl);
  await page.getByTestId('view-dataset').waitFor();
  return {
    service,
    server,
    browser,
    context,
    page,
    baseDir,
    consoleErrors,
    async close() {
      await context.close().catch(() => {});
      await server.close().catch(() => {});
      await service.close().catch(() => {});
      await rm(baseDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * Saves a whole-page screenshot to `test-results/screenshots/<name>.png`. The viewport is
 * grown to the page's height first (the sidebar is sticky at 100vh, which a scrolled
 * full-page capture would draw in the wrong place), then restored.
 */
export async function screenshot(page: Page, name: string, options: { keepToasts?: boolean } = {}): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  if (!options.keepToasts) await dismissToasts(page);
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  const viewport = page.viewportSize() ?? { width: 1360, height: 860 };
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(height, viewport.height), 6000) });
  // Let Chart.js and layout settle at the new size.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
  return file;
}

/** Closes every toast with its own Dismiss button (they would cover screenshots or be mistaken for new ones). */
export async function dismissToasts(page: Page): Promise<void> {
  for (const button of await page.locator('.toasts button[aria-label="Dismiss"]').all()) await button.click({ timeout: 1000 }).catch(() => {});
}

/**
 * Opens a dataset folder through the path field (what a browser user does) and waits until
 * the scan answered: a summary of that folder, or an error toast.
 */
export async function openDataset(page: Page, folder: string): Promise<'summary' | 'error'> {
  await page.getByTestId('nav-dataset').click();
  await dismissToasts(page);
  await page.getByTestId('dataset-path').fill(folder);
  await page.getByTestId('dataset-open').click();
  const handle = await page.waitForFunction(
    (root) => {
      if (document.querySelector('[data-testid="dataset-progress"]')) return null;
      if (document.querySelector(`[data-testid="dataset-summary"][data-root="${CSS.escape(root)}"]`)) return 'summary';
      return document.querySelector('[data-testid="toast-error"]') ? 'error' : null;
    },
    folder,
    { timeout: 60_000 },
  );
  return (await handle.jsonValue()) as 'summary' | 'error';
}

/** Imports a local model folder on the Model page and waits until it is listed and selected. */
export async function importModel(page: Page, folder: string, name: string): Promise<void> {
  await page.getByTestId('nav-model').click();
  await page.getByTestId('import-path').fill(folder);
  await page.getByTestId('import-name').fill(name);
  await page.getByTestId('import-submit').click();
  await page.locator('[data-testid="model-row"]', { hasText: name }).locator('input[type="radio"]:checked').waitFor({ timeout: 60_000 });
}

/** Sets one hyperparameter field on the Model page. */
export async function setHyperparameter(page: Page, key: string, value: string): Promise<void> {
  await page.getByTestId('nav-model').click();
  await page.locator(`#hp-${key}`).fill(value);
}

/** Waits for the Train page's run status to become one of `statuses`. */
export async function waitForRunStatus(page: Page, statuses: string[], timeoutMs = 120_000): Promise<string> {
  const status = page.getByTestId('run-progress');
  await page.waitForFunction(
    (wanted) => wanted.includes(document.querySelector('[data-testid="run-progress"]')?.getAttribute('data-status') ?? ''),
    statuses,
    { timeout: timeoutMs },
  );
  return (await status.getAttribute('data-status')) ?? '';
}
