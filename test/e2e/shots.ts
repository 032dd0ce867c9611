/** Screenshots of a view in both themes, also copied to /tmp/shots/walk-<name>-<theme>.png for review. */
import { copyFile, mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { screenshot } from './helpers.js';

export const SHOTS_DIR = '/tmp/shots';

/** Takes `name` in the current theme, toggles, takes it in the other, and toggles back. */
export async function shotsBothThemes(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS_DIR, { recursive: true });
  for (let i = 0; i < 2; i++) {
    const theme = (await page.evaluate(() => document.documentElement.dataset.theme)) ?? 'light';
    const file = await screenshot(page, `walk-${name}-${theme}`);
    await copyFile(file, `${SHOTS_DIR}/walk-${name}-${theme}.png`);
    await page.getByTestId('theme-toggle').click();
  }
}
