/**
 * Storing a folder uploaded from a browser under the data folder (issue 10, item 8): `serve`
 * on a remote machine cannot see the user's disk, so the page sends the folder file by file.
 * Each upload is staged in a hidden folder, each file streamed to disk within the per-file and
 * total limits (nothing is held in memory), names checked by `uploadPathProblem`, only image
 * extensions kept; `finish` moves the staged folder to its final name, which is then opened as
 * any dataset.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CoreError } from '../errors.js';
import { isUploadImage, UPLOAD_LIMITS, uploadFolderName, uploadPathProblem } from './upload-rules.js';

export type UploadLimits = { fileBytes: number; totalBytes: number; files: number };

export type UploadStoreOptions = {
  /** Where finished uploads go, one folder each (the service's `<dataDir>/uploads`). */
  dir: string;
  /** Defaults: `UPLOAD_LIMITS`. */
  limits?: Partial<UploadLimits>;
  /** An upload untouched this long is dropped with its staged files; default 30 minutes. */
  idleMs?: number;
};

/** One file's outcome: stored, or skipped (not an image) with the reason. */
export type UploadedFile = { path: string; bytes: number; stored: boolean; reason?: string };

export type FinishedUpload = { path: string; files: number; bytes: number; skipped: string[] };

export type UploadStore = {
  /** Starts an upload whose folder will be called after `name` (cleaned; `-2`, `-3`… if taken). */
  start(name: string): Promise<{ uploadId: string }>;
  /**
   * Streams one file of an upload to disk. `relative` is below the uploaded folder
   * (`daisy/1.jpg`). A name that is not an image is skipped (its bytes are drained, not
   * stored). `declaredBytes` (Content-Length), when known, is checked before any byte is read.
   * @throws CoreError NOT_FOUND (unknown or expired upload), INVALID_ARGUMENT (a bad path, the
   *   same file twice, too many files), PAYLOAD_TOO_LARGE (the file or the upload over its limit:
   *   the partial file is deleted; over the total, the whole upload is dropped).
   */
  writeFile(uploadId: string, relative: string, source: Readable, declaredBytes?: number): Promise<UploadedFile>;
  /** Moves the staged folder to its final place and forgets the upload. @throws CoreError NOT_FOUND, DATASET_EMPTY (no image stored). */
  finish(uploadId: string): Promise<FinishedUpload>;
  /** Drops an upload and its staged files (no-op when unknown). */
  abort(uploadId: string): Promise<void>;
  /** Drops every upload in progress (the server is closing). */
  close(): Promise<void>;
};

type Session = {
  name: string;
  staging: string;
  files: Set<string>;
  bytes: number;
  skipped: string[];
  /** Files being written now: finish waits for none. */
  writing: number;
  touched: number;
};

const STAGING_PREFIX = '.upload-';

/**
 * Writes `source` to a new file (`wx`: never replaces one), with backpressure. `check` sees
 * each chunk first and returns an error to stop. On failure `source` is left paused, not
 * destroyed: when it is an HTTP request, the server can still answer (413) and then drain it.
 */
