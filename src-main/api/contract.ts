/**
 * The one contract between Retrain Studio's engine and every client: the Electron
 * renderer (IPC), a browser (HTTP + WebSocket, `serve`), the CLI and test mocks.
 *
 * Plain TypeScript: no Node, DOM or Electron types, so the renderer compiles it.
 * Every method takes one plain-JSON request object and resolves to plain JSON;
 * failures travel as `{ code, message }` and are rebuilt as `CoreError`.
 */
export { CoreError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
// Plain data types owned by core (pure TypeScript files: no Node, tfjs or DOM).
export type { Normalization, PreprocessSpec } from '../core/images/spec.js';
export type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from '../core/training/types.js';
export type { ClassMetrics, Misclassified, EvaluationSummary } from '../core/evaluation/index.js';
export type { RunStatus, PhaseTimes } from '../core/runs/types.js';
export type { BackendId, EngineCandidate, EngineInfo } from '../core/engine/types.js';
export type { BottleneckProgress } from '../core/bottlenecks/types.js';
export type { DatasetIssue, Split } from '../core/dataset/types.js';
import type { PreprocessSpec } from '../core/images/spec.js';
import type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from '../core/training/types.js';
import type { EvaluationSummary } from '../core/evaluation/index.js';
import type { RunStatus, PhaseTimes } from '../core/runs/types.js';
import type { BackendId, EngineInfo } from '../core/engine/types.js';
import type { BottleneckProgress } from '../core/bottlenecks/types.js';
import type { DatasetIssue, Split } from '../core/dataset/types.js';

// ───────────────────────────── engine ─────────────────────────────

/** Which engine computes bottlenecks: TF.js (the backend above) or ONNX Runtime. */
export type FeatureEnginePreference = 'auto' | 'tfjs' | 'onnx';

/** The active backend (and why better ones are unused) plus the bottleneck engine choice. */
export type EngineStatus = EngineInfo & {
  /** Preference for the bottleneck engine. */
  featureEngine: FeatureEnginePreference;
  /** One line a person can read: backend, device, why better ones are unused, and what computed the last bottlenecks. */
  summary: string;
};

// ───────────────────────────── datasets ─────────────────────────────



export type DatasetClassSummary = {
  name: string;
  label: string;
  count: number;
  counts: Record<Split, number>;
  /** A few image paths for thumbnails (served by the image route / protocol). */
  samples: string[];
};

export type DatasetSummary = {
  id: string;
  root: string;
  classes: DatasetClassSummary[];
  issues: DatasetIssue[];
  duplicates: { contentHash: string; paths: string[] }[];
  imageCount: number;
  validationPercent: number;
  testPercent: number;
  /** False when an `error` issue prevents training. */
  trainable: boolean;
  scannedAt: string;
};

export type DatasetImageRow = { path: string; className: string; split: Split };

// ───────────────────────────── models ─────────────────────────────


export type ModelSummary = {
  id: string;
  name: string;
  origin: 'catalog' | 'imported' | 'exported';
  format: 'layers' | 'graph';
  family?: string;
  /** Catalog models: whether the files are on disk (usable offline). */
  cached: boolean;
  url?: string;
  approxDownloadBytes?: number;
  sizeOnDiskBytes?: number;
  inputName?: string;
  inputShape?: (number | null)[];
  spec: PreprocessSpec;
  /** Human-readable normalisation, e.g. "[-1, 1] (pixel / 127.5 - 1)". */
  normalization: string;
  bottleneckNode: string;
  featureSize: number;
  outputNode?: string;
  /** True for full classifiers with a labels file (usable for labelling as they are). */
  hasLabels: boolean;
};

export type DownloadProgress = { modelId: string; receivedBytes: number; totalBytes: number | null; file: string };

export type GraphNode = {
  id: string;
  name: string;
  op: string;
  outputShape: (number | null)[] | null;
  params: number;
  group?: string;
  attributes: Record<string, string | number | boolean | null>;
};

export type ModelGraph = {
  modelId: string;
  format: 'layers' | 'graph';
  nodes: GraphNode[];
  edges: { from: string; to: string; shape: (number | null)[] | null }[];
  groups: { id: string; label: string; parent?: string }[];
  input: { name: string; shape: (number | null)[]; dtype: string; normalization: string; crop: string };
  bottleneck: { name: string; shape: (number | null)[] | null };
  output: { name: string; shape: (number | null)[] | null };
  totalParams: number;
};

// ───────────────────────────── training ─────────────────────────────






export type RunPhase = 'queued' | 'loading' | 'bottlenecks' | 'training' | 'evaluating' | 'saving' | 'done';






export type RunSummary = {
  id: string;
  name: string;
  createdAt: string;
  status: RunStatus;
  datasetRoot: string;
  modelId: string;
  config: TrainingConfig;
  classes: string[];
  /** TF.js backend and bottleneck engine used, e.g. `wasm`, `onnxruntime-cpu`. */
  backend: string;
  featureEngine: string;
  device: string;
  phases: PhaseTimes;
  durationMs?: number;
  testAccuracy?: number;
  error?: string;
  /** Id of the sweep this run belongs to. */
  sweepId?: string;
};

export type RunDetail = RunSummary & { metrics: MetricPoint[]; evaluation?: EvaluationSummary };

export type SweepParameter = 'learningRate' | 'howManyTrainingSteps' | 'trainBatchSize' | 'hiddenUnits' | 'optimizer' | 'seed';

// ───────────────────────────── export & labelling ─────────────────────────────

export type ExportResult = {
  dir: string;
  files: string[];
  /** A ready-to-copy `retrain-studio label …` command for this model. */
  labelCommand: string;
  /** A short TF.js snippet that loads and runs the export. */
  tfjsSnippet: string;
  onnx?: { file: string; maxAbsError: number } | { error: string };
};

export type ImageInput = { path: string } | { dataBase64: string; name: string };

export type Prediction = { label: string; probability: number };

export type Classification = {
  source: string;
  predictions: Prediction[];
  durationMs: number;
  preprocessMs: number;
  inferenceMs: number;
  engine: string;
};

export type CacheInfo = { dir: string; entries: number; bytes: number };

export type Settings = { backend: BackendId | 'auto'; featureEngine: FeatureEnginePreference };

// ───────────────────────────── the API ─────────────────────────────

export type CoreApi = {
  getEngine(req: Record<string, never>): Promise<EngineStatus>;
  getSettings(req: Record<string, never>): Promise<Settings>;
  /** Changing the backend applies to the next run (and restarts nothing running). */
  updateSettings(req: Partial<Settings>): Promise<Settings>;
  getHyperparameters(req: Record<string, never>): Promise<{ hyperparameters: HyperparameterSpec[]; presets: Preset[] }>;

  /** Asks the host for a folder (Electron: native dialog). Resolves null where no dialog exists or it was cancelled. */
  pickFolder(req: { purpose: 'dataset' | 'model' | 'export' }): Promise<string | null>;
  openDataset(req: { path: string; validationPercent?: number; testPercent?: number }): Promise<DatasetSummary>;
  listDatasetImages(req: { datasetId: string; className?: string; split?: Split; offset?: number; limit?: number }): Promise<{ total: number; images: DatasetImageRow[] }>;

  listModels(req: Record<string, never>): Promise<ModelSummary[]>;
  downloadModel(req: { modelId: string }): Promise<ModelSummary>;
  importModel(req: { path: string; name?: string; bottleneckNode?: string; labelsPath?: string; spec?: Partial<PreprocessSpec> }): Promise<ModelSummary>;
  setBottleneckNode(req: { modelId: string; node: string }): Promise<ModelSummary>;
  describeModel(req: { modelId: string } | { runId: string }): Promise<ModelGraph>;

  startTraining(req: { datasetId: string; config: Partial<TrainingConfig>; name?: string }): Promise<{ runId: string }>;
  startSweep(req: { datasetId: string; config: Partial<TrainingConfig>; parameter: SweepParameter; values: (number | string)[] }): Promise<{ sweepId: string; runIds: string[] }>;
  cancelTraining(req: { runId: string }): Promise<void>;

  listRuns(req: Record<string, never>): Promise<RunSummary[]>;
  getRun(req: { runId: string }): Promise<RunDetail>;
  renameRun(req: { runId: string; name: string }): Promise<RunSummary>;
  deleteRun(req: { runId: string }): Promise<void>;
  exportScalars(req: { runIds: string[]; format: 'csv' | 'json' }): Promise<{ fileName: string; mimeType: string; text: string }>;
  exportRun(req: { runId: string; path?: string; onnx?: boolean }): Promise<ExportResult>;

  classify(req: { runId?: string; modelId?: string; image: ImageInput; topK?: number }): Promise<Classification>;

  getCacheInfo(req: Record<string, never>): Promise<CacheInfo>;
  clearCache(req: Record<string, never>): Promise<CacheInfo>;
};

export type ApiMethod = keyof CoreApi;
export type ApiRequest<M extends ApiMethod> = Parameters<CoreApi[M]>[0];
export type ApiReply<M extends ApiMethod> = Awaited<ReturnType<CoreApi[M]>>;

/** Events pushed from the engine to every connected client. */
export type CoreEvents = {
  'dataset.progress': [{ root: string; done: number; total: number }];
  'model.download': [DownloadProgress];
  'run.phase': [{ runId: string; phase: RunPhase; message: string }];
  'bottlenecks.progress': [{ runId: string } & BottleneckProgress];
  'training.progress': [{ runId: string; step: number; totalSteps: number; point?: MetricPoint }];
  'run.finished': [RunSummary];
  'engine.changed': [EngineStatus];
};

export type EventName = keyof CoreEvents;
export type EventPayload<E extends EventName> = CoreEvents[E][0];

/** Every method name, for adapters that build handler tables; a missing key is a compile error. */
export const API_METHODS = [
  'getEngine', 'getSettings', 'updateSettings', 'getHyperparameters',
  'pickFolder', 'openDataset', 'listDatasetImages',
  'listModels', 'downloadModel', 'importModel', 'setBottleneckNode', 'describeModel',
  'startTraining', 'startSweep', 'cancelTraining',
  'listRuns', 'getRun', 'renameRun', 'deleteRun', 'exportScalars', 'exportRun',
  'classify', 'getCacheInfo', 'clearCache',
] as const satisfies readonly ApiMethod[];

/** Compile-time check that API_METHODS lists every method exactly. */
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const everyMethodListed: Missing extends never ? true : Missing = true;
void everyMethodListed;

export const EVENT_NAMES = [
  'dataset.progress', 'model.download', 'run.phase', 'bottlenecks.progress', 'training.progress', 'run.finished', 'engine.changed',
] as const satisfies readonly EventName[];

/** The wire form of an error. */
export type WireError = { code: string; message: string; details?: Record<string, unknown> };

/** A client of the API with event subscription: what the renderer and tests use. */
export type ApiClient = CoreApi & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

/** The limits the validators enforce, shared so clients can check before sending. */
export const LIMITS = {
  pathChars: 4096,
  nameChars: 200,
  /** Base64 characters of an uploaded image (≈ 24 MiB of bytes). */
  imageBase64Chars: 32 * 1024 * 1024,
  sweepValues: 16,
  runIds: 50,
  pageSize: 500,
} as const;
