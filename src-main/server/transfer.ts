/**
 * `serve`'s binary routes (issue 10, item 8), for a browser on another machine than the server:
 * upload a folder of class folders file by file (streamed to disk by core/dataset/upload.ts)
 * and download an export as a zip or runs' scalars as a file. http-server.ts has already
 * checked the Host, the Origin and the token, as for every /api route.
 */
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { CoreError, SCALAR_FORMATS, TRANSFER_ROUTES, type ScalarFormat } from '../api/contract.js';
import type { Logger, Service } from '../api/service-types.js';
import type { UploadStore } from '../core/dataset/upload.js';
import { zipFolder } from '../core/export/zip.js';
import { dispatch } from '../host/dispatch.js';

export type TransferContext = {
  service: Service;
  /** Where uploads are stored; null when the server was started without an uploads folder. */
  uploads: UploadStore | null;
  logger: Logger;
  headers: Record<string, string>;
  sendJson(status: number, body: unknown): void;
  sendFailure(error: unknown): void;
};

/** True for a path this module answers. */
export function isTransferRoute(rawPath: string): boolean {
  return rawPath === TRANSFER_ROUTES.uploadStart || rawPath.startsWith(TRANSFER_ROUTES.uploadFile) || rawPath === TRANSFER_ROUTES.exportZip || rawPath === TRANSFER_ROUTES.scalars;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** `attachment; filename="…"` with an ASCII fallback and the UTF-8 name (RFC 6266). */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

function requireMethod(req: http.IncomingMessage, method: string): void {
  if (req.method !== method) throw new CoreError('INVALID_ARGUMENT', `Use ${method} for ${(req.url ?? '').split('?')[0]}.`);
}

/** The export folder a zip is asked for: absolute, readable by this client, and an export (metadata.json says so). */
async function exportFolder(service: Service, dir: string | null): Promise<string> {
  if (dir === null) throw new CoreError('INVALID_ARGUMENT', 'Missing ?dir=<export folder> (the folder Export reported).');
  // resolveReadable: absolute, real path (symlinks and `..` resolved) inside what this client may read.
  const real = await service.access.resolveReadable(dir);
  const metadata = await readFile(path.join(real, 'metadata.json'), 'utf8').catch(() => null);
  let format: unknown;
  try {
    format = metadata === null ? undefined : (JSON.parse(metadata) as { format?: unknown }).format;
  } catch {
    format = undefined;
  }
  if (format !== 'retrain-studio-export') throw new CoreError('NOT_FOUND', `${dir} is not a Retrain Studio export (no metadata.json of one); export the run first.`);
  return real;
}

export async function handleTransfer(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, query: URLSearchParams, ctx: TransferContext): Promise<void> {
  const { service } = ctx;
  try {
    if (rawPath === TRANSFER_ROUTES.exportZip) {
      requireMethod(req, 'GET');
      const dir = await exportFolder(service, query.get('dir'));
      const name = path.basename(dir);
      const zip = await zipFolder(dir, name, (file) => service.access.resolveReadable(file));
      res.writeHead(200, {
        ...ctx.headers,
        'Content-Type': 'application/zip',
        'Content-Length': zip.length,
        'Content-Disposition': attachment(`${name}.zip`),
        'Cache-Control': 'no-store',
      });
      res.end(zip);
      return;
    }
    if (rawPath === TRANSFER_ROUTES.scalars) {
      requireMethod(req, 'GET');
      const runIds = (query.get('runIds') ?? '').split(',').filter(Boolean);
      const format = query.get('format') ?? 'csv';
      if (!(SCALAR_FORMATS as readonly string[]).includes(format)) throw new CoreError('INVALID_ARGUMENT', `format must be one of ${SCALAR_FORMATS.join(', ')}.`);
      // Through dispatch: the same validation and errors as POST /api/exportScalars.
      const reply = await dispatch(service, 'exportScalars', { runIds, format: format as ScalarFormat }, ctx.logger);
      if ('error' in reply) throw CoreError.fromJSON(reply.error);
      const { fileName, mimeType, text } = reply.result as { fileName: string; mimeType: string; text: string };
      res.writeHead(200, {
        ...ctx.headers,
        'Content-Type': `${mimeType}; charset=utf-8`,
        'Content-Length': Buffer.byteLength(text),
        'Content-Disposition': attachment(fileName),
        'Cache-Control': 'no-store',
      });
      res.end(text);
      return;
    }

    // ── uploads ──
    const uploads = ctx.uploads;
    if (!uploads) throw new CoreError('NOT_FOUND', 'This server takes no uploads (it was started without a data folder for them).');
    if (rawPath === TRANSFER_ROUTES.uploadStart) {
      requireMethod(req, 'POST');
      ctx.sendJson(200, { result: await uploads.start(query.get('name') ?? 'dataset') });
      return;
    }
    const [uploadId, action, ...rest] = rawPath.slice(TRANSFER_ROUTES.uploadFile.length).split('/');
    if (!UPLOAD_ID.test(uploadId ?? '') || rest.length > 0) throw new CoreError('NOT_FOUND', 'No such upload route.');
    if (action === undefined) {
      if (req.method === 'DELETE') {
        await uploads.abort(uploadId);
        ctx.sendJson(200, { result: {} });
        return;
      }
      requireMethod(req, 'PUT');
      const relative = query.get('path');
      if (relative === null) throw new CoreError('INVALID_ARGUMENT', 'Missing ?path=<class folder>/<file name>.');
      const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      ctx.sendJson(200, { result: await uploads.writeFile(uploadId, relative, req, Number.isFinite(declared) ? declared : undefined) });
      return;
    }
    if (`/${action}` === TRANSFER_ROUTES.uploadFinishSuffix) {
      requireMethod(req, 'POST');
      ctx.sendJson(200, { result: await uploads.finish(uploadId) });
      return;
    }
    throw new CoreError('NOT_FOUND', 'No such upload route.');
  } catch (error) {
    ctx.sendFailure(error);
  }
}
