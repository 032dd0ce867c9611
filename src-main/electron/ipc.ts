/**
 * The contract over Electron IPC, main side: ONE channel, `IPC.invoke`, carrying
 * `{ method, request }` and answering `{ result }` or `{ error }`; core events pushed on
 * `IPC.event` as `{ event, payload }`.
 *
 * This adapter only translates: it checks the sender (our window's main frame at the app's
 * own origin) and hands the message to the host's `dispatch` (method check → validateRequest
 * → service → reply). Failures come back as `{ error }`, never thrown (Electron keeps only
 * the message of a thrown error); the renderer rebuilds the CoreError.
 *
 * No value import of `electron` here: `main.ts` passes `ipcMain` in, so this module is
 * tested in plain Node.
 */
import type { IpcMainInvokeEvent } from 'electron';
import type { CoreApi, EventName } from '../api/contract.js';
import type { Logger } from '../api/service-types.js';
import { IPC } from '../api/wire.js';
import { dispatch } from '../host/dispatch.js';
import { isAppUrl } from './policy.js';
// Type-only: also makes `tsc` compile the preload (tsconfig includes only `*.ts`).
import type { HostEventName, IpcReply } from './preload.cjs';

export type { HostEventName, IpcReply, RetrainStudioBridge } from './preload.cjs';


/** What the main process knows about who sent an IPC message. */
export type SenderInfo = {
  /** `webContents.id` of the sender. */
  webContentsId: number;
  /** URL of the sending frame; null when the frame is gone. */
  frameUrl: string | null;
  /** False for iframes. */
  isMainFrame: boolean;
};

/**
 * True when a message comes from the trusted window's top frame showing the app
 * (`app://retrain-studio/...`): not from another window, an iframe or a navigated-away page.
 */
export function isTrustedSender(sender: SenderInfo, trustedWebContentsId: number | undefined): boolean {
  return trustedWebContentsId !== undefined && sender.webContentsId === trustedWebContentsId && sender.isMainFrame && isAppUrl(sender.frameUrl);
}

/** Extracts `SenderInfo` from an Electron invoke event. */
export function senderInfo(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): SenderInfo {
  const frame = event.senderFrame;
  return { webContentsId: event.sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame != null && frame.parent === null };
}

/** Options of `createIpcHandler` / `registerIpc`. */
export type IpcOptions = {
  service: CoreApi;
  /** `webContents.id` of the app window (undefined before it exists: everything is refused). */
  trustedWebContentsId: () => number | undefined;
  logger: Logger;
};

/** The handler of `IPC.invoke` once the sender is known. */
export type IpcCall = (sender: SenderInfo, message: unknown) => Promise<IpcReply>;

/**
 * The one IPC handler: sender check → `{ method, request }` shape → `dispatch`. An untrusted
 * sender is refused (UNAUTHORIZED, logged) before anything is read from its message.
 */
export function createIpcHandler(options: IpcOptions): IpcCall {
  return async (sender, message) => {
    if (!isTrustedSender(sender, options.trustedWebContentsId())) {
      options.logger.warn(`IPC refused from ${sender.frameUrl ?? 'a destroyed frame'} (webContents ${sender.webContentsId}).`);
      return { error: { code: 'UNAUTHORIZED', message: 'This IPC channel only answers the Retrain Studio window.' } };
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message) || !Object.hasOwn(message, 'method')) {
      return { error: { code: 'INVALID_ARGUMENT', message: `IPC messages on "${IPC.invoke}" look like { method, request }.` } };
    }
    const { method, request } = message as { method: unknown; request?: unknown };
    return dispatch(options.service, method, request, options.logger);
  };
}

/** The part of `ipcMain` this module uses. */
export type IpcMainLike = {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
};

/** Registers the one `IPC.invoke` handler on `ipcMain`. Returns the function that removes it. */
export function registerIpc(options: IpcOptions & { ipcMain: IpcMainLike }): () => void {
  const call = createIpcHandler(options);
  options.ipcMain.handle(IPC.invoke, (event, message) => call(senderInfo(event), message));
  return () => options.ipcMain.removeHandler(IPC.invoke);
}

/** A message on `IPC.event`: a core event, or a host (menu) event from main.ts. */
export type EventMessage = { event: EventName | HostEventName; payload: unknown };
