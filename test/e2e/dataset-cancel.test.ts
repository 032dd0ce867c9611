/**
 * Opening a big folder in Chromium against the real service: progress while it scans, a
 * Cancel button that stops it (the service's cancelOpenDataset), and the folder opens again after.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, openDataset, screenshot, startApp, type App } from './helpers.js';

/** Enough images that the scan is still reading when Cancel is clicked (a few seconds here). */
const PER_CLASS = 1500;

describe.skipIf(!hasChromium)('opening a dataset', () => {
  let app: App;
  let root: string;

  beforeAll(async () => {
    app = await startApp();
    root = path.join(app.baseDir, 'big');
    for (const [i, name] of ['red', 'green', 'blue'].entries()) {
      const dir = path.join(root, name);
      await mkdir(dir, { recursive: true });
      const first = path.join(dir, '0000.png');
      await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: i === 0 ? 255 : 0, g: i === 1 ? 255 : 0, b: i === 2 ? 255 : 0 } } })
        .png()
        .toFile(first);
      for (let n = 1; n < PER_CLASS; n++) await copyFile(first, path.join(dir, `${String(n).padStart(4, '0')}.png`));
    }
  }, 120_000);
  afterAll(async () => app?.close());

  it('shows progress, stops on Cancel, and opens the folder when asked again', async () => {
    const { page } = app;
    await page.getByTestId('nav-dataset').click();
    await page.getByTestId('dataset-path').fill(root);
    await page.getByTestId('dataset-open').click();
    const cancel = page.getByTestId('dataset-cancel');
    await cancel.waitFor();
    await expect(page.getByTestId('dataset-progress').textContent()).resolves.toMatch(/listing files|files/);
    await screenshot(page, 'dataset-scanning');
    await cancel.click();
    await expect(page.getByTestId('dataset-input-error').textContent()).resolves.toContain('cancelled');
    await expect(page.getByTestId('dataset-progress').count()).resolves.toBe(0);
    // Nothing was opened; a second Open scans the whole folder.
    expect(await openDataset(page, root)).toBe('summary');
    await expect(page.getByTestId('dataset-class-count').textContent()).resolves.toBe('3');
  }, 180_000);
});
