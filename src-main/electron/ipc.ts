/**
 * The contract over Electron IPC, main side: one `ipcMain.handle` channel per method
 * (`api:<method>`), core events pushed on the `event` channel as `{ event, payload }`.
 *
 * Every call is checked in this order: the sender is our window's main frame at the app's
 * own origin; the method exists; the request passes `validateRequest`. Failures come back as
 * `{ error: { code, message } }`, never thrown (Electron keeps only the message of a thrown
 * error), and the renderer rebuilds the CoreError.
 *
 * No value import of `electron` here: `main.ts` passes `ipcMain` in, so this module is
 * tested in plain Node.
 */
import type { IpcMainInvokeEvent } from 'electron';
import { CoreError, EVENT_NAMES, type ApiClient, type ApiMethod, type ApiReply, type ApiRequest, type CoreApi, type EventName } from '../api/contract.js';
import type { Logger } from '../api/service-types.js';
import { isApiMethod, validateRequest } from '../api/validate.js';
import { isAppUrl } from './policy.js';
// Type-only: also makes `tsc` compile the preload (tsconfig includes only `*.ts`).
import type { HostEventName, IpcReply } from './preload.cjs';

export type { HostEventName, IpcReply, RetrainStudioBridge } from './preload.cjs';

/** Channel of method `m` is `API_CHANNEL_PREFIX + m` (the preload repeats this value). */
export const API_CHANNEL_PREFIX = 'api:';
/** The channel every pushed event travels on (the preload repeats this value). */
export const EVENT_CHANNEL = 'event';

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

/** The handler table: one typed entry per contract method. A missing method does not compile. */
type HandlerTable = { [M in ApiMethod]: (request: ApiRequest<M>) => Promise<ApiReply<M>> };

function handlerTable(service: CoreApi): HandlerTable {
  return {
    getEngine: (r) => service.getEngine(r),
    getSettings: (r) => service.getSettings(r),
    updateSettings: (r) => service.updateSettings(r),
    getHyperparameters: (r) => service.getHyperparameters(r),
    // The service calls the host's folder dialog (ServiceOptions.pickFolder) and grants the folder.
    pickFolder: (r) => service.pickFolder(r),
    openDataset: (r) => service.openDataset(r),
    listDatasetImages: (r) => service.listDatasetImages(r),
    listModels: (r) => service.listModels(r),
    downloadModel: (r) => service.downloadModel(r),
    importModel: (r) => service.importModel(r),
    setBottleneckNode: (r) => service.setBottleneckNode(r),
    describeModel: (r) => service.describeModel(r),
    startTraining: (r) => service.startTraining(r),
    startSweep: (r) => service.startSweep(r),
    cancelTraining: (r) => service.cancelTraining(r),
    listRuns: (r) => service.listRuns(r),
    getRun: (r) => service.getRun(r),
    renameRun: (r) => service.renameRun(r),
    deleteRun: (r) => service.deleteRun(r),
    exportScalars: (r) => service.exportScalars(r),
    exportRun: (r) => service.exportRun(r),
    classify: (r) => service.classify(r),
    getCacheInfo: (r) => service.getCacheInfo(r),
    clearCache: (r) => service.clearCache(r),
  };
}

/** An IPC handler after the sender is known: validates, calls, and wraps the outcome. */
export type IpcCall = (sender: SenderInfo, raw: unknown) => Promise<IpcReply>;

/** Options of `createIpcHandlers` / `registerIpc`. */
export type IpcOptions = {
  service: CoreApi;
  /** `webContents.id` of the app window (undefined before it exists: everything is refused). */
  trustedWebContentsId: () => number | undefined;
  logger: Logger;
};

/**
 * Builds one guarded handler per method: sender check → `validateRequest` → service call →
 * `{ result }`; any failure → `{ error }`. Plain (non-Core) errors are logged with their stack
 * and reach the renderer as a generic INTERNAL message.
 */
export function createIpcHandlers(options: IpcOptions): Record<ApiMethod, IpcCall> {
  const table = handlerTable(options.service);
  const wrap = <M extends ApiMethod>(method: M): IpcCall => async (sender, raw) => {
    if (!isTrustedSender(sender, options.trustedWebContentsId())) {
      options.logger.warn(`IPC ${method} refused from ${sender.frameUrl ?? 'a destroyed frame'} (webContents ${sender.webContentsId}).`);
      return { error: { code: 'UNAUTHORIZED', message: 'This IPC channel only answers the Retrain Studio window.' } };
    }
    try {
      const request = validateRequest(method, raw);
      const result = await table[method](request);
      return { result };
    } catch (error) {
      if (error instanceof CoreError) return { error: error.toJSON() };
      options.logger.error(`IPC ${method}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { error: { code: 'INTERNAL', message: `Internal error in ${method}; the app's log has the details.` } };
    }
  };
  const handlers = Object.create(null) as Record<ApiMethod, IpcCall>;
  for (const method of Object.keys(table)) {
    if (isApiMethod(method)) handlers[method] = wrap(method);
  }
  return handlers;
}

/** The part of `ipcMain` this module uses. */
export type IpcMainLike = {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
};

/**
 * Registers `api:<method>` for every contract method on `ipcMain`. Returns a function that
 * removes them all.
 */
export function registerIpc(options: IpcOptions & { ipcMain: IpcMainLike }): () => void {
  const handlers = createIpcHandlers(options);
  const channels: string[] = [];
  for (const [method, call] of Object.entries(handlers) as [ApiMethod, IpcCall][]) {
    const channel = API_CHANNEL_PREFIX + method;
    options.ipcMain.handle(channel, (event, raw) => call(senderInfo(event), raw));
    channels.push(channel);
  }
  return () => channels.forEach((channel) => options.ipcMain.removeHandler(channel));
}

/** A message on `EVENT_CHANNEL`. */
export type EventMessage = { event: EventName | HostEventName; payload: unknown };

/**
 * Subscribes once to every core event and hands each to `send` as `{ event, payload }`
 * (main.ts sends it to the window). Returns the unsubscribe function.
 */
export function forwardEvents(service: Pick<ApiClient, 'on'>, send: (message: EventMessage) => void): () => void {
  const unsubscribers = EVENT_NAMES.map((event) => service.on(event, (payload) => send({ event, payload })));
  return () => unsubscribers.forEach((off) => off());
}
