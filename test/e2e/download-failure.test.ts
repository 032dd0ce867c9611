/**
 * Issue 10 item 9: a catalog download that fails (no network) leaves a notice in the
 * model's row with the way out: import a local model, or fetch the files on a machine with
 * a network. The renderer against a scripted fake service whose download fails as an
 * offline one does (getaddrinfo ENOTFOUND).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../src-main/core/errors.js';
import { createFakeService, FAKE_CATALOG_MODEL, type FakeService } from '../server/fake-service.js';
import { hasChromium, screenshot, startApp, type App } from './helpers.js';

const CATALOG_MODEL = FAKE_CATALOG_MODEL;

describe.skipIf(!hasChromium)('a failed catalog download points to the way out', () => {
  let app: App;
  let fake: FakeService;
  let attempts = 0;

  beforeAll(async () => {
    fake = createFakeService({
      overrides: {
        listModels: async () => [CATALOG_MODEL],
        downloadModel: async () => {
          attempts++;
          throw new CoreError('DOWNLOAD_FAILED', 'Could not download model.json: getaddrinfo ENOTFOUND storage.googleapis.com.');
        },
      },
    });
    app = await startApp({ service: fake });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('keeps the reason in the row, says to import a local model or fetch the files elsewhere, and offers Retry', async () => {
    const { page } = app;
    await page.getByTestId('nav-model').click();
    await page.getByRole('button', { name: `Download ${CATALOG_MODEL.name}` }).click();
    const notice = page.getByTestId('download-failed');
    await notice.waitFor();
    const text = (await notice.textContent()) ?? '';
    expect(text).toContain('getaddrinfo ENOTFOUND');
    expect(text).toMatch(/import a local model/);
    expect(text).toContain(`retrain-studio models --download ${CATALOG_MODEL.id}`);
    expect(text).toContain(CATALOG_MODEL.url);
    await expect(page.getByRole('alert').filter({ hasText: 'could not be downloaded' }).count()).resolves.toBe(1);
    // The link takes the user to the import form.
    await notice.getByRole('link', { name: 'import a local model' }).click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('import-path');
    await screenshot(page, 'wt-09-download-failed-light');
    await page.getByTestId('theme-toggle').click();
    await screenshot(page, 'wt-09-download-failed-dark');
    await page.getByTestId('theme-toggle').click();

    // Retry tries again; the notice stays with the new reason.
    await page.getByRole('button', { name: `Retry download of ${CATALOG_MODEL.name}` }).click();
    await expect.poll(() => attempts).toBe(2);
    await notice.waitFor();
  });
});
