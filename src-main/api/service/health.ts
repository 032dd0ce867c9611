/**
 * Data health: the audit of an open dataset (core/health on its bottlenecks) and the fixes in
 * place (move to another class, undo, exclude, restore). The CLI's `audit` calls this too, so
 * the app and the CLI show one implementation's results.
 *
 * After a fix the dataset is rescanned (the scan index: only a moved file is read again) and
 * the checks are recomputed from the audit's features, kept in memory by content hash (a move
 * keeps a file's bytes, so its features); a file the audit did not see (restored) or a dataset
 * too large to keep (MAX_KEPT_FLOATS) reads the disk cache. No bottleneck is computed: a file
 * with no cached features is left out of the recheck and counted as `failed`.
 */
import { bottleneckKey, computeBottlenecks, type BottleneckCache, type FeatureEngine } from '../../core/bottlenecks/index.js';
import { excludeFiles, exclusionsFile, fixLogFile, moveToClass, readExclusions, readFixLog, restoreFiles, undoMove, type Dataset } from '../../core/dataset/index.js';
import { CoreError } from '../../core/errors.js';
import { healthInputFromDataset, runHealthChecks, type HealthOptions } from '../../core/health/index.js';
import { modelFingerprint } from '../../core/models/fingerprint.js';
import type { ModelStore } from '../../core/models/index.js';
import type { AuditReport, CoreApi, FixResult, FixState } from '../contract.js';
import { datasetSummary, type DatasetArea } from './datasets.js';
import type { Emit } from './events.js';
import type { EngineArea } from './settings.js';

export type HealthApi = Pick<CoreApi, 'runAudit' | 'cancelAudit' | 'getAudit' | 'listFixes' | 'moveImage' | 'undoFix' | 'excludeImages' | 'restoreImages'>;

export type HealthDeps = {
  datasets: Pick<DatasetArea, 'get' | 'stateDir' | 'rescan'>;
  models: ModelStore;
  cache: BottleneckCache;
  features: FeatureEngine;
  engine: Pick<EngineArea, 'allowOnnx' | 'noteFeatureEngine'>;
  emit: Emit;
};

/** What an audit leaves behind for the fixes: its settings and its features by content hash. */
type AuditState = {
  report: AuditReport;
  options: Pick<HealthOptions, 'folds' | 'seed' | 'duplicateThreshold'>;
  vectors: Map<string, Float32Array>;
  featureSize: number;
  /** The disk-cache key of an image's bottleneck for the audit's model (for files not audited yet, e.g. restored ones). */
  keyOf: (contentHash: string) => string;
};

/**
 * Most feature values an audit keeps in memory for the fixes' rechecks (128 MiB: 25,000
 * MobileNet vectors); a larger dataset's rechecks read the disk cache instead.
 */
const MAX_KEPT_FLOATS = 32 * 1024 * 1024;

const excludedCount = (dataset: Dataset): number => dataset.issues.filter((i) => i.code === 'EXCLUDED').length;

