/**
 * Browser uploads and downloads of `serve`'s binary routes (issue 10, item 8): a folder of class
 * folders sent file by file (the server streams each to disk), and an export fetched as a zip.
 * Both carry the token as `Authorization: Bearer …`, as every /api call does. Electron never
 * uses this: it has real paths and native dialogs.
 */
import { CoreError, TRANSFER_ROUTES, UPLOAD_LIMITS, isUploadImage, uploadPathProblem, type UploadResult } from '../../src-main/api/contract.js';
import { readToken } from './api.js';
import { downloadBlob } from './download.js';

/** One file to send and its path below the upload (`flower_photos/daisy/1.jpg`: the chosen folder first). */
export type UploadEntry = { file: File; path: string };

export type UploadProgress = { done: number; total: number; bytes: number; totalBytes: number };

/** Files sent at once: enough to hide each request's latency, few enough not to swamp the server. */
const PARALLEL = 4;

const authHeaders = (): Record<string, string> => {
  const token = readToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
};

/** The server's `{ result }`, or its `{ error }` as a CoreError. */
async function reply<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  let body: { result?: T; error?: { code: string; message: string } } | undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (body?.error) throw CoreError.fromJSON(body.error);
  if (!response.ok || !body || !('result' in body)) throw new CoreError('INTERNAL', `${what}: the server answered ${response.status} ${response.statusText}.`);
  return body.result as T;
}

/** Which files an upload sends, and which it leaves out (not images, hidden, bad names), before anything is sent. */
export function planUpload(entries: UploadEntry[]): { send: UploadEntry[]; skipped: string[]; tooLarge: UploadEntry[]; bytes: number } {
  const send: UploadEntry[] = [];
  const skipped: string[] = [];
  const tooLarge: UploadEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (!isUploadImage(entry.path) || uploadPathProblem(entry.path)) skipped.push(entry.path);
    else if (entry.file.size > UPLOAD_LIMITS.fileBytes) tooLarge.push(entry);
    else {
      send.push(entry);
      bytes += entry.file.size;
    }
  }
  return { send, skipped, tooLarge, bytes };
}

/**
 * Uploads `entries` as one folder called `name` and returns where the server stored it (then
 * open that path as a dataset). Stops at the first refused file and drops the upload.
 * @throws CoreError with the server's message (or the limit passed, said before sending).
 */
export async function uploadFolder(name: string, entries: UploadEntry[], onProgress?: (progress: UploadProgress) => void): Promise<UploadResult> {
  const plan = planUpload(entries);
  const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
  if (plan.tooLarge.length) throw new CoreError('PAYLOAD_TOO_LARGE', `${plan.tooLarge[0].path} is larger than ${mib(UPLOAD_LIMITS.fileBytes)}, the most one image may have${plan.tooLarge.length > 1 ? ` (and ${plan.tooLarge.length - 1} more)` : ''}.`);
  if (plan.send.length === 0) throw new CoreError('DATASET_EMPTY', `None of the ${entries.length} files is an image (kept: ${UPLOAD_LIMITS.imageExtensions.join(' ')}). Choose the folder that holds one sub-folder per class.`);
  if (plan.bytes > UPLOAD_LIMITS.totalBytes) throw new CoreError('PAYLOAD_TOO_LARGE', `The images add up to ${mib(plan.bytes)}, over the ${mib(UPLOAD_LIMITS.totalBytes)} one upload may have; copy the folder to the server and type its path instead.`);
  const base = location.origin;
  const { uploadId } = await reply<{ uploadId: string }>(
    await fetch(`${base}${TRANSFER_ROUTES.uploadStart}?name=${encodeURIComponent(name)}`, { method: 'POST', headers: authHeaders() }),
    'Upload',
  );
  const progress: UploadProgress = { done: 0, total: plan.send.length, bytes: 0, totalBytes: plan.bytes };
  onProgress?.({ ...progress });
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (failed === null && next < plan.send.length) {
      const entry = plan.send[next++];
      try {
        await reply(
          await fetch(`${base}${TRANSFER_ROUTES.uploadFile}${uploadId}?path=${encodeURIComponent(entry.path)}`, { method: 'PUT', headers: authHeaders(), body: entry.file }),
          `Upload of ${entry.path}`,
        );
      } catch (error) {
        failed ??= error;
        return;
      }
      progress.done++;
      progress.bytes += entry.file.size;
      onProgress?.({ ...progress });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, plan.send.length) }, worker));
  if (failed !== null) {
    await fetch(`${base}${TRANSFER_ROUTES.uploadFile}${uploadId}`, { method: 'DELETE', headers: authHeaders() }).catch(() => {});
    throw failed;
  }
  const result = await reply<UploadResult>(await fetch(`${base}${TRANSFER_ROUTES.uploadFile}${uploadId}${TRANSFER_ROUTES.uploadFinishSuffix}`, { method: 'POST', headers: authHeaders() }), 'Upload');
  return { ...result, skipped: [...plan.skipped, ...result.skipped] };
}

/** The files of an `<input webkitdirectory>`, with the paths the browser gives them. */
export function entriesFromInput(files: FileList | File[]): UploadEntry[] {
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

type FsEntry = { isFile: boolean; isDirectory: boolean; name: string; fullPath: string };
type FsFileEntry = FsEntry & { file(success: (file: File) => void, failure: (error: unknown) => void): void };
type FsDirectoryEntry = FsEntry & { createReader(): { readEntries(success: (entries: FsEntry[]) => void, failure: (error: unknown) => void): void } };

/**
 * The files of a drop, folders walked. Must be called while the drop event is dispatched (the
 * browser empties `dataTransfer` after it); the walk itself goes on after.
 */
export function entriesFromDrop(dataTransfer: DataTransfer): Promise<UploadEntry[]> {
  const roots = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => (item as DataTransferItem & { webkitGetAsEntry?: () => FsEntry | null }).webkitGetAsEntry?.() ?? null);
  const loose = [...dataTransfer.files];
  const walk = async (entry: FsEntry): Promise<UploadEntry[]> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FsFileEntry).file(resolve, reject));
      return [{ file, path: entry.fullPath.replace(/^\/+/, '') }];
    }
    if (!entry.isDirectory) return [];
    const reader = (entry as FsDirectoryEntry).createReader();
    const children: FsEntry[] = [];
    // readEntries answers in batches (100 in Chromium) until an empty one.
    for (;;) {
      const batch = await new Promise<FsEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      children.push(...batch);
    }
    return (await Promise.all(children.map(walk))).flat();
  };
  if (roots.some((entry) => entry === null)) return Promise.resolve(loose.map((file) => ({ file, path: file.webkitRelativePath || file.name })));
  return Promise.all((roots as FsEntry[]).map(walk)).then((lists) => lists.flat());
}

/** Downloads an export folder (as Export reported it) as `<folder>.zip`. */
export async function downloadExportZip(dir: string): Promise<void> {
  const response = await fetch(`${location.origin}${TRANSFER_ROUTES.exportZip}?dir=${encodeURIComponent(dir)}`, { headers: authHeaders() });
  if (!response.ok) await reply(response, 'Download');
  const disposition = response.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'export.zip';
  downloadBlob(await response.blob(), fileName);
}
