/**
 * The contract implemented on core: the composition root. It builds the stores, caches and
 * queue once and hands each area (service/*.ts) what it needs; adapters (Electron IPC, HTTP
 * server, CLI) validate requests and call the object returned here.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createAccessPolicy } from '../core/access/index.js';
import { createBottleneckCache, createFeatureEngine } from '../core/bottlenecks/index.js';
import type { ImageClassifier } from '../core/classify/index.js';
import { CoreError } from '../core/errors.js';
import { createExtractorCache, createLoadedCache } from '../core/models/extractor-cache.js';
import { createModelStore } from '../core/models/index.js';
import { createRunQueue, createRunStore } from '../core/runs/index.js';
import { createSettingsStore } from '../core/settings/index.js';
import type { CoreApi } from './contract.js';
import type { Logger, Service, ServiceOptions } from './service-types.js';
import { createCacheApi } from './service/cache.js';
import { createCaptureApi } from './service/capture.js';
import { createClassifyApi } from './service/classify.js';
import { createCrossValidateApi } from './service/cross-validate.js';
import { createExplainApi } from './service/explain.js';
import { createDatasetArea } from './service/datasets.js';
import { createEventBus } from './service/events.js';
import { createExportsApi } from './service/exports.js';
import { createLabelFolderApi } from './service/label-folder.js';
import { createHealthApi } from './service/health.js';
import { createModelsApi } from './service/models.js';
import { createRunsApi } from './service/runs.js';
import { createEngineArea, DEFAULT_SETTINGS } from './service/settings.js';

export type { Service, ServiceOptions, Logger } from './service-types.js';

const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** The data folder's layout; the three overridable folders are retrain.py's flags. */
function dataFolders(options: ServiceOptions) {
  const dataDir = path.resolve(options.dataDir);
  return {
    dataDir,
    models: options.modelsDir ?? path.join(dataDir, 'models'),
    cache: options.cacheDir ?? path.join(dataDir, 'bottlenecks'),
    runs: options.runsDir ?? path.join(dataDir, 'runs'),
    exports: path.join(dataDir, 'exports'),
    onnx: path.join(dataDir, 'onnx'),
    uploads: path.join(dataDir, 'uploads'),
    settings: path.join(dataDir, 'settings.json'),
    scanIndex: path.join(dataDir, 'scan-index'),
  };
}

/**
 * Creates the service: loads the settings, selects the TF.js backend (settings or
 * RETRAIN_STUDIO_BACKEND), creates the data folder, and returns the API. Call `close()` when done.
 */
export async function createService(options: ServiceOptions): Promise<Service> {
  const logger = options.logger ?? silentLogger;
  const dirs = dataFolders(options);
  await mkdir(dirs.dataDir, { recursive: true });
  const exportDirFor = (runId: string): string => path.join(dirs.exports, runId);

  const events = createEventBus();
  const models = createModelStore({ dir: dirs.models });
  const cache = createBottleneckCache({ dir: dirs.cache });
  const runs = createRunStore(dirs.runs);
  // Exports write files: only the app's exports folder and folders the user chose in a host dialog.
  const access = createAccessPolicy({ read: [dirs.models, dirs.uploads], write: [dirs.exports] });
  const queue = createRunQueue({
    onError: (runId, error) => {
      if (!(error instanceof CoreError && error.code === 'CANCELLED')) logger.error(`Run ${runId} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    },
  });
  const isBusy = (): boolean => queue.activeCount > 0;

  // Loaded networks: the backbones of every engine, and the classifiers labelling uses.
  const extractors = createExtractorCache();
  const classifiers = createLoadedCache<ImageClassifier>();
  const dropLoaded = (): void => {
    extractors.clear();
    classifiers.clear();
  };

  const engine = await createEngineArea({ store: createSettingsStore({ file: dirs.settings, defaults: DEFAULT_SETTINGS }), emit: events.emit, isBusy, dropLoaded });
  const features = createFeatureEngine({ extractors, onnxCacheDir: dirs.onnx, engine: () => engine.current(), warn: (message) => logger.warn(message) });
  const datasets = createDatasetArea({ access, emit: events.emit, pickFolder: options.pickFolder, indexDir: dirs.scanIndex, maxFiles: options.maxDatasetFiles });

  const api: CoreApi = {
    ...engine.api,
    ...datasets.api,
    ...createModelsApi({ models, runs, access, emit: events.emit }),
    ...createRunsApi({ runs, queue, models, cache, features, engine, datasets, emit: events.emit, exportDirFor }),
    ...createExportsApi({ runs, extractors, access, exportsDir: dirs.exports, exportDirFor }),
    ...createClassifyApi({ runs, models, extractors, classifiers, access }),
    ...createExplainApi({ runs, models, extractors, classifiers, access }),
    ...createCacheApi({ cache, isBusy }),
    ...createCrossValidateApi({ runs, cache, features, engine, datasets }),
    ...createLabelFolderApi({ runs, models, extractors, classifiers, access, emit: events.emit }),
    ...createCaptureApi({ datasets }),
    ...createHealthApi({ datasets, models, cache, features, engine, emit: events.emit }),
  };

  return {
    ...api,
    on: events.on,
    access,
    close: async () => {
      await queue.close();
      await runs.close();
      dropLoaded();
    },
  };
}
