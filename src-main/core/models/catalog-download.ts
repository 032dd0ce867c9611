/**
 * Downloading one catalog model into its `.partial` folder: model.json, then every weight
 * shard (resumed, size-checked per group), then verification and the download manifest.
 * The caller moves the folder into place and serialises downloads of one model.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';
import { readModelJson, type ModelJson } from '../tf/file-io.js';
import { downloadFile, type FetchLike } from './download.js';
import { MANIFEST_FILE, writeDownloadManifest, type DownloadManifest } from './download-manifest.js';
import { inspectModelDir, modelIO, requireNode, type InspectedModel } from './inspect.js';
import { featureSizeOf, findNode, isGraphModelJson, outputIsSoftmax } from './topology.js';
import type { CatalogEntry } from './types.js';
import { groupByteLength } from './weights.js';

export type { DownloadProgress } from './data-types.js';
import type { DownloadProgress } from './data-types.js';

/** Options for ModelStore.download. */
export type DownloadOptions = {
  /** Called at most every 256 KiB and at each file boundary. */
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
};

const PROGRESS_STEP_BYTES = 256 * 1024;

/** SHA-256 of a file, streamed (shards can be large). */
function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** URL of one file of a published model, with TF Hub's `?tfjs-format=file` when needed. */
function fileUrl(entry: CatalogEntry, relative: string | null): string {
  const base = new URL(entry.url);
  base.search = '';
  const url = relative === null ? base : new URL(relative, base);
  return entry.fromTfHub ? `${url.href}?tfjs-format=file` : url.href;
}

/** Rejects shard paths that would escape the model folder. */
function safeShardPath(shard: string, url: string): string {
  const normalized = path.posix.normalize(shard);
  if (path.posix.isAbsolute(normalized) || normalized.startsWith('..') || normalized.includes('\0')) {
    throw new CoreError('DOWNLOAD_FAILED', `${url}: model.json names an unsafe weight path "${shard}".`);
  }
  return normalized;
}

async function verifyAndInspect(entry: CatalogEntry, dir: string, json: ModelJson): Promise<{ model: InspectedModel; bottleneck: string; featureSize: number }> {
  const model = await inspectModelDir(dir, json);
  const named = findNode(model.topology, entry.bottleneckNode);
  if (named) return { model, bottleneck: entry.bottleneckNode, featureSize: featureSizeOf(named) ?? entry.featureSize };
  if (entry.bottleneckIsOutput) {
    const output = model.topology.byId.get(model.topology.outputs[0])!;
    return { model, bottleneck: output.id, featureSize: featureSizeOf(output) ?? entry.featureSize };
  }
  // Throws NODE_NOT_FOUND with candidates; the verified files stay in the .partial folder.
  requireNode(model, entry.bottleneckNode);
  throw new Error('unreachable');
}

/**
 * Downloads `entry` into `work` (created; files already there are resumed), verifies it and
 * writes its manifest there.
 * @throws CoreError DOWNLOAD_FAILED, CANCELLED, NODE_NOT_FOUND, MODEL_INVALID
 */
export async function downloadCatalogModel(entry: CatalogEntry, work: string, fetchImpl: FetchLike, options: DownloadOptions = {}): Promise<DownloadManifest> {
  const { onProgress, signal } = options;
  await mkdir(work, { recursive: true });
  let received = 0;
  let total: number | null = null;
  let lastReported = -Infinity;
  let currentFile = 'model.json';
  const report = (force: boolean): void => {
    if (!onProgress) return;
    if (!force && received - lastReported < PROGRESS_STEP_BYTES) return;
    lastReported = received;
    onProgress({ modelId: entry.id, receivedBytes: received, totalBytes: total, file: currentFile });
  };
  const onBytes = (bytes: number): void => {
    received += bytes;
    report(false);
  };

  const modelJsonUrl = fileUrl(entry, null);
  report(true);
  const modelJsonResult = await downloadFile({ url: modelJsonUrl, target: path.join(work, 'model.json'), fetchImpl, signal, onBytes });
  let json: ModelJson;
  try {
    json = await readModelJson(work);
    if (isGraphModelJson(json) !== (entry.format === 'graph')) {
      throw new CoreError('MODEL_INVALID', `expected a TF.js ${entry.format} model`);
    }
  } catch (error) {
    await rm(path.join(work, 'model.json'), { force: true });
    throw new CoreError('DOWNLOAD_FAILED', `${modelJsonUrl}: the downloaded model.json is not usable (${(error as Error).message}). Try again.`, {
      url: modelJsonUrl,
    });
  }

  const groups = json.weightsManifest.map((group) => ({
    paths: group.paths.map((p) => safeShardPath(p, modelJsonUrl)),
    expectedBytes: groupByteLength(group.weights),
  }));
  const weightBytes = groups.reduce<number | null>((sum, g) => (sum === null || g.expectedBytes === null ? null : sum + g.expectedBytes), 0);
  total = weightBytes === null ? null : modelJsonResult.bytes + weightBytes;
  report(true);

  for (const group of groups) {
    let groupBytes = 0;
    for (const shard of group.paths) {
      throwIfAborted(signal, `Downloading ${entry.id}`);
      currentFile = shard;
      const target = path.join(work, shard);
      await mkdir(path.dirname(target), { recursive: true });
      report(true);
      const result = await downloadFile({ url: fileUrl(entry, shard), target, fetchImpl, signal, onBytes });
      groupBytes += result.bytes;
    }
    if (group.expectedBytes !== null && groupBytes !== group.expectedBytes) {
      // A complete-looking but wrong file would never heal by resuming: discard everything.
      await rm(work, { recursive: true, force: true });
      throw new CoreError(
        'DOWNLOAD_FAILED',
        `${fileUrl(entry, group.paths[0])}: the weight files [${group.paths.join(', ')}] hold ${groupBytes} bytes but model.json's ` +
          `weight specs need ${group.expectedBytes}. The download was discarded; try again (if it fails again the server's files are inconsistent).`,
        { url: modelJsonUrl, receivedBytes: groupBytes, expectedBytes: group.expectedBytes },
      );
    }
  }
  currentFile = MANIFEST_FILE;
  report(true);

  const { model, bottleneck, featureSize } = await verifyAndInspect(entry, work, json);
  const files = [];
  for (const relative of ['model.json', ...groups.flatMap((g) => g.paths)]) {
    const file = path.join(work, relative);
    files.push({ path: relative, bytes: (await stat(file)).size, sha256: await sha256File(file) });
  }
  const manifest: DownloadManifest = {
    version: 1,
    id: entry.id,
    sourceUrl: entry.url,
    downloadedAt: new Date().toISOString(),
    format: entry.format,
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files,
    ...modelIO(model),
    bottleneckNode: bottleneck,
    featureSize,
    outputIsProbabilities: outputIsSoftmax(model.topology),
  };
  await writeDownloadManifest(work, manifest);
  return manifest;
}
