/**
 * The model store: catalog downloads cached under the app data dir, and imported local
 * model folders remembered in `imports.json`.
 *
 * Layout of `dir`:
 *   <id>/              a complete catalog download (model.json, shards, retrain-studio.json)
 *   <id>.partial/      a download in progress; files arrive as `<file>.part` and are resumed
 *   imports.json       imported models (`imported:<slug>`), pointing at the user's folders
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError, throwIfAborted } from '../errors.js';
import { readConfined } from '../access/index.js';
import type { PreprocessSpec } from '../images/spec.js';
import { readModelJson, writeAtomic, type ModelJson } from '../tf/file-io.js';
import { updateJsonFile, withFileLock } from '../files/index.js';
import { CATALOG } from './catalog.js';
import { downloadFile, type FetchLike } from './download.js';
import { inspectModelDir, modelIO, requireNode, type InspectedModel } from './inspect.js';
import { defaultBottleneckNode, featureSizeOf, findNode, isGraphModelJson, outputIsSoftmax, type ModelTopology } from './topology.js';
import type { DownloadProgress } from './data-types.js';
import type { CatalogEntry, ModelInfo } from './types.js';
import { groupByteLength } from './weights.js';

export type { DownloadProgress } from './data-types.js';

/** Options for ModelStore.download. */
export type DownloadOptions = {
  /** Called at most every 256 KiB and at each file boundary. */
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
};

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

const MANIFEST_FILE = 'retrain-studio.json';
const IMPORTS_FILE = 'imports.json';
const IMPORT_PREFIX = 'imported:';
const PROGRESS_STEP_BYTES = 256 * 1024;
/** How long a download waits for the same model's download in another process. */
const DOWNLOAD_LOCK_TIMEOUT_MS = 60 * 60 * 1000;

/** What `retrain-studio.json` in a downloaded model folder records. */
type DownloadManifest = {
  version: 1;
  id: string;
  sourceUrl: string;
  downloadedAt: string;
  format: 'layers' | 'graph';
  totalBytes: number;
  files: Array<{ path: string; bytes: number; sha256: string }>;
  inputName: string;
  inputShape: (number | null)[];
  outputNode: string;
  bottleneckNode: string;
  featureSize: number;
  outputIsProbabilities: boolean;
};

type ImportsFile = { version: 1; models: ModelInfo[] };

const folderName = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'model';
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
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

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
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

/** Labels of a model, read only inside its folder `root` (a labels file elsewhere is refused unread). */
async function readLabels(file: string, root: string): Promise<string[]> {
  let text: string;
  try {
    text = (await readConfined(file, { root, maxBytes: 16 * 1024 * 1024, label: `Labels file ${file}` })).bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CoreError && error.code !== 'NOT_FOUND') {
      throw new CoreError(error.code, `${error.message} Put the labels file in the model's folder (${root}).`);
    }
    throw new CoreError('NOT_FOUND', `Labels file ${file} cannot be read. Give a text file with one label per line, or a JSON array.`);
  }
  const trimmed = text.trim();
  if (file.toLowerCase().endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new CoreError('MODEL_INVALID', `Labels file ${file} is not valid JSON (${(error as Error).message}).`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown })?.labels;
    if (!Array.isArray(list) || !list.every((l) => typeof l === 'string')) {
      throw new CoreError('MODEL_INVALID', `Labels file ${file} must be a JSON array of strings (or {"labels": [...]}).`);
    }
    return list as string[];
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function isSpecPatch(value: unknown): value is Partial<PreprocessSpec> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The pixel range a model was most likely trained with, from the Keras applications'
 * layer names: MobileNet v1/v2 and Inception v3 use [-1, 1]; a model that starts with a
 * Rescaling layer takes raw [0, 255]; anything else (TF Hub, darknet…) [0, 1].
 */
export function guessNormalization(topology: ModelTopology): PreprocessSpec['normalization'] {
  const names = new Set(topology.nodes.map((n) => n.name.split('/').pop() ?? n.name));
  const early = topology.nodes.slice(0, 4).map((n) => n.op);
  if (early.includes('Rescaling')) return { kind: 'range', min: 0, max: 255 };
  const kerasMinusOneToOne = ['bn_Conv1', 'expanded_conv_project', 'conv_pw_13_relu', 'conv_dw_1_bn', 'mixed10', 'conv2d_94'];
  if (kerasMinusOneToOne.some((name) => names.has(name))) return { kind: 'range', min: -1, max: 1 };
  return { kind: 'range', min: 0, max: 1 };
}

/** Default spec for an import: the model's input size, centre crop, the guessed range; metadata, then options, override. */
function importSpec(json: ModelJson, topology: ModelTopology, inputShape: (number | null)[], overrides: Partial<PreprocessSpec> | undefined): PreprocessSpec {
  const metadata = json.userDefinedMetadata?.spec;
  const fromModel: Partial<PreprocessSpec> = {};
  if (typeof inputShape[1] === 'number') fromModel.heightPx = inputShape[1];
  if (typeof inputShape[2] === 'number') fromModel.widthPx = inputShape[2];
  return {
    heightPx: 224,
    widthPx: 224,
    crop: 'center',
    normalization: guessNormalization(topology),
    ...fromModel,
    ...(isSpecPatch(metadata) ? metadata : {}),
    ...(overrides ?? {}),
  };
}