function streamToFile(source: Readable, target: string, check: (chunk: Buffer) => Error | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const file = createWriteStream(target, { flags: 'wx' });
    let settled = false;
    const detach = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', fail);
      source.off('close', onClose);
    };
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      detach();
      source.pause();
      // Rejected once the file is closed, so the caller's delete comes after the last write.
      file.once('close', () => reject(error));
      file.destroy();
    };
    const onData = (chunk: Buffer) => {
      const error = check(chunk);
      if (error) return fail(error);
      if (!file.write(chunk)) {
        source.pause();
        file.once('drain', () => source.resume());
      }
    };
    const onEnd = () => {
      detach();
      file.end();
    };
    const onClose = () => {
      if (!source.readableEnded) fail(new Error('the connection closed before the whole file was sent'));
    };
    file.once('error', fail);
    file.once('finish', () => {
      settled = true;
      resolve();
    });
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', fail);
    source.once('close', onClose);
  });
}
const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(0)} MiB`;

export function createUploadStore(options: UploadStoreOptions): UploadStore {
  const limits: UploadLimits = { fileBytes: UPLOAD_LIMITS.fileBytes, totalBytes: UPLOAD_LIMITS.totalBytes, files: UPLOAD_LIMITS.files, ...options.limits };
  const idleMs = options.idleMs ?? 30 * 60_000;
  const sessions = new Map<string, Session>();

  const drop = async (id: string): Promise<void> => {
    const session = sessions.get(id);
    sessions.delete(id);
    if (session) await rm(session.staging, { recursive: true, force: true });
  };

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, session] of sessions) if (session.writing === 0 && now - session.touched > idleMs) void drop(id);
  }, Math.min(idleMs, 60_000));
  sweep.unref();

  const get = (id: string): Session => {
    const session = sessions.get(id);
    if (!session) throw new CoreError('NOT_FOUND', `Upload ${id.slice(0, 40)} is unknown or expired (idle for ${Math.round(idleMs / 60_000)} minutes); start the upload again.`);
    session.touched = Date.now();
    return session;
  };

  return {
    async start(name) {
      await mkdir(options.dir, { recursive: true });
      const uploadId = randomBytes(16).toString('hex');
      const staging = path.join(options.dir, `${STAGING_PREFIX}${uploadId}`);
      await mkdir(staging);
      sessions.set(uploadId, { name: uploadFolderName(name), staging, files: new Set(), bytes: 0, skipped: [], writing: 0, touched: Date.now() });
      return { uploadId };
    },

    async writeFile(uploadId, relative, source, declaredBytes) {
      const session = get(uploadId);
      const problem = uploadPathProblem(relative);
      if (problem) throw new CoreError('INVALID_ARGUMENT', `Upload: “${relative.slice(0, 200)}” is refused: ${problem}.`);
      if (!isUploadImage(relative)) {
        source.resume();
        session.skipped.push(relative);
        return { path: relative, bytes: 0, stored: false, reason: `not an image (kept: ${UPLOAD_LIMITS.imageExtensions.join(' ')})` };
      }
      const key = relative.normalize('NFC').toLowerCase();
      if (session.files.has(key)) throw new CoreError('INVALID_ARGUMENT', `Upload: “${relative}” was sent twice (names are compared ignoring case).`);
      if (session.files.size >= limits.files) throw new CoreError('INVALID_ARGUMENT', `Upload: more than ${limits.files} images in one upload; split the dataset or copy it to the server.`);
      const tooLarge = () => new CoreError('PAYLOAD_TOO_LARGE', `Upload: “${relative}” is larger than ${mib(limits.fileBytes)}, the most one image may have.`, { maxBytes: limits.fileBytes });
      const overTotal = () =>
        new CoreError('PAYLOAD_TOO_LARGE', `Upload: the folder is larger than ${mib(limits.totalBytes)} in all; the upload was stopped. Copy a dataset this large to the server and type its path instead.`, {
          maxBytes: limits.totalBytes,
        });
      if (declaredBytes !== undefined && declaredBytes > limits.fileBytes) throw tooLarge();
      if (declaredBytes !== undefined && session.bytes + declaredBytes > limits.totalBytes) {
        await drop(uploadId);
        throw overTotal();
      }
      session.files.add(key);
      const target = path.join(session.staging, ...relative.split('/'));
      // Belt and braces: whatever the rules above miss, nothing is written outside the staging folder.
      if (!target.startsWith(session.staging + path.sep)) throw new CoreError('INVALID_ARGUMENT', `Upload: “${relative.slice(0, 200)}” is refused: it leaves the uploaded folder.`);
      session.writing++;
      let written = 0;
      let over: 'file' | 'total' | null = null;
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await streamToFile(source, target, (chunk) => {
          written += chunk.length;
          session.bytes += chunk.length;
          if (written > limits.fileBytes) over = 'file';
          else if (session.bytes > limits.totalBytes) over = 'total';
          return over === 'file' ? tooLarge() : over === 'total' ? overTotal() : null;
        });
        return { path: relative, bytes: written, stored: true };
      } catch (error) {
        session.bytes -= written;
        session.files.delete(key);
        // EEXIST: the file there is another upload's (never delete it); otherwise the partial one is ours.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(target, { force: true });
        if (over === 'total') await drop(uploadId);
        if (error instanceof CoreError) throw error;
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CoreError('INVALID_ARGUMENT', `Upload: “${relative}” was sent twice.`);
        throw new CoreError('INVALID_ARGUMENT', `Upload: “${relative}” did not arrive whole (${(error as Error).message}); send it again.`);
      } finally {
        session.writing--;
      }
    },

    async finish(uploadId) {
      const session = get(uploadId);
      if (session.writing > 0) throw new CoreError('BUSY', `Upload: ${session.writing} file(s) are still arriving; finish when they are done.`);
      if (session.files.size === 0) {
        await drop(uploadId);
        throw new CoreError('DATASET_EMPTY', `Upload: none of the files was an image (${session.skipped.length} skipped; kept: ${UPLOAD_LIMITS.imageExtensions.join(' ')}). Choose the folder that holds one sub-folder per class.`);
      }
      // A dropped folder usually arrives as its class folders; one wrapping folder is unwrapped.
      let root = session.staging;
      const top = await readdir(root, { withFileTypes: true });
      if (top.length === 1 && top[0].isDirectory()) {
        const inner = await readdir(path.join(root, top[0].name), { withFileTypes: true });
        if (inner.length > 0 && inner.every((entry) => entry.isDirectory())) root = path.join(root, top[0].name);
      }
      let final = path.join(options.dir, session.name);
      for (let n = 2; await stat(final).then(() => true, () => false); n++) final = path.join(options.dir, `${session.name}-${n}`);
      await rename(root, final);
      sessions.delete(uploadId);
      if (root !== session.staging) await rm(session.staging, { recursive: true, force: true });
      return { path: final, files: session.files.size, bytes: session.bytes, skipped: session.skipped };
    },

    abort: drop,

    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.keys()].map(drop));
    },
  };
}
