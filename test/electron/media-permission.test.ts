/** The Electron permission policy (pure, in Node): the camera only for the app's own page, video only; the clipboard as before; nothing else. */
import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, APP_ORIGIN, isPermissionAllowed } from '../../src-main/electron/policy.js';

describe('isPermissionAllowed', () => {
  it('allows the camera (video only) to the app page and its origin', () => {
    expect(isPermissionAllowed('media', APP_INDEX_URL, ['video'])).toBe(true);
    expect(isPermissionAllowed('media', APP_ORIGIN, ['video'])).toBe(true);
  });

  it('refuses the microphone, an unknown media type and a media request that names none', () => {
    expect(isPermissionAllowed('media', APP_INDEX_URL, ['audio'])).toBe(false);
    expect(isPermissionAllowed('media', APP_INDEX_URL, ['video', 'audio'])).toBe(false);
    expect(isPermissionAllowed('media', APP_INDEX_URL, ['unknown'])).toBe(false);
    expect(isPermissionAllowed('media', APP_INDEX_URL, [])).toBe(false);
    expect(isPermissionAllowed('media', APP_INDEX_URL)).toBe(false);
  });

  it('refuses every page that is not the app (remote, file, lookalike hosts, credentials)', () => {
    for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'file:///index.html', 'app://retrain-studio.evil/index.html', 'app://evil/index.html', 'app://user:pw@retrain-studio/index.html', '', null, undefined]) {
      expect(isPermissionAllowed('media', url, ['video']), String(url)).toBe(false);
      expect(isPermissionAllowed('clipboard-sanitized-write', url), String(url)).toBe(false);
    }
  });

  it('keeps the clipboard write and refuses every other permission, even to the app', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', APP_INDEX_URL)).toBe(true);
    for (const permission of ['geolocation', 'notifications', 'display-capture', 'clipboard-read', 'midi', 'mediaKeySystem', 'openExternal', 'fileSystem', 'hid', 'serial', 'usb']) {
      expect(isPermissionAllowed(permission, APP_INDEX_URL, ['video']), permission).toBe(false);
    }
  });
});