/** INPUT_MISMATCH when the model declares a fixed input size that differs from the spec. */
export function checkInputSpec(info: Pick<ModelInfo, 'id' | 'dir' | 'inputShape' | 'spec'>): void {
  const [, height, width, channels] = info.inputShape;
  const problems: string[] = [];
  if (info.inputShape.length !== 4) problems.push(`rank ${info.inputShape.length} (expected [batch, height, width, 3])`);
  if (typeof height === 'number' && height !== info.spec.heightPx) problems.push(`height ${height} ≠ spec ${info.spec.heightPx}`);
  if (typeof width === 'number' && width !== info.spec.widthPx) problems.push(`width ${width} ≠ spec ${info.spec.widthPx}`);
  if (typeof channels === 'number' && channels !== 3) problems.push(`${channels} channels (expected 3, RGB)`);
  if (problems.length > 0) {
    throw new CoreError(
      'INPUT_MISMATCH',
      `Model ${info.id} in ${info.dir} takes input ${JSON.stringify(info.inputShape)} but its preprocessing ` +
        `spec is ${info.spec.heightPx}×${info.spec.widthPx}×3: ${problems.join('; ')}. ` +
        (typeof height === 'number' && typeof width === 'number'
          ? `Use heightPx ${height} and widthPx ${width}.`
          : 'The model needs a [null, height, width, 3] image input.'),
      { inputShape: info.inputShape, spec: info.spec },
    );
  }
}

/**
 * Creates a model store over `options.dir`. Nothing touches the network except `download`.
 */
