/**
 * The desktop app end to end with Playwright's Electron driver: launch the built app, check
 * the window, open a dataset through the preload bridge (real IPC, real service), load an
 * image through `rs-image://`, and take a screenshot into test-results/.
 *
 * Runs only where an Electron binary, a display and a build (`npm run build`) exist;
 * elsewhere it reports itself skipped with the reason.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function electronBinary(): { path?: string; reason?: string } {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    if (typeof binary !== 'string' || !existsSync(binary)) return { reason: 'the Electron binary is not installed (offline install)' };
    return { path: binary };
  } catch {
    return { reason: 'the Electron binary is not installed (offline install)' };
  }
}

function skipReason(): string | undefined {
  const binary = electronBinary();
  if (!binary.path) return binary.reason;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY/WAYLAND_DISPLAY unset; try xvfb-run)';
  if (!existsSync(path.join(ROOT, 'dist', 'main', 'electron', 'main.js'))) return 'the app is not built (run `npm run build`)';
  if (!existsSync(path.join(ROOT, 'dist', 'main', 'electron', 'preload.cjs'))) return 'the preload is not built (run `npm run build`)';
  if (!existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) return 'the renderer is not built (run `npm run build`)';
  return undefined;
}

const reason = skipReason();
if (reason) console.info(`test/electron/app.e2e.test.ts skipped: ${reason}.`);

describe('Electron app', () => {
  it.skipIf(reason !== undefined)('opens, shows the UI, opens a dataset over IPC and serves its images', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-electron-'));
    const dataset = path.join(tmp, 'dataset');
    for (const [name, colour] of [['red', '#d01010'], ['blue', '#1030d0']] as const) {
      await mkdir(path.join(dataset, name), { recursive: true });
      for (let i = 0; i < 3; i++) {
        await sharp({ create: { width: 32 + i, height: 32, channels: 3, background: colour } }).jpeg().toFile(path.join(dataset, name, `${i}.jpg`));
      }
    }
    const isRoot = process.getuid?.() === 0;
    const env = { ...process.env, RETRAIN_STUDIO_DATA_DIR: path.join(tmp, 'data') } as Record<string, string>;
    // Set in some shells and CI images; it would make the binary behave as plain Node.
    delete env.ELECTRON_RUN_AS_NODE;
    const app = await electron.launch({
      executablePath: electronBinary().path,
      // Chromium refuses to run as root with its OS sandbox (containers); the page sandbox stays on.
      args: [...(isRoot ? ['--no-sandbox'] : []), ROOT],
      cwd: ROOT,
      env,
    });
    try {
      const window = await app.firstWindow();
      await window.waitForLoadState('domcontentloaded');
      expect(await window.title()).toBe('Retrain Studio');
      expect(window.url()).toBe('app://retrain-studio/index.html');
      // The page has no Node.
      expect(await window.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');

      const reply = (await window.evaluate(
        (dir) => (window as unknown as { retrainStudio: { invoke(m: string, r: unknown): Promise<unknown> } }).retrainStudio.invoke('openDataset', { path: dir }),
        dataset,
      )) as { result?: { classes: { name: string; count: number }[] }; error?: unknown };
      expect(reply.error).toBeUndefined();
      expect(reply.result?.classes.map((c) => [c.name, c.count])).toEqual([
        ['blue', 3],
        ['red', 3],
      ]);

      const image = `rs-image://local/${encodeURIComponent(path.join(dataset, 'red', '0.jpg'))}`;
      // A real image outside the opened dataset: only the access check can refuse it (a
      // missing file would answer 404 without reaching the check).
      const elsewhere = path.join(tmp, 'elsewhere.jpg');
      await sharp({ create: { width: 32, height: 32, channels: 3, background: '#d01010' } }).jpeg().toFile(elsewhere);
      const outside = `rs-image://local/${encodeURIComponent(elsewhere)}`;
      const statuses = await window.evaluate(
        async (urls) => Promise.all(urls.map(async (url) => (await fetch(url)).status)),
        [image, outside],
      );
      expect(statuses[0]).toBe(200);
      expect(statuses[1]).toBe(403);

      const invalid = await window.evaluate(() =>
        (window as unknown as { retrainStudio: { invoke(m: string, r: unknown): Promise<unknown> } }).retrainStudio.invoke('__proto__', {}),
      );
      expect(invalid).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });

      await mkdir(path.join(ROOT, 'test-results'), { recursive: true });
      await window.screenshot({ path: path.join(ROOT, 'test-results', 'electron-app.png') });
    } finally {
      await app.close();
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
