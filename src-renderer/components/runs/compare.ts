/** The rows of the run comparison table, computed from summaries and details. Pure: no DOM. */
import type { HyperparameterSpec, MetricPoint, RunDetail, RunSummary, TrainingConfig } from '../../../src-main/api/contract.js';
import { accuracyInterval, formatInterval } from '../../lib/confidence.js';
import { baseName, formatDate, formatDuration, formatNumber, formatPercent, humanizeKey } from '../../lib/format.js';

export type CompareSection = 'Run' | 'Hyperparameters' | 'Results' | 'Time per phase' | 'Engine';

/** One row: a label and one cell per run. */
export type CompareRow = {
  key: string;
  section: CompareSection;
  label: string;
  cells: string[];
  /** True when not every run has the same value. */
  differs: boolean;
  /** Index of the best run for result rows (highest accuracy, lowest loss or time), if any. */
  best: number | null;
};

/** The last point that has a finite value for `pick`. */
function lastFinite(points: MetricPoint[] | undefined, pick: (p: MetricPoint) => number): number | undefined {
  if (!points) return undefined;
  for (let i = points.length - 1; i >= 0; i--) if (Number.isFinite(pick(points[i]))) return pick(points[i]);
  return undefined;
}

function bestIndex(values: (number | undefined)[], direction: 'max' | 'min'): number | null {
  let best: number | null = null;
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) return;
    if (best === null || (direction === 'max' ? v > values[best]! : v < values[best]!)) best = i;
  });
  // A "best" among one value, or among equal values, says nothing.
  const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return finite.length > 1 && new Set(finite).size > 1 ? best : null;
}

function configValue(value: TrainingConfig[keyof TrainingConfig] | undefined): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

/**
 * The comparison rows for `runs` (column order): identity, every hyperparameter (in the
 * order of `specs`, labelled with retrain.py's flag; keys missing from `specs` follow), test
 * and final train/validation metrics, per-phase times and the engine used. Result and time
 * rows mark the best run. `details` supplies metrics and evaluation where fetched;
 * `modelName` turns a model id into the name shown (default: the id).
 */
