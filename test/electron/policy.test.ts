import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { buildMenuTemplate, type MenuActions } from '../../src-main/electron/menu.js';
import { APP_CSP, APP_ORIGIN, isAllowedExternalUrl, isAppUrl } from '../../src-main/electron/policy.js';

describe('policy', () => {
  it('recognises the app’s own URLs only', () => {
    expect(APP_ORIGIN).toBe('app://retrain-studio');
    expect(isAppUrl('app://retrain-studio/index.html')).toBe(true);
    expect(isAppUrl('app://retrain-studio/')).toBe(true);
    for (const url of ['app://retrain-studio.evil/', 'app://evil/', 'https://retrain-studio/', 'file:///index.html', 'app://x@retrain-studio/', '', null, undefined, 'garbage']) {
      expect(isAppUrl(url), String(url)).toBe(false);
    }
  });

  it('opens only plain https links to allow-listed hosts', () => {
    expect(isAllowedExternalUrl('https://github.com/tensorflow/tfjs')).toBe(true);
    expect(isAllowedExternalUrl('https://www.tensorflow.org/js')).toBe(true);
    for (const url of [
      'http://github.com/',
      'https://github.com.evil.com/',
      'https://evil.com/?github.com',
      'https://user:pw@github.com/',
      'https://github.com:444/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://github.com/share',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });

  it('has a CSP without inline or eval scripts, allowing the image scheme', () => {
    expect(APP_CSP).toContain("script-src 'self';");
    expect(APP_CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(APP_CSP).toContain("img-src 'self' data: blob: rs-image:");
    expect(APP_CSP).toContain("object-src 'none'");
    expect(APP_CSP).toContain("frame-ancestors 'none'");
  });
});

describe('buildMenuTemplate', () => {
  const actions = (): MenuActions & Record<string, ReturnType<typeof vi.fn>> => ({
    openDataset: vi.fn(),
    importModel: vi.fn(),
    toggleDarkMode: vi.fn(),
    showAbout: vi.fn(),
    openProjectPage: vi.fn(),
  });
  const flatten = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
    items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
  const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as (() => void) | undefined)?.();

  it('wires File › Open Dataset Folder… to Ctrl/Cmd+O and the other actions', () => {
    const a = actions();
    const items = flatten(buildMenuTemplate(a, { appName: 'Retrain Studio', isMac: false, isDev: false, isDark: true }));
    const open = items.find((i) => i.id === 'open-dataset');
    expect(open).toMatchObject({ label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O' });
    click(open);
    click(items.find((i) => i.id === 'import-model'));
    click(items.find((i) => i.id === 'dark-mode'));
    click(items.find((i) => i.id === 'about'));
    click(items.find((i) => i.id === 'project-page'));
    expect(a.openDataset).toHaveBeenCalledOnce();
    expect(a.importModel).toHaveBeenCalledOnce();
    expect(a.toggleDarkMode).toHaveBeenCalledOnce();
    expect(a.showAbout).toHaveBeenCalledOnce();
    expect(a.openProjectPage).toHaveBeenCalledOnce();
    expect(items.find((i) => i.id === 'dark-mode')?.checked).toBe(true);
    expect(items.some((i) => i.role === 'quit')).toBe(true);
  });

  it('offers reload and devtools in development only', () => {
    const roles = (isDev: boolean) => flatten(buildMenuTemplate(actions(), { appName: 'R', isMac: false, isDev, isDark: false })).map((i) => i.role);
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('adds the macOS app menu and hides the project link when unknown', () => {
    const a = actions();
    delete (a as Partial<MenuActions>).openProjectPage;
    const template = buildMenuTemplate(a, { appName: 'Retrain Studio', isMac: true, isDev: false, isDark: false });
    expect(template[0].label).toBe('Retrain Studio');
    expect(flatten(template).some((i) => i.id === 'project-page')).toBe(false);
  });
});
