/**
 * The model store: catalog downloads cached under the app data dir, and imported local
 * model folders remembered in `imports.json`. This module composes the pieces:
 * catalog-download (fetch + verify), download-manifest (`retrain-studio.json`), imports
 * (the registry), import-spec (preprocessing of imports) and labels.
 *
 * Layout of `dir`:
 *   <id>/              a complete catalog download (model.json, shards, retrain-studio.json)
 *   <id>.partial/      a download in progress; files arrive as `<file>.part` and are resumed
 *   <id>.lock          held while one process downloads, re-points or removes <id>
 *   imports.json       imported models (`imported:<slug>`), pointing at the user's folders
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import { withFileLock } from '../files/index.js';
import type { PreprocessSpec } from '../images/spec.js';
import { CATALOG } from './catalog.js';
import { downloadCatalogModel, type DownloadOptions } from './catalog-download.js';
import type { FetchLike } from './download.js';
import { catalogInfo, readDownloadManifest, writeDownloadManifest, type DownloadManifest } from './download-manifest.js';
import { checkInputSpec, importSpec } from './import-spec.js';
import { createImportsRegistry, IMPORT_PREFIX } from './imports.js';
import { inspectModelDir, modelIO, requireNode } from './inspect.js';
import { readLabels } from './labels.js';
import { defaultBottleneckNode, featureSizeOf, outputIsSoftmax } from './topology.js';
import type { CatalogEntry, ModelInfo } from './types.js';

export type { DownloadOptions, DownloadProgress } from './catalog-download.js';
export { checkInputSpec, guessNormalization } from './import-spec.js';

/** Options for ModelStore.importModel; every field is optional. */
export type ImportOptions = {
  /** Display name; default: the folder name. */
  name?: string;
  /** Bottleneck node; default: the layer before the final classification layer of a classifier, else the output. */
  bottleneckNode?: string;
  /** Labels file (one per line, or a JSON array), relative to the model folder or absolute; default `labels.txt` / `labels.json` if present. */
  labelsFile?: string;
  /** Preprocessing overrides; default `{ size from the model's input, crop 'center', range [0, 1] }` unless model.json's `userDefinedMetadata.spec` says otherwise. */
  spec?: Partial<PreprocessSpec>;
  /** Override the softmax detection for classifiers (true: the output is already probabilities). */
  outputIsProbabilities?: boolean;
};

/** A catalog row with its cache state. */
export type CatalogListing = CatalogEntry & {
  /** Downloaded and verified. */
  cached: boolean;
  /** Bytes of the cached folder, or of a partial download when not cached yet. */
  sizeOnDiskBytes: number;
};

/** Catalog downloads and imported models under one app data folder. */
export interface ModelStore {
  /** The catalog with cache state. */
  listCatalog(): Promise<CatalogListing[]>;
  /**
   * Downloads a catalog model (model.json, then every weight shard), resuming partial files,
   * verifies it and moves it into place atomically. Returns at once if already cached.
   * @throws CoreError MODEL_NOT_FOUND (unknown id), DOWNLOAD_FAILED, CANCELLED, NODE_NOT_FOUND
   */
  download(id: string, options?: DownloadOptions): Promise<ModelInfo>;
  /**
   * Remembers a local TF.js layers or graph model folder as `imported:<slug>`.
   * @throws CoreError MODEL_NOT_FOUND / MODEL_INVALID / NODE_NOT_FOUND / INPUT_MISMATCH
   */
  importModel(dir: string, options?: ImportOptions): Promise<ModelInfo>;
  /** Changes a model's bottleneck node (validated). @throws NODE_NOT_FOUND, MODEL_NOT_FOUND */
  setBottleneckNode(id: string, node: string): Promise<ModelInfo>;
  /** A usable model. @throws CoreError MODEL_NOT_FOUND when not downloaded / not imported / moved. */
  resolve(id: string): Promise<ModelInfo>;
  /** Downloaded catalog models and imports. */
  listModels(): Promise<ModelInfo[]>;
  /** Deletes a download (and any partial one) or forgets an import (the user's folder is kept). */
  remove(id: string): Promise<void>;
}

