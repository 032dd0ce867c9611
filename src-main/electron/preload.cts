/**
 * The preload: exposes the contract to the page as `window.retrainStudio`, and nothing more.
 *
 * Why `.cts`: sandboxed preloads run as classic scripts with a `require` that only knows
 * `electron` (and a few Node built-ins), so this file must compile to a self-contained
 * CommonJS file (`dist/main/electron/preload.cjs`) with no local imports. TypeScript emits
 * `.cts` as `.cjs`; the imports below from the contract are type-only and vanish.
 *
 * It keeps no method or event list: a call travels as `{ method, request }` on one channel
 * and the main process checks the method and validates the request (`host/dispatch`); events
 * arrive on one channel as `{ event, payload }`, and a listener of a name nobody sends never
 * fires. So the only values repeated from the contract are the two channel names below,
 * which test/electron/preload.test.ts pins to `IPC` in `api/wire.ts`. (Bundling the wire
 * module in with esbuild would remove those two strings at the cost of a build step and a
 * bundler in the chain of the one file that guards the page; not worth it for two strings.)
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
import type { HostEventName, HostEvents, PreloadBridge, WireReply } from '../api/contract.js';

export type { HostEventName, HostEvents };

/** What an IPC call resolves to. */
export type IpcReply<T = unknown> = WireReply<T>;

/** The object on `window.retrainStudio`. */
export type RetrainStudioBridge = PreloadBridge<File>;

/** `IPC.invoke` and `IPC.event` of api/wire.ts (this file may import no values; a test pins them). */
const INVOKE_CHANNEL = 'api';
const EVENT_CHANNEL = 'event';

/** Longest method or event name passed on (names are short identifiers; this bounds junk). */
const MAX_NAME_CHARS = 100;

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_CHARS;
const describe = (value: unknown): string => JSON.stringify(String(value)).slice(0, 80);

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
    if (!isName(method)) {
      return Promise.resolve({ error: { code: 'INVALID_ARGUMENT', message: `Unknown method ${describe(method)}.` } });
    }
    return ipcRenderer.invoke(INVOKE_CHANNEL, { method, request }) as Promise<IpcReply>;
  },
  on(event, listener) {
    if (!isName(event)) throw new Error(`Unknown event ${describe(event)}.`);
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
