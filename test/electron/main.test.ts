/**
 * main.ts wired against a fake `electron` module (no Electron binary here): the window's
 * security settings, protocols, IPC channels, session policy and navigation guards.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES } from '../../src-main/api/contract.js';
import { IPC } from '../../src-main/api/wire.js';
import type { FakeService } from '../server/fake-service.js';

type Listener = (...args: any[]) => any;

const fake = vi.hoisted(() => {
  const on = (map: Map<string, Listener[]>) => (event: string, listener: Listener) => {
    map.set(event, [...(map.get(event) ?? []), listener]);
  };
  const appListeners = new Map<string, Listener[]>();
  const windows: any[] = [];
  const state = {
    appListeners,
    windows,
    schemes: [] as any[],
    protocolHandlers: new Map<string, Listener>(),
    ipcHandlers: new Map<string, Listener>(),
    permissionRequest: undefined as Listener | undefined,
    permissionCheck: undefined as Listener | undefined,
    beforeRequest: undefined as { filter: any; listener: Listener } | undefined,
    menuTemplate: undefined as any,
    openedExternally: [] as string[],
    sandboxEnabled: false,
    service: undefined as FakeService | undefined,
    serviceOptions: undefined as any,
    ready: undefined as undefined | (() => void),
  };
  const readyPromise = new Promise<void>((resolve) => (state.ready = resolve));
  class BrowserWindow {
    options: any;
    listeners = new Map<string, Listener[]>();
    loaded: string[] = [];
    webContents = { id: 42, send: vi.fn(), isDestroyed: () => false };
    constructor(options: any) {
      this.options = options;
      windows.push(this);
    }
    once = on(this.listeners);
    on = on(this.listeners);
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    show() {}
    setBackgroundColor() {}
    isMinimized = () => false;
    focus() {}
    static getAllWindows = () => windows;
  }
  const electron = {
    app: {
      isPackaged: false,
      enableSandbox: () => (state.sandboxEnabled = true),
      requestSingleInstanceLock: () => true,
      on: on(appListeners),
      whenReady: () => readyPromise,
      getAppPath: () => '/opt/retrain-studio',
      getVersion: () => '0.1.0',
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    dialog: { showOpenDialog: vi.fn(), showMessageBox: vi.fn(), showErrorBox: vi.fn() },
    ipcMain: { handle: (channel: string, listener: Listener) => state.ipcHandlers.set(channel, listener), removeHandler: vi.fn() },
    Menu: { buildFromTemplate: (template: any) => (state.menuTemplate = template), setApplicationMenu: vi.fn() },
    nativeTheme: { shouldUseDarkColors: false, themeSource: 'system', on: vi.fn() },
    protocol: {
      registerSchemesAsPrivileged: (schemes: any[]) => state.schemes.push(...schemes),
      handle: (scheme: string, handler: Listener) => state.protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Listener) => (state.permissionRequest = handler),
        setPermissionCheckHandler: (handler: Listener) => (state.permissionCheck = handler),
        setDevicePermissionHandler: vi.fn(),
        setDisplayMediaRequestHandler: vi.fn(),
        webRequest: { onBeforeRequest: (filter: any, listener: Listener) => (state.beforeRequest = { filter, listener }) },
      },
    },
    shell: { openExternal: async (url: string) => void state.openedExternally.push(url) },
  };
  return { state, electron };
});

vi.mock('electron', () => fake.electron);
vi.mock('../../src-main/api/service.js', async () => {
  const { createFakeService } = await import('../server/fake-service.js');
  return {
    createService: async (options: unknown) => {
      fake.state.serviceOptions = options;
      fake.state.service = createFakeService();
      return fake.state.service;
    },
  };
});

const { state } = fake;

beforeAll(async () => {
  await import('../../src-main/electron/main.js');
  state.ready?.();
  await vi.waitFor(() => expect(state.windows).toHaveLength(1));
});

describe('main process', () => {
  it('registers app:// and rs-image:// as privileged standard secure schemes before ready, and sandboxes every renderer', () => {
    expect(state.schemes.map((s) => s.scheme)).toEqual(['app', 'rs-image']);
    for (const scheme of state.schemes) expect(scheme.privileges).toMatchObject({ standard: true, secure: true });
    expect(state.schemes[0].privileges.bypassCSP).toBeUndefined();
    expect(state.sandboxEnabled).toBe(true);
  });

  it('creates one locked-down window loading the app from app://', () => {
    const [window] = state.windows;
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      webviewTag: false,
    });
    expect(window.options.webPreferences.preload).toMatch(/[\\/]preload\.cjs$/);
    expect(window.loaded).toEqual(['app://retrain-studio/index.html']);
  });

  it('serves both protocols and registers the one IPC channel', () => {
    expect([...state.protocolHandlers.keys()].sort()).toEqual(['app', 'rs-image']);
    expect([...state.ipcHandlers.keys()]).toEqual([IPC.invoke]);
  });

  it('answers IPC { method, request } from its window only', async () => {
    const handler = state.ipcHandlers.get(IPC.invoke)!;
    const fromApp = { sender: { id: 42 }, senderFrame: { url: 'app://retrain-studio/index.html', parent: null } };
    const fromElsewhere = { sender: { id: 43 }, senderFrame: { url: 'app://retrain-studio/index.html', parent: null } };
    expect(await handler(fromApp, { method: 'getEngine', request: {} })).toMatchObject({ result: { backend: 'wasm' } });
    expect(await handler(fromElsewhere, { method: 'getEngine', request: {} })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('gives the service a native folder picker and forwards every core event to the window', () => {
    expect(typeof state.serviceOptions.pickFolder).toBe('function');
    const send = state.windows[0].webContents.send;
    send.mockClear();
    // Every name of the contract's event table, each with a payload of its own.
    EVENT_NAMES.forEach((event, i) => state.service!.emit(event, { marker: i } as never));
    expect(send.mock.calls).toEqual(EVENT_NAMES.map((event, i) => [IPC.event, { event, payload: { marker: i } }]));
  });

  it('denies permissions except clipboard writes from the app, and blocks network requests', () => {
    const decide = (permission: string, url: string) => {
      let granted: boolean | undefined;
      state.permissionRequest!({ getURL: () => url }, permission, (value: boolean) => (granted = value));
      return granted;
    };
    expect(decide('media', 'app://retrain-studio/index.html')).toBe(false);
    expect(decide('geolocation', 'app://retrain-studio/index.html')).toBe(false);
    expect(decide('clipboard-sanitized-write', 'app://retrain-studio/index.html')).toBe(true);
    expect(decide('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(state.permissionCheck!(null, 'clipboard-sanitized-write', 'app://retrain-studio')).toBe(true);
    expect(state.permissionCheck!(null, 'notifications', 'app://retrain-studio')).toBe(false);
    // The camera, video only, for the app's page (the webcam in Classify).
    let camera: boolean | undefined;
    state.permissionRequest!({ getURL: () => 'app://retrain-studio/index.html' }, 'media', (value: boolean) => (camera = value), { mediaTypes: ['video'] });
    expect(camera).toBe(true);
    state.permissionRequest!({ getURL: () => 'app://retrain-studio/index.html' }, 'media', (value: boolean) => (camera = value), { mediaTypes: ['video', 'audio'] });
    expect(camera).toBe(false);
    state.permissionRequest!({ getURL: () => 'https://evil.example/' }, 'media', (value: boolean) => (camera = value), { mediaTypes: ['video'] });
    expect(camera).toBe(false);
    expect(state.permissionCheck!(null, 'media', 'app://retrain-studio', { mediaType: 'video' })).toBe(true);
    expect(state.permissionCheck!(null, 'media', 'https://evil.example', { mediaType: 'video' })).toBe(false);
    let cancelled: boolean | undefined;
    state.beforeRequest!.listener({ url: 'https://example.com/x.js' }, (r: { cancel: boolean }) => (cancelled = r.cancel));
    expect(cancelled).toBe(true);
    expect(state.beforeRequest!.filter.urls).toEqual(expect.arrayContaining(['http://*/*', 'https://*/*']));
  });

  it('blocks navigation and new windows; opens only allow-listed https links outside', () => {
    const contentsListeners = new Map<string, Listener[]>();
    let openHandler: Listener | undefined;
    const contents = {
      on: (event: string, listener: Listener) => contentsListeners.set(event, [...(contentsListeners.get(event) ?? []), listener]),
      setWindowOpenHandler: (handler: Listener) => (openHandler = handler),
    };
    for (const listener of state.appListeners.get('web-contents-created') ?? []) listener({}, contents);
    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() };
      for (const listener of contentsListeners.get('will-navigate') ?? []) listener(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('https://github.com/tensorflow/tfjs')).toBe(true);
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'https://www.tensorflow.org/js' })).toEqual({ action: 'deny' });
    expect(state.openedExternally).toEqual(['https://github.com/tensorflow/tfjs', 'https://www.tensorflow.org/js']);
    const webview = { preventDefault: vi.fn() };
    for (const listener of contentsListeners.get('will-attach-webview') ?? []) listener(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('builds the menu with Open Dataset Folder… on Ctrl/Cmd+O', () => {
    const file = state.menuTemplate.find((item: { label?: string }) => item.label === '&File');
    expect(file.submenu[0]).toMatchObject({ label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O' });
  });

  it('closes the service before quitting', async () => {
    const event = { preventDefault: vi.fn() };
    for (const listener of state.appListeners.get('will-quit') ?? []) listener(event);
    expect(event.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(fake.electron.app.quit).toHaveBeenCalled());
    expect(state.service!.closed).toBe(true);
  });
});
