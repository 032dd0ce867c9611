/**
 * The one contract between Retrain Studio's engine and every client: the Electron
 * renderer (IPC), a browser (HTTP + WebSocket, `serve`), the CLI and test fakes.
 *
 * Declared once: `METHODS` names every method with its request and reply types, `EVENTS`
 * every pushed event with its payload. `CoreApi`, `CoreEvents`, `API_METHODS`, `EVENT_NAMES`,
 * the validators' table (validate.ts), the hosts' dispatch, the preload bridge and the
 * renderer client are all derived from these two tables.
 *
 * Plain TypeScript: no Node, DOM or Electron types, so the renderer compiles it.
 * Every method takes one plain-JSON request object and resolves to plain JSON;
 * failures travel as `{ code, message }` and are rebuilt as `CoreError`.
 */
import type { PreprocessSpec } from '../core/images/spec.js';
import type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from '../core/training/types.js';
import type { EvaluationSummary } from '../core/evaluation/index.js';
import type { RunPhase, RunSummary } from '../core/runs/types.js';
import { BACKEND_IDS, type EngineInfo } from '../core/engine/types.js';
import type { BottleneckProgress } from '../core/bottlenecks/types.js';
import type { DatasetIssue, Split } from '../core/dataset/types.js';
import type { DownloadProgress, ModelGraph } from '../core/models/data-types.js';
import type { ClassifyResult } from '../core/classify/types.js';
import type { HealthReport } from '../core/health/types.js';
import type { Exclusion, MoveFix } from '../core/dataset/fix-types.js';
import type { HeatMap } from '../core/classify/explain.js';