export function compareRows(
  runs: RunSummary[],
  details: Record<string, RunDetail | undefined>,
  specs: HyperparameterSpec[] = [],
  modelName: (modelId: string) => string = (id) => id,
): CompareRow[] {
  const rows: CompareRow[] = [];
  const add = (section: CompareSection, key: string, label: string, cells: string[], best: number | null = null) => {
    rows.push({ key, section, label, cells, differs: new Set(cells).size > 1, best });
  };
  const numeric = (section: CompareSection, key: string, label: string, values: (number | undefined)[], format: (v: number) => string, direction: 'max' | 'min') => {
    add(section, key, label, values.map((v) => (v === undefined || !Number.isFinite(v) ? '—' : format(v))), bestIndex(values, direction));
  };

  add('Run', 'status', 'Status', runs.map((r) => r.status));
  add('Run', 'createdAt', 'Created', runs.map((r) => formatDate(r.createdAt)));
  add('Run', 'architecture', 'Architecture', runs.map((r) => modelName(r.config?.architecture ?? r.modelId)));
  add('Run', 'bottleneckNode', 'Bottleneck node', runs.map((r) => r.bottleneckNode ?? '—'));
  add('Run', 'dataset', 'Dataset', runs.map((r) => baseName(r.datasetRoot)));
  add('Run', 'classes', 'Classes', runs.map((r) => String(r.classes.length)));

  const keys: (keyof TrainingConfig)[] = specs.map((s) => s.key).filter((k) => k !== 'architecture');
  for (const r of runs) for (const k of Object.keys(r.config ?? {}) as (keyof TrainingConfig)[]) if (k !== 'architecture' && !keys.includes(k)) keys.push(k);
  for (const key of keys) {
    const spec = specs.find((s) => s.key === key);
    add('Hyperparameters', `config.${key}`, spec?.flag ?? humanizeKey(key), runs.map((r) => configValue(r.config?.[key])));
  }

  const percent = (v: number) => formatPercent(v);
  const number = (v: number) => formatNumber(v);
  numeric('Results', 'testAccuracy', 'Test accuracy', runs.map((r) => r.testAccuracy ?? details[r.id]?.evaluation?.testAccuracy), percent, 'max');
  add('Results', 'testAccuracyInterval', 'Test accuracy, 95 % interval', runs.map((r) => {
    const evaluation = details[r.id]?.evaluation;
    return evaluation ? `${formatInterval(accuracyInterval(evaluation.testAccuracy, evaluation.testCount))} (n = ${evaluation.testCount})` : '—';
  }));
  numeric('Results', 'testCrossEntropy', 'Test cross-entropy', runs.map((r) => details[r.id]?.evaluation?.testCrossEntropy), number, 'min');
  numeric('Results', 'trainAccuracy', 'Final train accuracy', runs.map((r) => lastFinite(details[r.id]?.metrics, (p) => p.trainAccuracy)), percent, 'max');
  numeric('Results', 'validationAccuracy', 'Final validation accuracy', runs.map((r) => lastFinite(details[r.id]?.metrics, (p) => p.validationAccuracy)), percent, 'max');
  numeric('Results', 'validationCrossEntropy', 'Final validation cross-entropy', runs.map((r) => lastFinite(details[r.id]?.metrics, (p) => p.validationCrossEntropy)), number, 'min');

  const ms = (v: number) => formatDuration(v);
  numeric('Time per phase', 'durationMs', 'Total', runs.map((r) => r.durationMs), ms, 'min');
  numeric('Time per phase', 'modelLoadMs', 'Model load', runs.map((r) => r.phases?.modelLoadMs), ms, 'min');
  numeric('Time per phase', 'bottlenecksMs', 'Bottlenecks', runs.map((r) => r.phases?.bottlenecksMs), ms, 'min');
  add('Time per phase', 'bottleneckCounts', 'Bottlenecks computed / cached', runs.map((r) =>
    r.phases?.bottlenecksComputed === undefined && r.phases?.bottlenecksFromCache === undefined
      ? '—'
      : `${r.phases?.bottlenecksComputed ?? 0} / ${r.phases?.bottlenecksFromCache ?? 0}`));
  numeric('Time per phase', 'trainingMs', 'Training', runs.map((r) => r.phases?.trainingMs), ms, 'min');
  numeric('Time per phase', 'evaluationMs', 'Evaluation', runs.map((r) => r.phases?.evaluationMs), ms, 'min');
  numeric('Time per phase', 'saveMs', 'Save', runs.map((r) => r.phases?.saveMs), ms, 'min');

  add('Engine', 'backend', 'TF.js backend', runs.map((r) => r.backend || '—'));
  add('Engine', 'featureEngine', 'Bottleneck engine', runs.map((r) => r.featureEngine || '—'));
  add('Engine', 'device', 'Device', runs.map((r) => r.device || '—'));
  if (runs.some((r) => r.sweepId)) add('Engine', 'sweepId', 'Sweep', runs.map((r) => r.sweepId ?? '—'));
  return rows;
}

/** The few hyperparameters the runs table shows in one cell, e.g. `lr 0.01 · 500 steps · batch 100 · sgd`. */
export function keyHyperparameters(config: Partial<TrainingConfig> | undefined): string {
  if (!config) return '—';
  const parts: string[] = [];
  if (config.learningRate !== undefined) parts.push(`lr ${config.learningRate}`);
  if (config.howManyTrainingSteps !== undefined) parts.push(`${config.howManyTrainingSteps} steps`);
  if (config.trainBatchSize !== undefined) parts.push(`batch ${config.trainBatchSize}`);
  if (config.optimizer) parts.push(config.optimizer);
  if (config.hiddenUnits) parts.push(`hidden ${config.hiddenUnits}`);
  return parts.join(' · ') || '—';
}
