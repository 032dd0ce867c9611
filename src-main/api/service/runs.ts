/** Runs and training: starting runs and sweeps on the queue, cancelling, listing, renaming, deleting. */
import { rm } from 'node:fs/promises';
import type { BottleneckCache, FeatureEngine } from '../../core/bottlenecks/index.js';
import type { Dataset } from '../../core/dataset/index.js';
import { CoreError } from '../../core/errors.js';
import type { ModelStore } from '../../core/models/index.js';
import { APP_VERSION } from '../../core/paths.js';
import { isUnfinished, runTrainingJob, scalarsToCsv, scalarsToJson, type QueuedJob, type RunConfigRecord, type RunQueue, type RunRecord, type RunStore } from '../../core/runs/index.js';
import { HYPERPARAMETERS, resolveConfig, type TrainingConfig } from '../../core/training/index.js';
import type { CoreApi, RunSummary } from '../contract.js';
import type { Emit } from './events.js';
import type { EngineArea } from './settings.js';

export type RunsApi = Pick<
  CoreApi,
  'startTraining' | 'startSweep' | 'cancelTraining' | 'listRuns' | 'getRun' | 'renameRun' | 'deleteRun' | 'exportScalars'
>;

export type RunsDeps = {
  runs: RunStore;
  queue: RunQueue;
  models: ModelStore;
  cache: BottleneckCache;
  features: FeatureEngine;
  engine: Pick<EngineArea, 'current' | 'allowOnnx' | 'noteFeatureEngine'>;
  datasets: { get(id: string): Dataset };
  emit: Emit;
  /** Where a run's export goes by default (deleted with the run). */
  exportDirFor: (runId: string) => string;
};

/** The contract's view of a run record. */
export const runSummary = (record: RunRecord): RunSummary => ({
  id: record.id,
  name: record.name,
  createdAt: record.createdAt,
  // A run left `queued` or `running` by a process that is gone was interrupted.
  status: isUnfinished(record.status) && !record.live ? 'failed' : record.status,
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
  ...(record.error ? { error: record.error } : isUnfinished(record.status) && !record.live ? { error: 'Interrupted: the process running it stopped.' } : {}),
  ...(record.sweepId ? { sweepId: record.sweepId } : {}),
  // From the model as recorded at the start (a later "Use as bottleneck" does not rewrite history).
  ...(record.model?.bottleneckNode ? { bottleneckNode: record.model.bottleneckNode } : {}),
});

/** Records a `queued` run of `config` on `dataset` (the model as it is now, and the engine in use). */
async function recordRun(deps: RunsDeps, dataset: Dataset, config: TrainingConfig, name: string | undefined, sweepId?: string): Promise<RunConfigRecord> {
  const model = await deps.models.resolve(config.architecture);
  const { backend, device } = deps.engine.current();
  return deps.runs.create(
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
    { backend, featureEngine: '', device, phases: {} },
  );
}

/** The queued job that trains `record`, reporting each phase, bottleneck batch and step as events. */
function trainingJob(deps: RunsDeps, record: RunConfigRecord, dataset: Dataset): QueuedJob {
  const { emit } = deps;
  const { id: runId, model, config } = record;
  return async (signal) => {
    // The engine when the run starts, not when it was queued: the backend may have changed.
    const engine = deps.engine.current();
    await runTrainingJob({
      runs: deps.runs,
      record,
      dataset,
      model,
      config,
      cache: deps.cache,
      getExtractor: async () => {
        const choice = await deps.features.choose(model, dataset, deps.engine.allowOnnx());
        deps.engine.noteFeatureEngine(choice.note);
        return choice.extractor;
      },
      engine: { backend: engine.backend, device: engine.device },
      signal,
      onPhase: (phase, message) => emit('run.phase', { runId, phase, message }),
      onBottlenecks: (progress) => emit('bottlenecks.progress', { runId, ...progress }),
      onStep: (step, totalSteps) => emit('training.progress', { runId, step, totalSteps }),
      onMetrics: (point) => emit('training.progress', { runId, step: point.step, totalSteps: config.howManyTrainingSteps, point }),
    });
  };
}

/** The run methods. Runs wait on `queue`, one at a time; each reports progress as events. */
export function createRunsApi(deps: RunsDeps): RunsApi {
  const { runs, queue, emit } = deps;

  /** Records a `queued` run and queues its training; resolves with its id before it starts. */
  const startRun = async (dataset: Dataset, config: TrainingConfig, name: string | undefined, sweepId?: string): Promise<string> => {
    const record = await recordRun(deps, dataset, config, name, sweepId);
    const runId = record.id;
    emit('run.phase', { runId, phase: 'queued', message: 'Waiting for the engine' });
    queue.enqueue(runId, trainingJob(deps, record, dataset), async () => {
      emit('run.phase', { runId, phase: 'done', message: '' });
      // The run folder may be gone (deleted from another process): then there is nothing to announce.
      const finished = await runs.get(runId).catch(() => null);
      if (finished) emit('run.finished', runSummary(finished));
    });
    return runId;
  };

  return {
    startTraining: async ({ datasetId, config, name }) => {
      const dataset = deps.datasets.get(datasetId);
      return { runId: await startRun(dataset, resolveConfig(config), name) };
    },
    startSweep: async ({ datasetId, config, parameter, values }) => {
      const dataset = deps.datasets.get(datasetId);
      // Check every value before starting any run.
      const configs = values.map((value) => resolveConfig({ ...config, [parameter]: value }));
      const sweepId = `sweep-${Date.now().toString(36)}`;
      const runIds: string[] = [];
      // Named with retrain.py's flag (learning_rate = 1), as the sweep selector and the comparison show it.
      const flag = HYPERPARAMETERS.find((h) => h.key === parameter)?.flag ?? parameter;
      for (const [i, c] of configs.entries()) runIds.push(await startRun(dataset, c, `${flag} = ${String(values[i])}`, sweepId));
      return { sweepId, runIds };
    },
    cancelTraining: async ({ runId }) => {
      if (!queue.cancel(runId)) throw new CoreError('NOT_FOUND', `Run ${runId} is not running.`);
    },
    listRuns: async () => (await runs.list()).map(runSummary),
    getRun: async ({ runId }) => {
      const record = await runs.get(runId);
      return { ...runSummary(record), metrics: record.metrics, ...(record.evaluation ? { evaluation: record.evaluation } : {}) };
    },
    renameRun: async ({ runId, name }) => runSummary(await runs.rename(runId, name)),
    deleteRun: async ({ runId }) => {
      if (queue.isActive(runId)) throw new CoreError('BUSY', `Run ${runId} is in progress: cancel it first.`);
      await runs.remove(runId);
      await rm(deps.exportDirFor(runId), { recursive: true, force: true });
    },
    exportScalars: async ({ runIds, format }) => {
      const details = await Promise.all(runIds.map((id) => runs.get(id)));
      const scalars = details.map((d) => ({ id: d.id, name: d.name, points: d.metrics }));
      return format === 'csv'
        ? { fileName: 'scalars.csv', mimeType: 'text/csv', text: scalarsToCsv(scalars) }
        : { fileName: 'scalars.json', mimeType: 'application/json', text: scalarsToJson(scalars) };
    },
  };
}