export { CoreError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
// Plain data owned by core (files with no Node, tfjs or DOM); declared there, once.
export type { Normalization, PreprocessSpec } from '../core/images/spec.js';
export type { TrainingConfig, HyperparameterSpec, Preset, MetricPoint } from '../core/training/types.js';
export type { ClassMetrics, Misclassified, EvaluationSummary } from '../core/evaluation/index.js';
export type { RunStatus, PhaseTimes, RunPhase, RunSummary } from '../core/runs/types.js';
export { BACKEND_IDS, type BackendId, type EngineCandidate, type EngineInfo } from '../core/engine/types.js';
export type { BottleneckProgress } from '../core/bottlenecks/types.js';
export { SPLITS, type DatasetIssue, type Split } from '../core/dataset/types.js';
export type { DownloadProgress, GraphEdge, GraphGroup, GraphNode, ModelFormat, ModelGraph } from '../core/models/data-types.js';
export type { ClassifyResult, Prediction } from '../core/classify/types.js';
export type { HealthReport, Suspect, DuplicateGroup, DuplicateKind, Outlier, ClassBalance, BalanceReport } from '../core/health/types.js';
export type { Exclusion, MoveFix } from '../core/dataset/fix-types.js';

// ───────────────────────────── enumerations ─────────────────────────────
// The validators, the views and the CLI read these; nobody repeats the values.

/** Backend choices of the settings: a TF.js backend, or `auto` (the best that runs). */
export const BACKEND_CHOICES = ['auto', ...BACKEND_IDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Which engine computes bottlenecks: TF.js (the backend above) or ONNX Runtime. */
export const FEATURE_ENGINES = ['auto', 'tfjs', 'onnx'] as const;
export type FeatureEnginePreference = (typeof FEATURE_ENGINES)[number];

/** The hyperparameters a sweep can vary, in menu order. */
export const SWEEP_PARAMETERS = ['learningRate', 'howManyTrainingSteps', 'trainBatchSize', 'hiddenUnits', 'optimizer', 'seed'] as const satisfies readonly (keyof TrainingConfig)[];
export type SweepParameter = (typeof SWEEP_PARAMETERS)[number];

/** What a folder is picked for; `export` folders are granted for writing, the others for reading. */
export const FOLDER_PURPOSES = ['dataset', 'model', 'export'] as const;
export type FolderPurpose = (typeof FOLDER_PURPOSES)[number];

/** Formats of `exportScalars`. */
export const SCALAR_FORMATS = ['csv', 'json'] as const;
export type ScalarFormat = (typeof SCALAR_FORMATS)[number];

// ───────────────────────────── engine ─────────────────────────────

/** The active backend (and why better ones are unused) plus the bottleneck engine choice. */
export type EngineStatus = EngineInfo & {
  /** Preference for the bottleneck engine. */
  featureEngine: FeatureEnginePreference;
  /** One line a person can read: backend, device, why better ones are unused, and what computed the last bottlenecks. */
  summary: string;
};

export type Settings = { backend: BackendChoice; featureEngine: FeatureEnginePreference };

export type CacheInfo = { dir: string; entries: number; bytes: number };

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

// ───────────────────────────── runs ─────────────────────────────

export type RunDetail = RunSummary & { metrics: MetricPoint[]; evaluation?: EvaluationSummary };

// ───────────────────────────── export & labelling ─────────────────────────────

export type ExportResult = {
  dir: string;
  files: string[];
  /** A ready-to-copy `retrain-studio label …` command for this model. */
  labelCommand: string;
  /** A short TF.js snippet that loads and runs the export in a browser (= snippets.browser). */
  tfjsSnippet: string;
  /** Code that labels an image exactly as the app does: browser TF.js, Node (sharp + TF.js), Python (onnxruntime, when ONNX was written). */
  snippets: { browser: string; node: string; python?: string };
  onnx?: { file: string; maxAbsError: number } | { error: string };
};

export type ImageInput = { path: string } | { dataBase64: string; name: string };

/** A classification as clients get it: what was classified, and core's result. */
export type Classification = { source: string } & ClassifyResult;
// ── explain and calibration ──
export type Explanation = { source: string } & HeatMap;
export type { HeatMap } from '../core/classify/explain.js';
export type { CalibrationSummary, CalibrationSplit, ReliabilityBin } from '../core/training/calibration-types.js';

// ───────────────────────────── data health ─────────────────────────────

/** A data-health audit of an open dataset, as the app and `retrain-studio audit` show it. Paths are dataset-relative. */
export type AuditReport = HealthReport & {
  datasetId: string;
  /** The dataset folder (absolute): thumbnails are `root` + `/` + a path. */
  root: string;
  modelId: string;
  modelName: string;
  /** Where the features came from: the disk cache, computed now, or (after a fix) the audit's features kept in memory. */
  bottlenecks: { total: number; fromCache: number; computed: number; reused: number; failed: number; engine: string };
  /** Images left out by the exclusion list. */
  excluded: number;
  /** ISO 8601. */
  createdAt: string;
};

/** A dataset's fixes: the move log (newest last) and the exclusion list. */
export type FixState = { fixes: MoveFix[]; excluded: Exclusion[] };

/** What a fix answers: the dataset rescanned (no file re-read but the moved one), the fixes, and the checks recomputed from the audit's features (null before any audit). */
export type FixResult = FixState & { dataset: DatasetSummary; report: AuditReport | null };

// ───────────────────────────── the method table ─────────────────────────────

/**
 * One method of the contract: what it does, and (at compile time only) its request and reply
 * types. `types` never exists at run time; it only carries `Req` and `Reply` to `CoreApi`.
 */
export type MethodMeta<Req = unknown, Reply = unknown> = { readonly summary: string; readonly types?: (request: Req) => Reply };
const method = <Req, Reply>(summary: string): MethodMeta<Req, Reply> => ({ summary });

/** A request with no fields. */
type NoFields = Record<string, never>;

/** Every method of the contract. Adding one here (plus its schema in validate.ts and its handler) is all it takes. */
export const METHODS = {
  getEngine: method<NoFields, EngineStatus>('The active backend, its device, why better ones are unused, and the bottleneck engine.'),
  getSettings: method<NoFields, Settings>('The saved backend and bottleneck-engine preferences.'),
  updateSettings: method<Partial<Settings>, Settings>('Changes the preferences; a backend change applies to the next run (and restarts nothing running).'),
  getHyperparameters: method<NoFields, { hyperparameters: HyperparameterSpec[]; presets: Preset[] }>('retrain.py\'s hyperparameters with their bounds, and the presets.'),

  pickFolder: method<{ purpose: FolderPurpose }, string | null>('Asks the host for a folder (Electron: native dialog) and grants it; null where no dialog exists or it was cancelled.'),
  openDataset: method<{ path: string; validationPercent?: number; testPercent?: number }, DatasetSummary>(
    'Scans a folder of class sub-folders: classes, splits, issues, duplicates. At most DEFAULTS.maxDatasetFiles files; CANCELLED by cancelOpenDataset.',
  ),
  cancelOpenDataset: method<{ path: string }, { cancelled: boolean }>('Stops the scan of a folder being opened (openDataset then fails with CANCELLED); false when none was running.'),
  listDatasetImages: method<{ datasetId: string; className?: string; split?: Split; offset?: number; limit?: number }, { total: number; images: DatasetImageRow[] }>(
    'One page of an opened dataset\'s images, optionally of one class or split.',
  ),

  listModels: method<NoFields, ModelSummary[]>('Catalog, imported and exported models.'),
  downloadModel: method<{ modelId: string }, ModelSummary>('Downloads (or resumes) a catalog model into the cache.'),
  importModel: method<{ path: string; name?: string; bottleneckNode?: string; labelsPath?: string; spec?: Partial<PreprocessSpec> }, ModelSummary>(
    'Imports a TF.js model folder.',
  ),
  setBottleneckNode: method<{ modelId: string; node: string }, ModelSummary>('Chooses the node whose output is the bottleneck.'),
  describeModel: method<{ modelId: string } | { runId: string }, ModelGraph>('The graph of a model, or of the model a run trained on; writes nothing.'),

  startTraining: method<{ datasetId: string; config: Partial<TrainingConfig>; name?: string }, { runId: string }>('Queues one training run.'),
  startSweep: method<{ datasetId: string; config: Partial<TrainingConfig>; parameter: SweepParameter; values: (number | string)[] }, { sweepId: string; runIds: string[] }>(
    'Queues one run per value of one hyperparameter.',
  ),
  cancelTraining: method<{ runId: string }, void>('Cancels a queued or running run.'),

  listRuns: method<NoFields, RunSummary[]>('Every run, newest first.'),
  getRun: method<{ runId: string }, RunDetail>('One run with its metrics and evaluation.'),
  renameRun: method<{ runId: string; name: string }, RunSummary>('Renames a run.'),
  deleteRun: method<{ runId: string }, void>('Deletes a finished run\'s folder.'),
  exportScalars: method<{ runIds: string[]; format: ScalarFormat }, { fileName: string; mimeType: string; text: string }>('The metrics of runs as CSV or JSON text.'),
  exportRun: method<{ runId: string; path?: string; onnx?: boolean }, ExportResult>('Writes a run\'s trained model (TF.js, optionally ONNX) to a folder.'),

  classify: method<{ runId?: string; modelId?: string; image: ImageInput; topK?: number }, Classification>('Labels one image with a run\'s or a model\'s classifier.'),

  getCacheInfo: method<NoFields, CacheInfo>('Size of the bottleneck cache.'),
  clearCache: method<NoFields, CacheInfo>('Empties the bottleneck cache.'),

  // ── walkthrough: k-fold cross-validation (item 11) ──
  crossValidateRun: method<{ runId: string; folds?: number }, CrossValidation>(
    'k-fold cross-validation of a run\'s hyperparameters over the cached bottlenecks of its (open) dataset: every image held out once; mean ± spread of the folds\' accuracy.',
  ),
  // ── label a folder & webcam capture ──
  labelFolder: method<{ path: string; runId?: string; modelId?: string; topK?: number }, LabelFolderResult>(
    'Labels every image below a folder (recursively) with a run\'s or a labelled model\'s classifier; grants reading the folder. Progress as `labelFolder.progress`; cancelLabelFolder ends it early with `cancelled: true` and the rows done so far.',
  ),
  cancelLabelFolder: method<{ path: string }, { cancelled: boolean }>('Stops the labelling of a folder after the batch in progress; false when none was running.'),
  exportLabelFolderCsv: method<{ jobId: string }, { fileName: string; mimeType: string; text: string }>('A finished labelling job as CSV text (the CLI\'s --output_csv format).'),
  captureImage: method<{ datasetId: string; className: string; dataBase64: string }, { path: string; dataset: DatasetSummary }>(
    'Writes a JPEG (a webcam frame) as a new file in a class folder of an open dataset (never replacing one), then rescans the dataset.',
  ),
  // ── data health ──
  runAudit: method<{ datasetId: string; modelId: string; folds?: number; seed?: number; duplicateThreshold?: number }, AuditReport>(
    'Data health of an open dataset on its bottlenecks (cached ones reused): mislabel suspects, duplicates and leakage, outliers, class balance. health.progress events; CANCELLED by cancelAudit.',
  ),
  cancelAudit: method<{ datasetId: string }, { cancelled: boolean }>('Stops the audit of a dataset (runAudit then fails with CANCELLED); false when none was running.'),
  getAudit: method<{ datasetId: string }, AuditReport | null>('The latest audit of a dataset in this process (updated by every fix), or null.'),
  listFixes: method<{ datasetId: string }, FixState>('The move log and exclusion list of a dataset.'),
  moveImage: method<{ datasetId: string; path: string; toClass: string }, FixResult>('Moves a photo (dataset-relative path) into another class folder on disk, never overwriting; logged so it can be undone.'),
  undoFix: method<{ datasetId: string; fixId: string }, FixResult>('Moves a logged photo back where it was.'),
  excludeImages: method<{ datasetId: string; paths: string[]; reason?: string }, FixResult>('Leaves photos out of the dataset (scan, split, training, checks) without touching the files.'),
  restoreImages: method<{ datasetId: string; paths: string[] }, FixResult>('Takes photos off the exclusion list.'),
  // ── explain and calibration ──
  explain: method<{ runId?: string; modelId?: string; image: ImageInput; classIndex?: number }, Explanation>(
    'A heat map of the regions of one image that drove a class (occlusion sensitivity; the top class unless classIndex is given).',
  ),
} as const satisfies Record<string, MethodMeta<never, unknown>>;

type RequestOf<T> = T extends { readonly types?: (request: infer Req) => unknown } ? Req : never;
type ReplyOf<T> = T extends { readonly types?: (request: never) => infer Reply } ? Reply : never;

export type ApiMethod = keyof typeof METHODS;
export type ApiRequest<M extends ApiMethod> = RequestOf<(typeof METHODS)[M]>;
export type ApiReply<M extends ApiMethod> = ReplyOf<(typeof METHODS)[M]>;

/** The API as an object: what the service implements and clients call. */
export type CoreApi = { [M in ApiMethod]: (request: ApiRequest<M>) => Promise<ApiReply<M>> };

/** Every method name, in table order, for adapters that build handler tables. */
export const API_METHODS = Object.keys(METHODS) as ApiMethod[];

/** True when `name` is a method of the contract (an own key of METHODS: never `__proto__`, `constructor`…). */
export function isApiMethodName(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

// ───────────────────────────── the event table ─────────────────────────────

/** One pushed event: what it says, and (compile time only) its payload type. */
export type EventMeta<Payload = unknown> = { readonly summary: string; readonly payload?: Payload };
const event = <Payload>(summary: string): EventMeta<Payload> => ({ summary });

/** Every event the engine pushes to every connected client; both transports forward each with no other edit. */
export const EVENTS = {
  'dataset.progress': event<{ root: string; phase: 'listing' | 'reading'; done: number; total: number }>(
    'While a dataset opens: `listing` counts files found so far (done = 0, total = found), then `reading` counts images read of total.',
  ),
  'model.download': event<DownloadProgress>('Bytes of a model download.'),
  'run.phase': event<{ runId: string; phase: RunPhase; message: string }>('A run moved to another phase.'),
  'bottlenecks.progress': event<{ runId: string } & BottleneckProgress>('Bottlenecks computed or read from the cache.'),
  'training.progress': event<{ runId: string; step: number; totalSteps: number; point?: MetricPoint }>('A training step, with its metrics at evaluation steps.'),
  'run.finished': event<RunSummary>('A run completed, failed or was cancelled.'),
  'engine.changed': event<EngineStatus>('The backend or bottleneck engine changed.'),
  // ── label a folder ──
  'labelFolder.progress': event<{ root: string } & LabelFolderProgress>('Images of a folder labelled so far, images/s and the estimated time left (null until known).'),

  // ── data health ──
  'health.progress': event<{ datasetId: string; phase: 'bottlenecks' | 'checks'; message: string; done: number; total: number }>(
    'While an audit runs: bottlenecks read or computed (done of total images), then each check (message names it).',
  ),
  'dataset.changed': event<DatasetSummary>('A fix (move, undo, exclude, restore) changed an open dataset: its new summary.'),
} as const satisfies Record<string, EventMeta>;

/** Events only the desktop host sends (on the same IPC channel): the user chose a folder from the application menu. */
export const HOST_EVENTS = {
  'menu.openDataset': event<{ path: string }>('File → Open Dataset Folder… chose a folder.'),
  'menu.importModel': event<{ path: string }>('File → Import Model… chose a folder.'),
} as const satisfies Record<string, EventMeta>;

type PayloadOf<T> = T extends { readonly payload?: infer Payload } ? Payload : never;

/** Events as listener argument lists (the shape of Node's EventEmitter maps). */
export type CoreEvents = { [E in keyof typeof EVENTS]: [PayloadOf<(typeof EVENTS)[E]>] };
export type EventName = keyof CoreEvents;
export type EventPayload<E extends EventName> = CoreEvents[E][0];

export type HostEvents = { [E in keyof typeof HOST_EVENTS]: [PayloadOf<(typeof HOST_EVENTS)[E]>] };
export type HostEventName = keyof HostEvents;
export type HostEventPayload<E extends HostEventName> = HostEvents[E][0];

/** Every event name, in table order. */
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
export const HOST_EVENT_NAMES = Object.keys(HOST_EVENTS) as HostEventName[];

/** True when `name` is a core event (an own key of EVENTS). */
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(EVENTS, name);
}

// ───────────────────────────── on the wire ─────────────────────────────

/** The wire form of an error. */
export type WireError = { code: string; message: string; details?: Record<string, unknown> };

/** What one call resolves to on the wire (IPC and HTTP alike): never a thrown error. */
export type WireReply<T = unknown> = { result: T } | { error: WireError };

/** A pushed event on the wire (IPC's event channel, the HTTP event socket). */
export type WireEvent = { event: EventName | HostEventName; payload: unknown };

/**
 * What the Electron preload exposes on `window.retrainStudio`. `FileLike` is the DOM's `File`
 * (this file sees no DOM types): a dropped file, whose absolute path the host knows.
 */
export type PreloadBridge<FileLike = never> = {
  invoke(method: ApiMethod, request: unknown): Promise<WireReply>;
  on(event: EventName | HostEventName, listener: (payload: unknown) => void): () => void;
  getPathForFile(file: FileLike): string;
};

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

/** Calls one contract method on an implementation with `this` bound (the hosts' dispatch and the CLI's send). */
export function callMethod<M extends ApiMethod>(api: CoreApi, method: M, request: ApiRequest<M>): Promise<ApiReply<M>> {
  const fn = api[method] as (req: ApiRequest<M>) => Promise<ApiReply<M>>;
  return fn.call(api, request);
}

// ── walkthrough: k-fold cross-validation, browser upload and download (items 8, 11) ──

/** What `crossValidateRun` found: one accuracy per fold, their mean and spread, and the pooled count. */
export type CrossValidation = {
  runId: string;
  folds: number;
  /** Images used (every readable image of the dataset, whatever its split). */
  images: number;
  /** Accuracy of each fold's head on the images it never saw. */
  foldAccuracies: number[];
  mean: number;
  /** Sample standard deviation of `foldAccuracies`. */
  spread: number;
  /** Correct out-of-fold predictions over all images (what a Wilson interval is taken over). */
  correct: number;
  stepsPerFold: number;
  /** True when the run used distortions: the folds train on the cached (undistorted) bottlenecks. */
  distortionsIgnored: boolean;
  durationMs: number;
};

/** Bounds of `crossValidateRun`'s `folds`. */
export const CROSS_VALIDATION = { defaultFolds: 5, minFolds: 2, maxFolds: 10 } as const;

/**
 * `serve`'s binary routes (no JSON body, so not contract methods): uploading a dataset file by
 * file and downloading an export or the scalars. Each needs the token as `Authorization:
 * Bearer …`, like every /api route.
 */
export const TRANSFER_ROUTES = {
  /** `POST /transfer/upload?name=<folder name>` → `{ uploadId }`: starts an upload. */
  uploadStart: '/transfer/upload',
  /** `PUT /transfer/upload/<uploadId>?path=<class>/<file>`: one file's bytes, streamed to disk. */
  uploadFile: '/transfer/upload/',
  /** `POST /transfer/upload/<uploadId>/finish` → `{ path, files, bytes, skipped }`: the stored folder, to open as a dataset. */
  uploadFinishSuffix: '/finish',
  /** `GET /transfer/export.zip?dir=<export folder>`: the export as a zip. */
  exportZip: '/transfer/export.zip',
  /** `GET /transfer/scalars?runIds=a,b&format=csv|json`: runs' metrics as a file. */
  scalars: '/transfer/scalars',
} as const;

/** Limits and name rules of a browser upload (core/dataset/upload-rules.ts: the page checks first, the server enforces). */
export { UPLOAD_LIMITS, uploadPathProblem, isUploadImage, uploadFolderName } from '../core/dataset/upload-rules.js';

/** What finishing an upload returns. */
export type UploadResult = { path: string; files: number; bytes: number; skipped: string[] };
// ───────────────────────────── label a folder ─────────────────────────────

export type LabelFolderProgress = { done: number; total: number; failed: number; imagesPerSecond: number; etaMs: number | null };

/** One labelled image of a folder (core's FolderRow): most likely first, or why it could not be read. */
export type LabelFolderRow = { path: string; predictions: { label: string; probability: number }[]; error?: string };

export type LabelFolderResult = {
  /** Names this result for exportLabelFolderCsv (the last few jobs are kept). */
  jobId: string;
  /** The real folder labelled; `root + '/' + row.path` is an image the image route may read. */
  root: string;
  source: string;
  topK: number;
  labels: string[];
  rows: LabelFolderRow[];
  total: number;
  skipped: number;
  cancelled: boolean;
  durationMs: number;
  imagesPerSecond: number;
  engine: string;
};
