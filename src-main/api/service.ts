/**
 * The contract implemented on core. Adapters (Electron IPC, HTTP server, CLI) validate
 * requests and translate; everything they expose goes through this one object, which
 * owns the engine, the open datasets, the model store, the bottleneck cache and the runs.
 */
import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../core/errors.js';
import { createAccessPolicy } from '../core/access/index.js';
import { APP_VERSION } from '../core/paths.js';
import { describeEngine, selectEngine, type EngineInfo } from '../core/engine/index.js';
import { scanDataset, type Dataset } from '../core/dataset/index.js';
import { decodeImage, describeNormalization, makeThumbnail } from '../core/images/index.js';
import { createModelStore, describeGraph, loadClassifier, loadFeatureExtractor, loadThreadedFeatureExtractor, type ModelStore } from '../core/models/index.js';
import type { FeatureExtractor, ModelInfo } from '../core/models/types.js';
import { createBottleneckCache } from '../core/bottlenecks/index.js';
import { modelFingerprint } from '../core/models/fingerprint.js';
import { HYPERPARAMETERS, PRESETS, resolveConfig, type TrainingConfig } from '../core/training/index.js';
import { createRunStore, runTrainingJob, scalarsToCsv, scalarsToJson, type RunRecord } from '../core/runs/index.js';
import { exportClassifier, labelCommand, tfjsSnippet } from '../core/export/index.js';
import { classifyImage, loadExportedClassifier, readLabels, type ImageClassifier } from '../core/classify/index.js';
import { createOnnxFeatureExtractor, exportOnnxClassifier } from '../core/onnx/index.js';
import { loadLayersModelFromDir, writeAtomic } from '../core/tf/file-io.js';
import type {
  CoreApi,
  DatasetSummary,
  EngineStatus,
  EventName,
  EventPayload,
  ModelSummary,
  RunDetail,
  RunSummary,
  Settings,
} from './contract.js';
import type { Logger, Service, ServiceOptions } from './service-types.js';

export type { Service, ServiceOptions, Logger } from './service-types.js';

const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Images used to check ONNX parity against TF.js before trusting it (real photos of the dataset). */
const PARITY_IMAGES = 4;

