/**
 * The application menu as a template (data), built from the actions `main.ts` supplies.
 * Type-only Electron import, so the template is tested in Node.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu items do; `main.ts` implements them. */
export type MenuActions = {
  openDataset(): void;
  importModel(): void;
  toggleDarkMode(): void;
  showAbout(): void;
  /** Opens the project page; the item is shown only when a URL is known. */
  openProjectPage?: () => void;
};

/** Options of `buildMenuTemplate`. */
export type MenuOptions = {
  appName: string;
  /** macOS gets the app menu and the Cmd-based roles. */
  isMac: boolean;
  /** Development build: adds Reload and the developer tools. */
  isDev: boolean;
  /** Whether the dark theme is on (checkbox state). */
  isDark: boolean;
};

/**
 * The menu: File (Open Dataset Folder… Ctrl/Cmd+O, Import Model…, Quit), Edit (standard
 * roles, for text fields), View (dark mode, zoom, full screen; reload and devtools in
 * development only), Window, Help (About, project page).
 */
export function buildMenuTemplate(actions: MenuActions, options: MenuOptions): MenuItemConstructorOptions[] {
  const template: MenuItemConstructorOptions[] = [];
  if (options.isMac) {
    template.push({
      label: options.appName,
      submenu: [
        { label: `About ${options.appName}`, click: () => actions.showAbout() },
        { type: 'separator' },
        { role: 'services' },
        { type: 'separator' },
        { role: 'hide' },
        { role: 'hideOthers' },
        { role: 'unhide' },
        { type: 'separator' },
        { role: 'quit' },
      ],
    });
  }
  template.push({
    label: '&File',
    submenu: [
      { id: 'open-dataset', label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openDataset() },
      { id: 'import-model', label: 'Import Model…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.importModel() },
      { type: 'separator' },
      options.isMac ? { role: 'close' } : { role: 'quit' },
    ],
  });
  template.push({
    label: '&Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  });
  const view: MenuItemConstructorOptions[] = [
    { id: 'dark-mode', label: 'Dark Mode', type: 'checkbox', checked: options.isDark, accelerator: 'CmdOrCtrl+Shift+D', click: () => actions.toggleDarkMode() },
    { type: 'separator' },
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  if (options.isDev) view.unshift({ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' });
  template.push({ label: '&View', submenu: view });
  template.push({ role: 'windowMenu' });
  const help: MenuItemConstructorOptions[] = [];
  if (!options.isMac) help.push({ id: 'about', label: `About ${options.appName}`, click: () => actions.showAbout() });
  if (actions.openProjectPage) {
    const open = actions.openProjectPage;
    help.push({ id: 'project-page', label: 'Retrain Studio on GitHub', click: () => open() });
  }
  template.push({ role: 'help', submenu: help });
  return template;
}