export function createModelStore(options: ModelStoreOptions): ModelStore {
  const root = path.resolve(options.dir);
  const catalog = options.catalog ?? CATALOG;
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const inFlight = new Map<string, Promise<ModelInfo>>();

  const entryOf = (id: string): CatalogEntry | undefined => catalog.find((e) => e.id === id);
  const finalDir = (entry: CatalogEntry): string => path.join(root, folderName(entry.id));
  const partialDir = (entry: CatalogEntry): string => path.join(root, `${folderName(entry.id)}.partial`);

  async function readManifest(entry: CatalogEntry): Promise<DownloadManifest | null> {
    try {
      const parsed = JSON.parse(await readFile(path.join(finalDir(entry), MANIFEST_FILE), 'utf8')) as DownloadManifest;
      return parsed.version === 1 ? parsed : null;
    } catch {
      return null;
    }
  }

  function catalogInfo(entry: CatalogEntry, manifest: DownloadManifest): ModelInfo {
    return {
      id: entry.id,
      name: entry.name,
      origin: 'catalog',
      format: manifest.format,
      dir: finalDir(entry),
      spec: entry.spec,
      inputName: manifest.inputName,
      inputShape: manifest.inputShape,
      bottleneckNode: manifest.bottleneckNode,
      featureSize: manifest.featureSize,
      outputNode: manifest.outputNode,
      outputIsProbabilities: manifest.outputIsProbabilities,
    };
  }

  const importsPath = path.join(root, IMPORTS_FILE);

  async function readImports(): Promise<ImportsFile> {
    try {
      const parsed = JSON.parse(await readFile(importsPath, 'utf8')) as ImportsFile;
      return { version: 1, models: Array.isArray(parsed?.models) ? parsed.models : [] };
    } catch {
      return { version: 1, models: [] };
    }
  }

  /**
   * Read-modify-write of imports.json under a cross-process lock: the app, `serve` and CLI
   * runs may share one models folder, and an in-process queue alone lost imports.
   */
  async function updateImports<T>(change: (file: ImportsFile) => T | Promise<T>): Promise<T> {
    let result!: T;
    await updateJsonFile<ImportsFile>(importsPath, async (current) => {
      const file: ImportsFile = { version: 1, models: Array.isArray(current?.models) ? current.models : [] };
      result = await change(file);
      return file;
    });
    return result;
  }

  /** Serialises work on one catalog model's folders across processes (download, bottleneck change, removal). */
  function withModelLock<T>(entry: CatalogEntry, fn: () => Promise<T>, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    return withFileLock(path.join(root, `${folderName(entry.id)}.lock`), fn, { what: `Waiting for another download of ${entry.id}`, ...options });
  }

  function unknownModel(id: string): CoreError {
    return new CoreError(
      'MODEL_NOT_FOUND',
      `Unknown model "${id}". Catalog ids: ${catalog.map((e) => e.id).join(', ')}; imported models start with "${IMPORT_PREFIX}".`,
      { id },
    );
  }

  async function verifyAndInspect(
    entry: CatalogEntry,
    dir: string,
    json: ModelJson,
  ): Promise<{ model: InspectedModel; bottleneck: string; featureSize: number }> {
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

  async function runDownload(entry: CatalogEntry, downloadOptions: DownloadOptions): Promise<ModelInfo> {
    const { onProgress, signal } = downloadOptions;
    const work = partialDir(entry);
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
    const io = modelIO(model);
    const manifest: DownloadManifest = {
      version: 1,
      id: entry.id,
      sourceUrl: entry.url,
      downloadedAt: new Date().toISOString(),
      format: entry.format,
      totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
      files,
      ...io,
      bottleneckNode: bottleneck,
      featureSize,
      outputIsProbabilities: outputIsSoftmax(model.topology),
    };
    await writeAtomic(path.join(work, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const destination = finalDir(entry);
    await rm(destination, { recursive: true, force: true });
    await rename(work, destination);
    return catalogInfo(entry, manifest);
  }

  async function resolveImported(id: string): Promise<ModelInfo> {
    const record = (await readImports()).models.find((m) => m.id === id);
    if (!record) throw new CoreError('MODEL_NOT_FOUND', `No imported model "${id}". Import the folder again.`, { id });
    if (!(await exists(path.join(record.dir, 'model.json')))) {
      throw new CoreError(
        'MODEL_NOT_FOUND',
        `Imported model "${id}" was in ${record.dir}, which no longer holds a model.json (moved or deleted). Import it again from its new place, or remove it.`,
        { id, dir: record.dir },
      );
    }
    return record;
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
        if (manifest) return catalogInfo(entry, manifest);
        await mkdir(root, { recursive: true });
        // Another process may be downloading the same model into the same .partial folder:
        // wait for it (then its result is used), or cancel while waiting.
        return withModelLock(
          entry,
          async () => {
            const done = await readManifest(entry);
            return done ? catalogInfo(entry, done) : runDownload(entry, downloadOptions);
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
      let labels: string[] | undefined;
      const labelsFile = importOptions.labelsFile
        ? path.resolve(absolute, importOptions.labelsFile)
        : (await exists(path.join(absolute, 'labels.txt')))
          ? path.join(absolute, 'labels.txt')
          : (await exists(path.join(absolute, 'labels.json')))
            ? path.join(absolute, 'labels.json')
            : undefined;
      if (labelsFile) labels = await readLabels(labelsFile, absolute);
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
      return updateImports((file) => {
        const sameDir = file.models.find((m) => m.dir === absolute);
        let id = sameDir?.id;
        if (!id) {
          const slug = slugify(name);
          id = `${IMPORT_PREFIX}${slug}`;
          for (let n = 2; file.models.some((m) => m.id === id); n++) id = `${IMPORT_PREFIX}${slug}-${n}`;
        }
        const info: ModelInfo = { id, ...base };
        file.models = [...file.models.filter((m) => m.id !== id), info];
        return info;
      });
    },

    async setBottleneckNode(id, node) {
      if (id.startsWith(IMPORT_PREFIX)) {
        const record = await resolveImported(id);
        const model = await inspectModelDir(record.dir);
        const found = requireNode(model, node);
        return updateImports((file) => {
          const info: ModelInfo = { ...record, bottleneckNode: node, featureSize: featureSizeOf(found) ?? 0 };
          file.models = file.models.map((m) => (m.id === id ? info : m));
          return info;
        });
      }
      const entry = entryOf(id);
      if (!entry) throw unknownModel(id);
      const info = await store.resolve(id);
      const model = await inspectModelDir(info.dir);
      const found = requireNode(model, node);
      const updated = await withModelLock(entry, async () => {
        const manifest = await readManifest(entry);
        if (!manifest) throw new CoreError('MODEL_NOT_FOUND', `Model ${id} was removed meanwhile; download it again.`, { id });
        const next: DownloadManifest = { ...manifest, bottleneckNode: node, featureSize: featureSizeOf(found) ?? manifest.featureSize };
        await writeAtomic(path.join(info.dir, MANIFEST_FILE), `${JSON.stringify(next, null, 2)}\n`);
        return next;
      });
      return catalogInfo(entry, updated);
    },

    async resolve(id) {
      if (id.startsWith(IMPORT_PREFIX)) return resolveImported(id);
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
      return catalogInfo(entry, manifest);
    },

    async listModels() {
      const cached: ModelInfo[] = [];
      for (const entry of catalog) {
        const manifest = await readManifest(entry);
        if (manifest) cached.push(catalogInfo(entry, manifest));
      }
      return [...cached, ...(await readImports()).models];
    },

    async remove(id) {
      if (id.startsWith(IMPORT_PREFIX)) {
        await updateImports((file) => {
          if (!file.models.some((m) => m.id === id)) throw new CoreError('MODEL_NOT_FOUND', `No imported model "${id}".`, { id });
          file.models = file.models.filter((m) => m.id !== id);
        });
        return;
      }
      const entry = entryOf(id);
      if (!entry) throw unknownModel(id);
      if (inFlight.has(id)) throw new CoreError('BUSY', `Model ${id} is downloading; cancel the download before removing it.`);
      await mkdir(root, { recursive: true });
      // A short wait: a download in another process holds this lock for minutes, and BUSY names it.
      await withModelLock(entry, async () => {
        await rm(finalDir(entry), { recursive: true, force: true });
        await rm(partialDir(entry), { recursive: true, force: true });
      }, { timeoutMs: 2_000 });
    },
  };
  return store;
}