/**
 * Creates the service: selects the TF.js backend (settings or RETRAIN_STUDIO_BACKEND),
 * creates the data folders, and returns the API. Call `close()` when done.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const logger = options.logger ?? silentLogger;
  const dataDir = path.resolve(options.dataDir);
  const dirs = {
    models: options.modelsDir ?? path.join(dataDir, 'models'),
    cache: options.cacheDir ?? path.join(dataDir, 'bottlenecks'),
    runs: options.runsDir ?? path.join(dataDir, 'runs'),
    exports: path.join(dataDir, 'exports'),
    onnx: path.join(dataDir, 'onnx'),
    uploads: path.join(dataDir, 'uploads'),
  };
  await mkdir(dataDir, { recursive: true });
  const settingsFile = path.join(dataDir, 'settings.json');
  let settings: Settings = { backend: 'auto', featureEngine: 'auto' };
  try {
    settings = { ...settings, ...(JSON.parse(await readFile(settingsFile, 'utf8')) as Partial<Settings>) };
  } catch {
    // First start, or unreadable settings: defaults.
  }

  let engine: EngineInfo = await selectEngine({ force: settings.backend === 'auto' ? undefined : settings.backend });
  const preferenceNote = (): string =>
    settings.featureEngine === 'tfjs'
      ? 'TF.js (chosen in settings)'
      : 'ONNX Runtime for TF.js layers models once its features match TF.js on the dataset’s photos, else TF.js';
  let featureEngineNote = preferenceNote();
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    events.emit(event, payload);
  };

  const models: ModelStore = createModelStore({ dir: dirs.models });
  const cache = createBottleneckCache({ dir: dirs.cache });
  const runs = createRunStore(dirs.runs);
  const datasets = new Map<string, Dataset>();
  // Exports write files: only the app's exports folder and folders the user chose in a host dialog.
  const access = createAccessPolicy({ read: [dirs.models, dirs.uploads], write: [dirs.exports] });
  const active = new Map<string, AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  // Loaded networks are expensive: keep the last few (a model can have three: TF.js here, TF.js
  // in a worker, ONNX Runtime), keyed by engine + model id + bottleneck node.
  const extractors = new Map<string, Promise<FeatureExtractor>>();
  const classifiers = new Map<string, Promise<ImageClassifier>>();
  const remember = <T extends { dispose(): void }>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>, keep = 4): Promise<T> => {
    const existing = map.get(key);
    if (existing) {
      map.delete(key);
      map.set(key, existing);
      return existing;
    }
    const loading = load();
    map.set(key, loading);
    loading.catch(() => map.delete(key));
    while (map.size > keep) {
      const [oldest, value] = map.entries().next().value as [string, Promise<T>];
      map.delete(oldest);
      void value.then((v) => v.dispose(), () => {});
    }
    return loading;
  };
  const dropLoaded = (): void => {
    for (const map of [extractors, classifiers] as Map<string, Promise<{ dispose(): void }>>[]) {
      for (const value of map.values()) void value.then((v) => v.dispose(), () => {});
      map.clear();
    }
  };

  /** TF.js on this thread: the layers model for export and ONNX conversion, and labelling one image. */
  // Keys include the model files' fingerprint: a model changed in place is loaded again.
  const tfjsExtractor = async (info: ModelInfo): Promise<FeatureExtractor> =>
    remember(extractors, `tfjs|${info.id}|${info.bottleneckNode}|${await modelFingerprint(info.dir)}`, () => loadFeatureExtractor(info));
  /** TF.js in a worker thread: bottlenecks for a whole dataset without stalling this event loop. */
  const threadedExtractor = async (info: ModelInfo): Promise<FeatureExtractor> =>
    remember(extractors, `thread|${info.id}|${info.bottleneckNode}|${engine.backend}|${await modelFingerprint(info.dir)}`, () => loadThreadedFeatureExtractor(info, engine));

  /** Why the last run's bottlenecks ran where they did, per model; shown in the engine line. */
  const onnxNotes = new Map<string, string>();
  const setFeatureNote = (note: string): void => {
    featureEngineNote = note;
    emit('engine.changed', engineStatus());
  };

  /** The bottleneck engine for a run: ONNX Runtime when allowed and parity holds, else TF.js. */
  const runExtractor = async (info: ModelInfo, dataset: Dataset): Promise<FeatureExtractor> => {
    if (settings.featureEngine === 'tfjs') {
      const threaded = await threadedExtractor(info);
      setFeatureNote(`${threaded.engine} in a worker thread (TF.js chosen in settings)`);
      return threaded;
    }
    const base = await tfjsExtractor(info);
    if (!base.layersModel) {
      const threaded = await threadedExtractor(info);
      setFeatureNote(`${threaded.engine} in a worker thread: ONNX Runtime converts TF.js layers models; ${info.name} is a graph model`);
      return threaded;
    }
    const key = `onnx|${info.id}|${info.bottleneckNode}|${await modelFingerprint(info.dir)}`;
    const extractor = await remember(extractors, key, async () => {
      // Real photos of this dataset (the first of each class, then the second…); an unreadable one is passed over.
      const { heightPx, widthPx } = info.spec;
      const imageSize = heightPx * widthPx * 3;
      const pixels = new Float32Array(PARITY_IMAGES * imageSize);
      let count = 0;
      const rounds = Math.max(...dataset.classes.map((c) => c.images.length));
      for (let round = 0; round < rounds && count < PARITY_IMAGES; round++) {
        for (const c of dataset.classes) {
          const image = c.images[round];
          if (!image || count === PARITY_IMAGES) continue;
          const decoded = await decodeImage(image.path, info.spec).catch(() => null);
          if (decoded) pixels.set(decoded.data, count++ * imageSize);
        }
      }
      if (count === 0) {
        onnxNotes.set(key, `${base.engine} in a worker thread: no readable image to check ONNX Runtime's parity with`);
        return loadThreadedFeatureExtractor(info, engine);
      }
      const result = await createOnnxFeatureExtractor(base, { cacheDir: dirs.onnx, parityPixels: pixels.subarray(0, count * imageSize), parityCount: count });
      if (result.extractor) {
        onnxNotes.set(key, `${result.extractor.engine} (parity with TF.js: max relative error ${result.parity.maxRelativeError.toExponential(1)} on ${result.parity.images} images)`);
        return result.extractor;
      }
      onnxNotes.set(key, `${base.engine} in a worker thread: ONNX Runtime not used — ${result.reason ?? 'parity check failed'}`);
      logger.warn(onnxNotes.get(key) as string);
      return loadThreadedFeatureExtractor(info, engine);
    });
    setFeatureNote(onnxNotes.get(key) ?? extractor.engine);
    return extractor;
  };

  const engineStatus = (): EngineStatus => ({
    ...engine,
    featureEngine: settings.featureEngine,
    summary: `${describeEngine(engine)} Bottlenecks: ${featureEngineNote}.`,
  });

  const thumbnails = new Map<string, Promise<Buffer>>();

  // ── mapping core → contract ──
  const datasetId = (root: string): string => createHash('sha256').update(root).digest('hex').slice(0, 16);
  const datasetSummary = (id: string, dataset: Dataset): DatasetSummary => ({
    id,
    root: dataset.root,
    classes: dataset.classes.map((c) => ({ name: c.name, label: c.label, count: c.images.length, counts: c.counts, samples: c.images.slice(0, 8).map((i) => i.path) })),
    issues: dataset.issues,
    duplicates: dataset.duplicates,
    imageCount: dataset.imageCount,
    validationPercent: dataset.validationPercent,
    testPercent: dataset.testPercent,
    trainable: !dataset.issues.some((i) => i.severity === 'error'),
    scannedAt: dataset.scannedAt,
  });
  const getDataset = (id: string): Dataset => {
    const dataset = datasets.get(id);
    if (!dataset) throw new CoreError('NOT_FOUND', `Dataset ${id} is not open. Open its folder again.`);
    return dataset;
  };

  const modelSummary = (info: ModelInfo, extra: Partial<ModelSummary> = {}): ModelSummary => ({
    id: info.id,
    name: info.name,
    origin: info.origin,
    format: info.format,
    cached: true,
    inputName: info.inputName,
    inputShape: info.inputShape,
    spec: info.spec,
    normalization: describeNormalization(info.spec.normalization),
    bottleneckNode: info.bottleneckNode,
    featureSize: info.featureSize,
    outputNode: info.outputNode,
    hasLabels: Boolean(info.labels?.length),
    ...extra,
  });

  const runSummary = (record: RunRecord): RunSummary => ({
    id: record.id,
    name: record.name,
    createdAt: record.createdAt,
    // A run left `running` by a process that is gone was interrupted.
    status: record.status === 'running' && !record.live ? 'failed' : record.status,
    datasetRoot: record.datasetRoot,
    modelId: record.modelId,
    config: record.config,
    classes: record.classes,
    backend: record.backend,
    featureEngine: record.featureEngine,
    device: record.device,
    phases: record.phases,
    ...(record.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
    ...(record.testAccuracy !== undefined ? { testAccuracy: record.testAccuracy } : {}),
    ...(record.error ? { error: record.error } : record.status === 'running' && !record.live ? { error: 'Interrupted: the process running it stopped.' } : {}),
    ...(record.sweepId ? { sweepId: record.sweepId } : {}),
  });

  const runDetail = async (runId: string): Promise<RunDetail> => {
    const record = await runs.get(runId);
    return { ...runSummary(record), metrics: record.metrics, ...(record.evaluation ? { evaluation: record.evaluation } : {}) };
  };

  /** Backbone + trained head of a finished run, as the app classifies with it. */
  const runClassifier = (runId: string): Promise<ImageClassifier> =>
    remember(classifiers, `run|${runId}`, async () => {
      const record = await runs.get(runId);
      if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${runId} is ${record.status}; only completed runs can classify.`);
      const dir = await runs.runDir(runId);
      const head = await loadLayersModelFromDir(path.join(dir, 'model'));
      const labels = await readLabels(path.join(dir, 'model', 'labels.txt'));
      // Labelling always uses TF.js so that it matches the exported model exactly.
      const extractor = await tfjsExtractor(record.model);
      const { featureSize } = extractor.info;
      return {
        spec: record.model.spec,
        labels,
        engine: extractor.engine,
        predict: async (pixels, count) => {
          const features = await extractor.extract(pixels, count);
          const probabilities = tf.tidy(() => head.predict(tf.tensor2d(features, [count, featureSize])) as tf.Tensor);
          try {
            return (await probabilities.data()) as Float32Array;
          } finally {
            probabilities.dispose();
          }
        },
        dispose: () => head.dispose(),
      };
    });

  const exportDirFor = (runId: string): string => path.join(dirs.exports, runId);

  const doExport: CoreApi['exportRun'] = async ({ runId, path: target, onnx }) => {
    const record = await runs.get(runId);
    if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${runId} is ${record.status}; only completed runs can be exported.`);
    let dir = exportDirFor(runId);
    if (target) {
      if (!(await access.mayWrite(target))) {
        throw new CoreError('PATH_NOT_ALLOWED', `Export to ${target} is not allowed: choose the folder with the dialog, or omit the path to export to ${dirs.exports}.`);
      }
      dir = path.resolve(target);
    }
    const extractor = await tfjsExtractor(record.model);
    const head = await loadLayersModelFromDir(path.join(await runs.runDir(runId), 'model'));
    try {
      const result = await exportClassifier({ backbone: extractor.layersModel, head, info: record.model, classes: record.classes, dir, runId, appVersion: APP_VERSION });
      access.grant(dir);
      let onnxResult: Awaited<ReturnType<CoreApi['exportRun']>>['onnx'];
      if (onnx) {
        onnxResult = extractor.layersModel
          ? await exportOnnx(extractor.layersModel, head, dir, record.model)
          : { error: `${record.model.name} is a TF.js graph model; ONNX conversion handles layers models only.` };
      }
      return {
        dir,
        files: result.files.concat(onnxResult && 'file' in onnxResult ? [onnxResult.file] : []),
        labelCommand: labelCommand(dir, result.metadata),
        tfjsSnippet: tfjsSnippet(result.metadata),
        ...(onnxResult ? { onnx: onnxResult } : {}),
      };
    } finally {
      head.dispose();
    }
  };

  /** ONNX export of backbone + head, written only when it agrees with TF.js on a random batch. */
  const exportOnnx = async (backbone: tf.LayersModel, head: tf.LayersModel, dir: string, info: ModelInfo): Promise<{ file: string; maxAbsError: number } | { error: string }> => {
    const { heightPx, widthPx } = info.spec;
    const input = tf.randomUniform([2, heightPx, widthPx, 3], -1, 1, 'float32', 7);
    const pixels = (await input.data()) as Float32Array;
    input.dispose();
    try {
      const result = await exportOnnxClassifier({ backbone, head, file: path.join(dir, 'model.onnx'), parity: { pixels, count: 2 }, convert: { outputName: 'final_result' } });
      return { file: result.file, maxAbsError: result.parity?.maxAbsError ?? NaN };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const saveSettings = async (): Promise<void> => writeAtomic(settingsFile, JSON.stringify(settings, null, 2));

  const startRun = async (dataset: Dataset, config: TrainingConfig, name: string | undefined, sweepId?: string): Promise<string> => {
    const model = await models.resolve(config.architecture);
    const record = await runs.create(
      {
        name: name ?? `${model.name} · ${config.howManyTrainingSteps} steps · lr ${config.learningRate}`,
        datasetRoot: dataset.root,
        modelId: model.id,
        model,
        config,
        classes: dataset.classes.map((c) => c.name),
        ...(sweepId ? { sweepId } : {}),
        appVersion: APP_VERSION,
      },
      { backend: engine.backend, featureEngine: '', device: engine.device, phases: {} },
    );
    const controller = new AbortController();
    active.set(record.id, controller);
    emit('run.phase', { runId: record.id, phase: 'queued', message: 'Waiting for the engine' });
    // One run at a time: they share the cores and the loaded network.
    queue = queue.then(async () => {
      try {
        await runTrainingJob({
          runs,
          record,
          dataset,
          model,
          config,
          cache,
          getExtractor: () => runExtractor(model, dataset),
          engine: { backend: engine.backend, device: engine.device },
          signal: controller.signal,
          onPhase: (phase, message) => emit('run.phase', { runId: record.id, phase, message }),
          onBottlenecks: (progress) => emit('bottlenecks.progress', { runId: record.id, ...progress }),
          onStep: (step, totalSteps) => emit('training.progress', { runId: record.id, step, totalSteps }),
          onMetrics: (point) => emit('training.progress', { runId: record.id, step: point.step, totalSteps: config.howManyTrainingSteps, point }),
        });
      } catch (error) {
        if (!(error instanceof CoreError && error.code === 'CANCELLED')) logger.error(`Run ${record.id} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      } finally {
        active.delete(record.id);
        emit('run.phase', { runId: record.id, phase: 'done', message: '' });
        // The run folder may be gone (deleted from another process): a queue that rejects would stop every later run.
        const finished = await runs.get(record.id).catch(() => null);
        if (finished) emit('run.finished', runSummary(finished));
      }
    });
    return record.id;
  };

  const api: CoreApi = {
    getEngine: async () => engineStatus(),
    getSettings: async () => ({ ...settings }),
    updateSettings: async (change) => {
      if (change.backend && change.backend !== settings.backend) {
        if (active.size > 0) throw new CoreError('BUSY', 'The backend cannot change while a run is in progress. Cancel it or wait.');
        const next = await selectEngine({ force: change.backend === 'auto' ? undefined : change.backend });
        dropLoaded();
        engine = next;
      }
      if (change.featureEngine && change.featureEngine !== settings.featureEngine) dropLoaded();
      settings = { ...settings, ...change };
      featureEngineNote = preferenceNote();
      await saveSettings();
      emit('engine.changed', engineStatus());
      return { ...settings };
    },
    getHyperparameters: async () => ({ hyperparameters: [...HYPERPARAMETERS], presets: PRESETS }),

    pickFolder: async ({ purpose }) => {
      if (!options.pickFolder) return null;
      const dir = await options.pickFolder(purpose);
      if (dir) access.grant(dir, purpose === 'export' ? 'write' : 'read');
      return dir;
    },
    openDataset: async ({ path: root, validationPercent, testPercent }) => {
      const absolute = path.resolve(root);
      const info = await stat(absolute).catch(() => null);
      if (!info?.isDirectory()) throw new CoreError('NOT_FOUND', `${root} is not a folder. Choose a folder that holds one sub-folder per class.`);
      const real = await realpath(absolute);
      const dataset = await scanDataset(real, {
        validationPercent,
        testPercent,
        onProgress: (done, total) => emit('dataset.progress', { root: real, done, total }),
      });
      const id = datasetId(real);
      datasets.set(id, dataset);
      access.grant(real);
      return datasetSummary(id, dataset);
    },
    listDatasetImages: async ({ datasetId: id, className, split, offset = 0, limit = 100 }) => {
      const dataset = getDataset(id);
      const rows = dataset.classes
        .filter((c) => className === undefined || c.name === className)
        .flatMap((c) => c.images.filter((i) => split === undefined || i.split === split).map((i) => ({ path: i.path, className: c.name, split: i.split })));
      return { total: rows.length, images: rows.slice(offset, offset + limit) };
    },

    listModels: async () => {
      const [catalog, usable] = await Promise.all([models.listCatalog(), models.listModels()]);
      const byId = new Map(usable.map((m) => [m.id, m]));
      const rows: ModelSummary[] = catalog.map((entry) => {
        const info = byId.get(entry.id);
        const extra = { family: entry.family, url: entry.url, approxDownloadBytes: entry.approxDownloadBytes, sizeOnDiskBytes: entry.sizeOnDiskBytes };
        return info
          ? modelSummary(info, { ...extra, cached: entry.cached })
          : {
              id: entry.id,
              name: entry.name,
              origin: 'catalog' as const,
              format: entry.format,
              cached: false,
              inputName: entry.inputName,
              inputShape: [null, entry.spec.heightPx, entry.spec.widthPx, 3],
              spec: entry.spec,
              normalization: describeNormalization(entry.spec.normalization),
              bottleneckNode: entry.bottleneckNode,
              featureSize: entry.featureSize,
              hasLabels: false,
              ...extra,
            };
      });
      return rows.concat(usable.filter((m) => m.origin !== 'catalog').map((m) => modelSummary(m)));
    },
    downloadModel: async ({ modelId }) => {
      const info = await models.download(modelId, { onProgress: (p) => emit('model.download', p) });
      return modelSummary(info);
    },
    importModel: async ({ path: dir, name, bottleneckNode, labelsPath, spec }) => {
      const info = await models.importModel(path.resolve(dir), { name, bottleneckNode, labelsFile: labelsPath, spec });
      access.grant(info.dir);
      return modelSummary(info);
    },
    setBottleneckNode: async ({ modelId, node }) => modelSummary(await models.setBottleneckNode(modelId, node)),
    describeModel: async (req) => {
      if ('modelId' in req) return describeGraph(await models.resolve(req.modelId));
      const dir = exportDirFor(req.runId);
      const exported = await stat(path.join(dir, 'metadata.json')).then(() => true, () => false);
      if (!exported) await doExport({ runId: req.runId });
      const classifier = await loadExportedClassifier(dir);
      classifier.dispose();
      const { metadata } = classifier;
      const graph = metadata.graphBackbone;
      return describeGraph({
        id: `run:${req.runId}`,
        name: `Run ${req.runId} (exported${graph ? ' backbone' : ''})`,
        origin: 'exported',
        format: graph ? 'graph' : 'layers',
        dir: graph ? path.join(dir, graph.dir) : dir,
        spec: classifier.spec,
        inputName: metadata.inputName,
        inputShape: metadata.inputShape,
        bottleneckNode: metadata.bottleneckNode,
        featureSize: 0,
        outputNode: graph ? metadata.bottleneckNode : metadata.outputName,
        labels: metadata.classes,
        outputIsProbabilities: true,
      });
    },

    startTraining: async ({ datasetId: id, config, name }) => {
      const dataset = getDataset(id);
      return { runId: await startRun(dataset, resolveConfig(config), name) };
    },
    startSweep: async ({ datasetId: id, config, parameter, values }) => {
      const dataset = getDataset(id);
      // Check every value before starting any run.
      const configs = values.map((value) => resolveConfig({ ...config, [parameter]: value }));
      const sweepId = `sweep-${Date.now().toString(36)}`;
      const runIds: string[] = [];
      for (const [i, c] of configs.entries()) runIds.push(await startRun(dataset, c, `${parameter} = ${String(values[i])}`, sweepId));
      return { sweepId, runIds };
    },
    cancelTraining: async ({ runId }) => {
      const controller = active.get(runId);
      if (!controller) throw new CoreError('NOT_FOUND', `Run ${runId} is not running.`);
      controller.abort();
    },

    listRuns: async () => (await runs.list()).map(runSummary),
    getRun: async ({ runId }) => runDetail(runId),
    renameRun: async ({ runId, name }) => runSummary(await runs.rename(runId, name)),
    deleteRun: async ({ runId }) => {
      if (active.has(runId)) throw new CoreError('BUSY', `Run ${runId} is in progress: cancel it first.`);
      await runs.remove(runId);
      await rm(exportDirFor(runId), { recursive: true, force: true });
    },
    exportScalars: async ({ runIds, format }) => {
      const details = await Promise.all(runIds.map((id) => runs.get(id)));
      const scalars = details.map((d) => ({ id: d.id, name: d.name, points: d.metrics }));
      return format === 'csv'
        ? { fileName: 'scalars.csv', mimeType: 'text/csv', text: scalarsToCsv(scalars) }
        : { fileName: 'scalars.json', mimeType: 'application/json', text: scalarsToJson(scalars) };
    },
    exportRun: doExport,

    classify: async ({ runId, modelId, image, topK = 5 }) => {
      let classifier: ImageClassifier;
      let source: string;
      if (runId) {
        classifier = await runClassifier(runId);
        source = `run ${runId}`;
      } else {
        const info = await models.resolve(modelId as string);
        if (!info.labels?.length) throw new CoreError('INVALID_ARGUMENT', `${info.name} has no labels file: import it with one, or classify with a trained run.`);
        classifier = await remember(classifiers, `model|${info.id}`, async () => {
          const loaded = await loadClassifier(info);
          return { spec: info.spec, labels: info.labels ?? [], engine: `tfjs-${tf.getBackend()}`, predict: loaded.predict, dispose: loaded.dispose };
        });
        source = info.name;
      }
      const input = 'path' in image ? await access.resolveReadable(image.path) : Buffer.from(image.dataBase64, 'base64');
      const name = 'path' in image ? image.path : image.name;
      const result = await classifyImage(classifier, input, topK, name);
      return { source, ...result };
    },

    getCacheInfo: async () => cache.stats(),
    clearCache: async () => {
      if (active.size > 0) throw new CoreError('BUSY', 'The cache cannot be cleared while a run is in progress.');
      await cache.clear();
      return cache.stats();
    },
  };

  const service: Service = {
    ...api,
    on: (event, listener) => {
      events.on(event, listener as (payload: unknown) => void);
      return () => events.off(event, listener as (payload: unknown) => void);
    },
    access,
    thumbnail: async (file, sizePx) => {
      const real = await access.resolveReadable(file);
      const key = `${real}|${sizePx}`;
      let pending = thumbnails.get(key);
      if (!pending) {
        pending = makeThumbnail(real, sizePx);
        thumbnails.set(key, pending);
        pending.catch(() => thumbnails.delete(key));
        if (thumbnails.size > 2000) thumbnails.delete(thumbnails.keys().next().value as string);
      }
      return pending;
    },
    close: async () => {
      for (const controller of active.values()) controller.abort();
      await queue.catch(() => {});
      await runs.close();
      dropLoaded();
    },
  };
  return service;
}