export function createHealthApi(deps: HealthDeps): HealthApi {
  const { datasets, emit } = deps;
  const audits = new Map<string, AuditState>();
  const running = new Map<string, AbortController>();
  /** Fixes of one dataset run one after the other in this process (other processes: the files' locks). */
  const fixQueues = new Map<string, Promise<unknown>>();

  const checks = async (datasetId: string, dataset: Dataset, vectors: ReadonlyArray<Float32Array | undefined>, featureSize: number, options: AuditState['options'], signal?: AbortSignal) =>
    runHealthChecks(healthInputFromDataset(dataset, vectors, featureSize), {
      ...options,
      signal,
      onPhase: (message) => emit('health.progress', { datasetId, phase: 'checks', message, done: 0, total: 0 }),
    });

  /** The audit's checks again on the dataset as it is now, from features already known. */
  const recheck = async (datasetId: string, dataset: Dataset): Promise<AuditReport | null> => {
    const state = audits.get(datasetId);
    if (!state) return null;
    const images = dataset.classes.flatMap((c) => c.images);
    let reused = 0, fromCache = 0, failed = 0;
    const vectors = await Promise.all(
      images.map(async (image) => {
        const known = state.vectors.get(image.contentHash);
        if (known) return reused++, known;
        const cached = await deps.cache.get(state.keyOf(image.contentHash));
        if (cached) return fromCache++, cached;
        return failed++, undefined;
      }),
    );
    const health = await checks(datasetId, dataset, vectors, state.featureSize, state.options);
    const report: AuditReport = {
      ...state.report,
      ...health,
      root: dataset.root,
      bottlenecks: { total: images.length, fromCache, computed: 0, reused, failed, engine: state.report.bottlenecks.engine },
      excluded: excludedCount(dataset),
      createdAt: new Date().toISOString(),
    };
    state.report = report;
    return report;
  };

  const fixState = async (datasetId: string): Promise<FixState> => {
    const dir = datasets.stateDir(datasetId);
    return { fixes: await readFixLog(fixLogFile(dir)), excluded: await readExclusions(exclusionsFile(dir)) };
  };

  /** Runs one fix, then rescans, rechecks and announces the dataset. */
  const fix = async (datasetId: string, change: (root: string, stateDir: string) => Promise<unknown>): Promise<FixResult> => {
    const { root } = datasets.get(datasetId);
    const previous = fixQueues.get(datasetId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async (): Promise<FixResult> => {
      await change(root, datasets.stateDir(datasetId));
      const dataset = await datasets.rescan(datasetId);
      const summary = datasetSummary(datasetId, dataset);
      emit('dataset.changed', summary);
      return { ...(await fixState(datasetId)), dataset: summary, report: await recheck(datasetId, dataset) };
    });
    fixQueues.set(datasetId, next);
    return next;
  };

  /** A dataset-relative path the open dataset has, with its hash (exclusions remember it). */
  const imageOf = (dataset: Dataset, relativePath: string) => {
    const normalised = relativePath.normalize('NFC').replace(/\\/g, '/');
    for (const c of dataset.classes) for (const image of c.images) if (image.relativePath === normalised) return image;
    throw new CoreError('NOT_FOUND', `${relativePath} is not an image of the dataset ${dataset.root} (excluded, moved, or not scanned). Open the dataset again.`);
  };

  return {
    runAudit: async ({ datasetId, modelId, folds, seed, duplicateThreshold }) => {
      const dataset = datasets.get(datasetId);
      if (running.has(datasetId)) throw new CoreError('BUSY', `An audit of ${dataset.root} is already running: wait for it or cancel it.`);
      if (dataset.classes.filter((c) => c.images.length > 0).length < 2) throw new CoreError('DATASET_INVALID', `${dataset.root} needs at least two class folders with images for an audit.`);
      const controller = new AbortController();
      running.set(datasetId, controller);
      try {
        const model = await deps.models.resolve(modelId);
        const choice = await deps.features.choose(model, dataset, deps.engine.allowOnnx());
        deps.engine.noteFeatureEngine(choice.note);
        const { extractor } = choice;
        const fingerprint = await modelFingerprint(extractor.info.dir);
        const images = dataset.classes.flatMap((c) => c.images);
        const bottlenecks = await computeBottlenecks({
          images,
          extractor,
          cache: deps.cache,
          signal: controller.signal,
          modelFingerprint: fingerprint,
          onProgress: (p) => emit('health.progress', { datasetId, phase: 'bottlenecks', message: `Bottlenecks: ${p.fromCache} from cache, ${p.computed} computed`, done: p.done, total: p.total }),
        });
        const options = { folds, seed, duplicateThreshold };
        const health = await checks(datasetId, dataset, bottlenecks.vectors, bottlenecks.featureSize, options, controller.signal);
        const vectors = new Map<string, Float32Array>();
        if (images.length * bottlenecks.featureSize <= MAX_KEPT_FLOATS) {
          images.forEach((image, i) => {
            const v = bottlenecks.vectors[i];
            if (v) vectors.set(image.contentHash, v);
          });
        }
        const { stats } = bottlenecks;
        const report: AuditReport = {
          ...health,
          datasetId,
          root: dataset.root,
          modelId: model.id,
          modelName: model.name,
          bottlenecks: { total: stats.total, fromCache: stats.fromCache, computed: stats.computed, reused: 0, failed: stats.failed, engine: stats.engine },
          excluded: excludedCount(dataset),
          createdAt: new Date().toISOString(),
        };
        audits.set(datasetId, { report, options, vectors, featureSize: bottlenecks.featureSize, keyOf: (hash) => bottleneckKey(hash, extractor.info, fingerprint) });
        return report;
      } finally {
        running.delete(datasetId);
      }
    },
    cancelAudit: async ({ datasetId }) => {
      const controller = running.get(datasetId);
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    getAudit: async ({ datasetId }) => {
      datasets.get(datasetId);
      return audits.get(datasetId)?.report ?? null;
    },
    listFixes: async ({ datasetId }) => {
      datasets.get(datasetId);
      return fixState(datasetId);
    },
    moveImage: ({ datasetId, path, toClass }) => fix(datasetId, (root, dir) => moveToClass(root, fixLogFile(dir), { path, toClass })),
    undoFix: ({ datasetId, fixId }) => fix(datasetId, (root, dir) => undoMove(root, fixLogFile(dir), fixId)),
    excludeImages: async ({ datasetId, paths, reason }) => {
      const dataset = datasets.get(datasetId);
      // Checked before anything is written: an unknown path fails the whole request.
      const entries = paths.map((p) => {
        const image = imageOf(dataset, p);
        return { path: image.relativePath, contentHash: image.contentHash, ...(reason ? { reason } : {}) };
      });
      return fix(datasetId, (_root, dir) => excludeFiles(exclusionsFile(dir), entries));
    },
    restoreImages: ({ datasetId, paths }) => fix(datasetId, (_root, dir) => restoreFiles(exclusionsFile(dir), paths)),
  };
}