/** Options for createModelStore. */
export type ModelStoreOptions = {
  /** App data folder for models (created when needed). */
  dir: string;
  /** Default: global fetch. */
  fetchImpl?: FetchLike;
  /** Default: CATALOG. Tests pass rows pointing at a local server. */
  catalog?: readonly CatalogEntry[];
};

/** How long a download waits for the same model's download in another process. */
const DOWNLOAD_LOCK_TIMEOUT_MS = 60 * 60 * 1000;

const folderName = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}

/**
 * Creates a model store over `options.dir`. Nothing touches the network except `download`.
 */
export function createModelStore(options: ModelStoreOptions): ModelStore {
  const root = path.resolve(options.dir);
  const catalog = options.catalog ?? CATALOG;
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const imports = createImportsRegistry(root);
  const inFlight = new Map<string, Promise<ModelInfo>>();

  const entryOf = (id: string): CatalogEntry | undefined => catalog.find((e) => e.id === id);
  const finalDir = (entry: CatalogEntry): string => path.join(root, folderName(entry.id));
  const partialDir = (entry: CatalogEntry): string => path.join(root, `${folderName(entry.id)}.partial`);
  const readManifest = (entry: CatalogEntry): Promise<DownloadManifest | null> => readDownloadManifest(finalDir(entry));
  const infoOf = (entry: CatalogEntry, manifest: DownloadManifest): ModelInfo => catalogInfo(entry, manifest, finalDir(entry));

  /** Serialises work on one catalog model's folders across processes (download, bottleneck change, removal). */
  function withModelLock<T>(entry: CatalogEntry, fn: () => Promise<T>, lock: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    return withFileLock(path.join(root, `${folderName(entry.id)}.lock`), fn, { what: `Waiting for another download of ${entry.id}`, ...lock });
  }

  function unknownModel(id: string): CoreError {
    return new CoreError(
      'MODEL_NOT_FOUND',
      `Unknown model "${id}". Catalog ids: ${catalog.map((e) => e.id).join(', ')}; imported models start with "${IMPORT_PREFIX}".`,
      { id },
    );
  }

  async function runDownload(entry: CatalogEntry, downloadOptions: DownloadOptions): Promise<ModelInfo> {
    const work = partialDir(entry);
    const manifest = await downloadCatalogModel(entry, work, fetchImpl, downloadOptions);
    const destination = finalDir(entry);
    await rm(destination, { recursive: true, force: true });
    await rename(work, destination);
    return infoOf(entry, manifest);
  }

  /** The labels file of an import: the one named, else labels.txt / labels.json when present. */
  async function labelsFileOf(dir: string, named: string | undefined): Promise<string | undefined> {
    if (named) return path.resolve(dir, named);
    for (const candidate of ['labels.txt', 'labels.json']) {
      if (await exists(path.join(dir, candidate))) return path.join(dir, candidate);
    }
    return undefined;
  }

  const store: ModelStore = {
    async listCatalog() {
      return Promise.all(
        catalog.map(async (entry) => {
          const cached = (await readManifest(entry)) !== null;
          const sizeOnDiskBytes = await folderBytes(cached ? finalDir(entry) : partialDir(entry));
          return { ...entry, cached, sizeOnDiskBytes };
        }),
      );
    },

    download(id, downloadOptions = {}) {
      const entry = entryOf(id);
      if (!entry) return Promise.reject(unknownModel(id));
      const running = inFlight.get(id);
      if (running) return running;
      const task = (async () => {
        const manifest = await readManifest(entry);
        if (manifest) return infoOf(entry, manifest);
        await mkdir(root, { recursive: true });
        // Another process may be downloading the same model into the same .partial folder:
        // wait for it (then its result is used), or cancel while waiting.
        return withModelLock(
          entry,
          async () => {
            const done = await readManifest(entry);
            return done ? infoOf(entry, done) : runDownload(entry, downloadOptions);
          },
          { signal: downloadOptions.signal, timeoutMs: DOWNLOAD_LOCK_TIMEOUT_MS },
        );
      })().finally(() => inFlight.delete(id));
      inFlight.set(id, task);
      return task;
    },

    async importModel(dir, importOptions = {}) {
      const absolute = path.resolve(dir);
      const model = await inspectModelDir(absolute);
      const io = modelIO(model);
      const labelsFile = await labelsFileOf(absolute, importOptions.labelsFile);
      const labels = labelsFile ? await readLabels(labelsFile, { root: absolute }) : undefined;
      const output = model.topology.byId.get(model.topology.outputs[0])!;
      const classes = featureSizeOf(output);
      if (labels && classes !== null && labels.length !== classes) {
        throw new CoreError(
          'MODEL_INVALID',
          `${labelsFile} has ${labels.length} labels but the model's output ${output.id} has ${classes} classes. Choose the labels file that belongs to this model.`,
        );
      }
      const softmax = outputIsSoftmax(model.topology);
      const bottleneck = importOptions.bottleneckNode
        ? requireNode(model, importOptions.bottleneckNode)
        : defaultBottleneckNode(model.topology, !!labels || softmax);
      const name = importOptions.name?.trim() || path.basename(absolute);
      const spec = importSpec(model.json, model.topology, io.inputShape, importOptions.spec);
      const base: Omit<ModelInfo, 'id'> = {
        name,
        origin: 'imported',
        format: model.format,
        dir: absolute,
        spec,
        ...io,
        bottleneckNode: importOptions.bottleneckNode ?? bottleneck.id,
        featureSize: featureSizeOf(bottleneck) ?? 0,
        ...(labels ? { labels } : {}),
        outputIsProbabilities: importOptions.outputIsProbabilities ?? softmax,
      };
      checkInputSpec({ id: name, ...base });
      return imports.put(base);
    },

    async setBottleneckNode(id, node) {
      if (id.startsWith(IMPORT_PREFIX)) {
        const record = await imports.resolve(id);
        const found = requireNode(await inspectModelDir(record.dir), node);
        return imports.update(id, (current) => ({ ...current, bottleneckNode: node, featureSize: featureSizeOf(found) ?? 0 }));
      }
      const entry = entryOf(id);
      if (!entry) throw unknownModel(id);
      const info = await store.resolve(id);
      const found = requireNode(await inspectModelDir(info.dir), node);
      const updated = await withModelLock(entry, async () => {
        const manifest = await readManifest(entry);
        if (!manifest) throw new CoreError('MODEL_NOT_FOUND', `Model ${id} was removed meanwhile; download it again.`, { id });
        const next: DownloadManifest = { ...manifest, bottleneckNode: node, featureSize: featureSizeOf(found) ?? manifest.featureSize };
        await writeDownloadManifest(info.dir, next);
        return next;
      });
      return infoOf(entry, updated);
    },

    async resolve(id) {
      if (id.startsWith(IMPORT_PREFIX)) return imports.resolve(id);
      const entry = entryOf(id);
      if (!entry) throw unknownModel(id);
      const manifest = await readManifest(entry);
      if (!manifest) {
        throw new CoreError(
          'MODEL_NOT_FOUND',
          `Model ${id} is not downloaded. Download it while online (app: the Download button on the Model & settings page; CLI: \`retrain-studio models --download ${id}\`), or import a local model instead. ` +
            `About ${Math.round(entry.approxDownloadBytes / 1e6)} MB.`,
          { id },
        );
      }
      return infoOf(entry, manifest);
    },

    async listModels() {
      const cached: ModelInfo[] = [];
      for (const entry of catalog) {
        const manifest = await readManifest(entry);
        if (manifest) cached.push(infoOf(entry, manifest));
      }
      return [...cached, ...(await imports.list())];
    },

    async remove(id) {
      if (id.startsWith(IMPORT_PREFIX)) return imports.remove(id);
      const entry = entryOf(id);
      if (!entry) throw unknownModel(id);
      if (inFlight.has(id)) throw new CoreError('BUSY', `Model ${id} is downloading; cancel the download before removing it.`);
      await mkdir(root, { recursive: true });
      // A short wait: a download in another process holds this lock for minutes, and BUSY names it.
      await withModelLock(
        entry,
        async () => {
          await rm(finalDir(entry), { recursive: true, force: true });
          await rm(partialDir(entry), { recursive: true, force: true });
        },
        { timeoutMs: 2_000 },
      );
    },
  };
  return store;
}
