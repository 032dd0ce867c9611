/**
 * The preload: exposes the contract to the page as `window.retrainStudio`, and nothing more.
 *
 * Why `.cts`: sandboxed preloads run as classic scripts with a `require` that only knows
 * `electron` (and a few Node built-ins), so this file must compile to a self-contained
 * CommonJS file (`dist/main/electron/preload.cjs`) with no local imports. TypeScript emits
 * `.cts` as `.cjs`; the imports below from the contract are type-only and vanish. The method
 * and event lists are therefore repeated here, and checked against the contract at compile time.
 *
 * The page gets:
 * - `invoke(method, request)` → `{ result }` or `{ error: { code, message } }` (never throws
 *   for a failed call: Electron keeps only the message of a thrown error; the renderer
 *   rebuilds a CoreError from `error`);
 * - `on(event, listener)` → unsubscribe; events are the core events plus `menu.*` host events;
 * - `getPathForFile(file)` → a dropped file's absolute path (`webUtils.getPathForFile`;
 *   `File.path` no longer exists since Electron 32).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { ApiMethod, EventName, WireError } from '../api/contract.js';

/** Host (menu) events: the user chose a folder from the application menu. */
export type HostEvents = {
  'menu.openDataset': [{ path: string }];
  'menu.importModel': [{ path: string }];
};
export type HostEventName = keyof HostEvents;

/** What an IPC call resolves to. */
export type IpcReply<T = unknown> = { result: T } | { error: WireError };

/** The object on `window.retrainStudio`. */
export type RetrainStudioBridge = {
  invoke(method: ApiMethod, request: unknown): Promise<IpcReply>;
  on(event: EventName | HostEventName, listener: (payload: unknown) => void): () => void;
  getPathForFile(file: File): string;
};

/** Channel prefix of contract calls (`api:<method>`) and the one channel of pushed events. */
const API_CHANNEL_PREFIX = 'api:';
const EVENT_CHANNEL = 'event';

const METHODS = [
  'getEngine', 'getSettings', 'updateSettings', 'getHyperparameters',
  'pickFolder', 'openDataset', 'listDatasetImages',
  'listModels', 'downloadModel', 'importModel', 'setBottleneckNode', 'describeModel',
  'startTraining', 'startSweep', 'cancelTraining',
  'listRuns', 'getRun', 'renameRun', 'deleteRun', 'exportScalars', 'exportRun',
  'classify', 'getCacheInfo', 'clearCache',
] as const satisfies readonly ApiMethod[];
const EVENTS = [
  'dataset.progress', 'model.download', 'run.phase', 'bottlenecks.progress', 'training.progress', 'run.finished', 'engine.changed',
  'menu.openDataset', 'menu.importModel',
] as const satisfies readonly (EventName | HostEventName)[];

// Compile-time: the lists above name every contract method and event.
type MissingMethod = Exclude<ApiMethod, (typeof METHODS)[number]>;
type MissingEvent = Exclude<EventName | HostEventName, (typeof EVENTS)[number]>;
const everyMethod: MissingMethod extends never ? true : MissingMethod = true;
const everyEvent: MissingEvent extends never ? true : MissingEvent = true;
void everyMethod;
void everyEvent;

const isMethod = (value: unknown): value is ApiMethod => typeof value === 'string' && (METHODS as readonly string[]).includes(value);
const isEvent = (value: unknown): value is EventName | HostEventName => typeof value === 'string' && (EVENTS as readonly string[]).includes(value);

// One IPC listener for all subscriptions (no MaxListeners warnings); the IPC event object,
// which holds the sender, never reaches the page.
const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, message: unknown) => {
  if (!message || typeof message !== 'object') return;
  const { event, payload } = message as { event?: unknown; payload?: unknown };
  if (typeof event !== 'string') return;
  for (const listener of listeners.get(event) ?? []) {
    try {
      listener(payload);
    } catch (error) {
      console.error(`retrainStudio: a listener of ${event} failed`, error);
    }
  }
});

const bridge: RetrainStudioBridge = {
  invoke(method, request) {
    if (!isMethod(method)) {
      return Promise.resolve({ error: { code: 'INVALID_ARGUMENT', message: `Unknown method ${JSON.stringify(String(method)).slice(0, 80)}.` } });
    }
    return ipcRenderer.invoke(API_CHANNEL_PREFIX + method, request) as Promise<IpcReply>;
  },
  on(event, listener) {
    if (!isEvent(event)) throw new Error(`Unknown event ${JSON.stringify(String(event)).slice(0, 80)}.`);
    if (typeof listener !== 'function') throw new Error('The listener must be a function.');
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  },
  getPathForFile(file) {
    return webUtils.getPathForFile(file);
  },
};

contextBridge.exposeInMainWorld('retrainStudio', bridge);
