/**
 * One file over HTTP(S) into `<target>.part`, resuming with a `Range` request when a
 * `.part` exists, then renamed to `<target>`. A dropped connection keeps the `.part`.
 */
import { open, rename, rm, stat } from 'node:fs/promises';
import { CoreError, cancelledError } from '../errors.js';

/** The fetch function used for downloads (injectable for tests). */
export type FetchLike = typeof fetch;

/** What downloadFile fetches, where to, and how it reports bytes. */
export type FileDownloadOptions = {
  url: string;
  /** Final path; bytes go to `<target>.part` first. */
  target: string;
  fetchImpl: FetchLike;
  signal?: AbortSignal;
  /** Called with bytes newly counted: resumed bytes once at the start, then each chunk. */
  onBytes?: (bytes: number) => void;
};

/** Outcome of one completed file download. */
export type FileDownloadResult = {
  /** Bytes of the complete file. */
  bytes: number;
  /** Bytes already on disk from an earlier attempt that were not fetched again. */
  resumedBytes: number;
};

async function sizeOf(file: string): Promise<number | null> {
  try {
    return (await stat(file)).size;
  } catch {
    return null;
  }
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted || (error instanceof Error && error.name === 'AbortError');
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : cause ? String(cause) : '';
  return causeText && causeText !== error.message ? `${error.message}: ${causeText}` : error.message;
}

/** Parses `Content-Range: bytes <start>-<end>/<total|*>`. */
function parseContentRange(value: string | null): { start: number; total: number | null } | null {
  const match = value?.match(/^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i);
  if (!match) return null;
  return { start: Number(match[1]), total: match[3] === '*' ? null : Number(match[3]) };
}

/**
 * Downloads `url` to `target`, resuming a `.part` left by an earlier attempt.
 * A complete `target` already on disk is kept as is.
 * @throws CoreError DOWNLOAD_FAILED (`<url>: HTTP 404 Not Found`, connection lost, short body),
 *   CANCELLED when `signal` fires. The `.part` is kept so the next call resumes.
 */
export async function downloadFile(options: FileDownloadOptions): Promise<FileDownloadResult> {
  const { url, target, fetchImpl, signal, onBytes } = options;
  const existing = await sizeOf(target);
  if (existing !== null) {
    onBytes?.(existing);
    return { bytes: existing, resumedBytes: existing };
  }
  const part = `${target}.part`;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (signal?.aborted) throw cancelledError(`Downloading ${url}`);
    const have = (await sizeOf(part)) ?? 0;
    let response: Response;
    try {
      // identity: byte ranges and Content-Length must describe the bytes we store, not a gzip stream.
      const headers: Record<string, string> = { 'Accept-Encoding': 'identity', ...(have > 0 ? { Range: `bytes=${have}-` } : {}) };
      response = await fetchImpl(url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      if (isAbort(error, signal)) throw cancelledError(`Downloading ${url}`);
      throw new CoreError('DOWNLOAD_FAILED', `${url}: ${describeCause(error)}. Check the network connection and try again.`, { url });
    }
    if (response.status === 416 && have > 0) {
      // The server cannot serve the rest of our .part (changed file or a stale part): start over.
      await response.body?.cancel().catch(() => undefined);
      await rm(part, { force: true });
      continue;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel().catch(() => undefined);
      throw new CoreError(
        'DOWNLOAD_FAILED',
        `${url}: HTTP ${response.status} ${response.statusText || ''}`.trimEnd() +
          (response.status === 404 ? ' (the file is not published at this address any more).' : '.'),
        { url, status: response.status },
      );
    }
    let start = 0;
    let expectedTotal: number | null = null;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== have) {
        await response.body?.cancel().catch(() => undefined);
        await rm(part, { force: true });
        continue;
      }
      start = have;
      expectedTotal = range.total;
    } else {
      const length = response.headers.get('content-length');
      expectedTotal = length !== null && /^\d+$/.test(length) ? Number(length) : null;
    }
    const handle = await open(part, start > 0 ? 'a' : 'w');
    let written = start;
    if (start > 0) onBytes?.(start);
    try {
      const reader = response.body?.getReader();
      if (reader) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await handle.write(value);
          written += value.byteLength;
          onBytes?.(value.byteLength);
        }
      }
    } catch (error) {
      if (isAbort(error, signal)) throw cancelledError(`Downloading ${url}`);
      throw new CoreError(
        'DOWNLOAD_FAILED',
        `${url}: connection lost after ${written}${expectedTotal !== null ? ` of ${expectedTotal}` : ''} bytes ` +
          `(${describeCause(error)}). Run the download again to resume where it stopped.`,
        { url, receivedBytes: written },
      );
    } finally {
      await handle.close();
    }
    if (expectedTotal !== null && written !== expectedTotal) {
      throw new CoreError(
        'DOWNLOAD_FAILED',
        `${url}: received ${written} of ${expectedTotal} bytes. Run the download again to resume where it stopped.`,
        { url, receivedBytes: written },
      );
    }
    await rename(part, target);
    return { bytes: written, resumedBytes: start };
  }
  throw new CoreError('DOWNLOAD_FAILED', `${url}: the server rejected resuming the download twice. Try again later.`, { url });
}
