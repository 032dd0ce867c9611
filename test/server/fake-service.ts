/**
 * A typed fake of the service for adapter tests (server, Electron IPC and protocol).
 * The method table is typed `CoreApi` (derived from the contract's METHODS), so a method
 * added to the contract and missing here is a compile error (`tsc -p tsconfig.json`) and,
 * at run time, an error from createFakeService. Calls are recorded; any method can be overridden per test.
 */
import {
  API_METHODS,
  CoreError,
  type ApiMethod,
  type CoreApi,
  type EngineStatus,
  type EventName,
  type EventPayload,
  type ModelSummary,
} from '../../src-main/api/contract.js';
import type { Service } from '../../src-main/api/service-types.js';
import { createAccessPolicy } from '../../src-main/core/access/index.js';

export type FakeService = Service & {
  /** Every contract call, in order, with the request the service received. */
  calls: { method: ApiMethod; request: unknown }[];
  /** Pushes an event to subscribers, as core would. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Number of live event subscriptions. */
  listenerCount(): number;
  closed: boolean;
};

export const FAKE_ENGINE: EngineStatus = {
  backend: 'wasm',
  package: '@tensorflow/tfjs-backend-wasm',
  device: 'test CPU',
  forced: false,
  simd: true,
  threads: 1,
  candidates: [{ id: 'wasm', package: '@tensorflow/tfjs-backend-wasm', available: true, active: true }],
  featureEngine: 'auto',
  summary: 'wasm on test CPU',
};

const MODEL: ModelSummary = {
  id: 'fake_model',
  name: 'Fake model',
  origin: 'catalog',
  format: 'layers',
  cached: true,
  spec: { heightPx: 224, widthPx: 224, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
  normalization: '[-1, 1]',
  bottleneckNode: 'pool',
  featureSize: 8,
  hasLabels: false,
};

/** A catalog model that is not downloaded yet (the renderer e2e tests download it, or fail to). */
export const FAKE_CATALOG_MODEL: ModelSummary = {
  id: 'mobilenet_v1_0.25_128',
  name: 'MobileNet v1 0.25 128',
  origin: 'catalog',
  format: 'layers',
  family: 'mobilenet_v1',
  cached: false,
  url: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_128/model.json',
  approxDownloadBytes: 2_000_000,
  spec: { heightPx: 128, widthPx: 128, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
  normalization: '[-1, 1] (pixel / 127.5 - 1)',
  bottleneckNode: 'conv_pw_13_relu',
  featureSize: 256,
  hasLabels: false,
};

const notFound = (what: string) => Promise.reject(new CoreError('NOT_FOUND', `${what} does not exist in the fake service.`));

/**
 * A fake service. `allowedRoots` are the folders its real access policy lets clients read (compared
 * after realpath, like the real service); `overrides` replace contract methods.
 */
export function createFakeService(options: { allowedRoots?: string[]; overrides?: Partial<CoreApi> } = {}): FakeService {
  const calls: FakeService['calls'] = [];
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();

  const base: CoreApi = {
    getEngine: async () => FAKE_ENGINE,
    getSettings: async () => ({ backend: 'auto', featureEngine: 'auto' }),
    updateSettings: async (req) => ({ backend: req.backend ?? 'auto', featureEngine: req.featureEngine ?? 'auto' }),
    getHyperparameters: async () => ({ hyperparameters: [], presets: [] }),
    pickFolder: async () => null,
    openDataset: async (req) => ({
      id: 'ds1',
      root: req.path,
      classes: [],
      issues: [],
      duplicates: [],
      imageCount: 0,
      validationPercent: req.validationPercent ?? 10,
      testPercent: req.testPercent ?? 10,
      trainable: false,
      scannedAt: new Date(0).toISOString(),
    }),
    cancelOpenDataset: async () => ({ cancelled: false }),
    listDatasetImages: async () => ({ total: 0, images: [] }),
    listModels: async () => [MODEL],
    downloadModel: async () => MODEL,
    importModel: async () => MODEL,
    setBottleneckNode: async () => MODEL,
    describeModel: () => notFound('The model'),
    startTraining: async () => ({ runId: 'run1' }),
    startSweep: async () => ({ sweepId: 'sweep1', runIds: ['run1'] }),
    cancelTraining: async () => undefined,
    listRuns: async () => [],
    getRun: (req) => notFound(`Run ${req.runId}`),
    renameRun: (req) => notFound(`Run ${req.runId}`),
    deleteRun: async () => undefined,
    exportScalars: async () => ({ fileName: 'scalars.csv', mimeType: 'text/csv', text: 'step\n' }),
    exportRun: (req) => notFound(`Run ${req.runId}`),
    classify: async () => ({ source: 'x', predictions: [], durationMs: 1, preprocessMs: 0, inferenceMs: 1, engine: 'fake' }),
    getCacheInfo: async () => ({ dir: '/tmp/cache', entries: 0, bytes: 0 }),
    clearCache: async () => ({ dir: '/tmp/cache', entries: 0, bytes: 0 }),
    crossValidateRun: (req) => notFound(`Run ${req.runId}`),
    // ── label a folder & webcam capture ──
    labelFolder: (req) => notFound(req.path),
    cancelLabelFolder: async () => ({ cancelled: false }),
    exportLabelFolderCsv: (req) => notFound(`Labelling job ${req.jobId}`),
    captureImage: (req) => notFound(`Dataset ${req.datasetId}`),
    // ── data health ──
    runAudit: (req) => notFound(`Dataset ${req.datasetId}`),
    cancelAudit: async () => ({ cancelled: false }),
    getAudit: async () => null,
    listFixes: async () => ({ fixes: [], excluded: [] }),
    moveImage: (req) => notFound(`Dataset ${req.datasetId}`),
    undoFix: (req) => notFound(`Dataset ${req.datasetId}`),
    excludeImages: (req) => notFound(`Dataset ${req.datasetId}`),
    restoreImages: (req) => notFound(`Dataset ${req.datasetId}`),
    // ── explain and calibration ──
    explain: async () => ({ source: 'x', method: 'occlusion', methodText: 'fake', label: 'a', classIndex: 0, probability: 1, rows: 2, cols: 2, values: [0, 0, 0, 0], maxAbs: 0, region: { x: 0, y: 0, width: 1, height: 1 }, evaluations: 1, durationMs: 1 }),
  };
  const api = { ...base, ...options.overrides } as CoreApi;
  // `base` is typed CoreApi, so this cannot happen once the tests compile; it also stops an
  // untyped run (vitest strips types) from serving a method the fake forgot.
  const missing = API_METHODS.filter((method) => typeof api[method] !== 'function');
  if (missing.length) throw new Error(`test/server/fake-service.ts has no ${missing.join(', ')}: add ${missing.length > 1 ? 'them' : 'it'} to \`base\`.`);

  // Record every contract call, then delegate.
  const recorded = Object.fromEntries(
    API_METHODS.map((method: ApiMethod) => [
      method,
      (request: unknown) => {
        calls.push({ method, request });
        return (api[method] as (req: unknown) => Promise<unknown>)(request);
      },
    ]),
  ) as CoreApi;

  // The real policy, so that tests of the hosts' 403s test the rules the app enforces.
  const access = createAccessPolicy({ read: options.allowedRoots ?? [] });

  const service: FakeService = {
    ...recorded,
    calls,
    closed: false,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) listener(payload);
    },
    listenerCount: () => [...listeners.values()].reduce((n, set) => n + set.size, 0),
    access,
    async close() {
      service.closed = true;
    },
  };
  return service;
}
