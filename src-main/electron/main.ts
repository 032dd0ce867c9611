/**
 * The desktop shell (Electron main process): one window showing the renderer from the
 * privileged `app://retrain-studio` scheme, the contract over IPC, local images over
 * `rs-image://`, the application menu and native folder dialogs.
 *
 * Security (DESIGN.md): the renderer is untrusted. contextIsolation + sandbox, no Node in
 * the page, a strict CSP on every app response, navigation and new windows blocked (only
 * allow-listed https links open, in the user's browser), every permission request denied
 * except clipboard writes and the camera (video only) from the app, every IPC call sender-checked and validated.
 *
 * The only module that imports `electron` at runtime besides the preload.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, protocol, session, shell, type WebContents } from 'electron';
import type { FolderPurpose, HostEventName } from '../api/contract.js';
import { createService } from '../api/service.js';
import type { Logger, Service } from '../api/service-types.js';
import { defaultDataDir } from '../core/paths.js';
import { IPC } from '../api/wire.js';
import { forwardEvents } from '../host/events.js';
import { registerIpc, type EventMessage } from './ipc.js';
import { buildMenuTemplate } from './menu.js';
import { APP_INDEX_URL, APP_ORIGIN, APP_SCHEME, IMAGE_SCHEME, isAllowedExternalUrl, isAppUrl, isPermissionAllowed } from './policy.js';
import { createAppProtocolHandler, createImageProtocolHandler } from './protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const isDev = !app.isPackaged;
const APP_NAME = 'Retrain Studio';

const logger: Logger = {
  info: (message) => console.log(`[retrain-studio] ${message}`),
  warn: (message) => console.warn(`[retrain-studio] warning: ${message}`),
  error: (message) => console.error(`[retrain-studio] error: ${message}`),
};

// Before `ready`: the schemes must be known to Chromium when it starts.
protocol.registerSchemesAsPrivileged([
  // standard: real origins and relative URLs; secure: a secure context like https.
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);
// Every renderer sandboxed, whatever a webPreferences says.
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let service: Service | null = null;
let serviceClosed = false;

/** The project page from package.json (`homepage`, else `repository.url`), if any. */
function projectUrl(): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path.join(app.getAppPath(), 'package.json'), 'utf8')) as {
      homepage?: unknown;
      repository?: unknown;
    };
    const repository = manifest.repository as { url?: unknown } | string | undefined;
    const candidate = typeof manifest.homepage === 'string' ? manifest.homepage : typeof repository === 'string' ? repository : repository?.url;
    if (typeof candidate !== 'string') return undefined;
    const url = candidate.replace(/^git\+/, '').replace(/\.git$/, '');
    return isAllowedExternalUrl(url) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Hardens every web contents the app creates (the window, and any that might appear). */
function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    // The app is a single page: every navigation is refused; allow-listed links go to the browser.
    event.preventDefault();
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

function applySessionPolicy(): void {
  const ses = session.defaultSession;
  // Only "copy to clipboard" (the label command, snippets) and the camera (the webcam in Classify) from the app itself.
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, contents.getURL(), details && 'mediaTypes' in details ? (details.mediaTypes ?? []) : []));
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => requestingOrigin === APP_ORIGIN && isPermissionAllowed(permission, requestingOrigin, details?.mediaType ? [details.mediaType] : []));
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // Nothing remote is ever loaded; refuse any http(s)/ws request the page might attempt.
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) => {
    callback({ cancel: true });
  });
}

function backgroundColor(): string {
  return nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff';
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    title: APP_NAME,
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: backgroundColor(),
    icon: process.platform === 'linux' ? path.join(app.getAppPath(), 'resources', 'icon.png') : undefined,
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: isDev,
    },
  });
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  void window.loadURL(APP_INDEX_URL);
  return window;
}

function send(message: EventMessage): void {
  const contents = mainWindow?.webContents;
  if (contents && !contents.isDestroyed()) contents.send(IPC.event, message);
}

/** The native folder dialog, attached to the window when there is one. */
async function chooseFolder(purpose: FolderPurpose): Promise<string | null> {
  const titles: Record<FolderPurpose, string> = { dataset: 'Open a dataset folder (one sub-folder per class)', model: 'Import a TF.js model folder', export: 'Choose where to export' };
  const options: Electron.OpenDialogOptions = {
    title: titles[purpose],
    properties: purpose === 'export' ? ['openDirectory', 'createDirectory'] : ['openDirectory'],
  };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

function buildMenu(): void {
  const homepage = projectUrl();
  const template = buildMenuTemplate(
    {
      openDataset: () => void pickFromMenu('dataset', 'menu.openDataset'),
      importModel: () => void pickFromMenu('model', 'menu.importModel'),
      toggleDarkMode: () => {
        nativeTheme.themeSource = nativeTheme.shouldUseDarkColors ? 'light' : 'dark';
      },
      showAbout: () => void showAbout(),
      openProjectPage: homepage ? () => void shell.openExternal(homepage) : undefined,
    },
    { appName: APP_NAME, isMac: process.platform === 'darwin', isDev, isDark: nativeTheme.shouldUseDarkColors },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

/** Menu → native dialog → grant the folder → ask the renderer to open it. */
async function pickFromMenu(purpose: Exclude<FolderPurpose, 'export'>, event: HostEventName): Promise<void> {
  try {
    const dir = await chooseFolder(purpose);
    if (!dir || !service) return;
    service.access.grant(dir);
    send({ event, payload: { path: dir } });
  } catch (error) {
    logger.error(`${event}: ${String(error)}`);
  }
}

async function showAbout(): Promise<void> {
  const options: Electron.MessageBoxOptions = {
    type: 'info',
    title: `About ${APP_NAME}`,
    message: `${APP_NAME} ${app.getVersion()}`,
    detail: [
      'Retrain the last layer of a pretrained image network on your own photos.',
      `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node ${process.versions.node}`,
      `Data folder: ${defaultDataDir()}`,
    ].join('\n'),
    buttons: ['OK'],
  };
  if (mainWindow) await dialog.showMessageBox(mainWindow, options);
  else await dialog.showMessageBox(options);
}

async function start(): Promise<void> {
  applySessionPolicy();
  service = await createService({ dataDir: defaultDataDir(), logger, pickFolder: chooseFolder });
  const rendererDir = path.join(app.getAppPath(), 'dist', 'renderer');
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rendererDir }));
  protocol.handle(IMAGE_SCHEME, createImageProtocolHandler({ service, logger }));
  registerIpc({ ipcMain, service, logger, trustedWebContentsId: () => mainWindow?.webContents.id });
  forwardEvents(service, send);
  buildMenu();
  nativeTheme.on('updated', () => {
    mainWindow?.setBackgroundColor(backgroundColor());
    buildMenu();
  });
  mainWindow = createWindow();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the data folder; it focuses its window (second-instance below).
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (service && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('will-quit', (event) => {
    // Let running work stop and files close before the process ends.
    if (service && !serviceClosed) {
      event.preventDefault();
      const closing = service;
      service = null;
      closing
        .close()
        .catch((error: unknown) => logger.error(`closing the service failed: ${String(error)}`))
        .finally(() => {
          serviceClosed = true;
          app.quit();
        });
    }
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      logger.error(`startup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      dialog.showErrorBox(`${APP_NAME} could not start`, error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
