/**
 * Training scalars of one or more runs as CSV or JSON, for `exportScalars` and for people
 * who plot in a spreadsheet or a notebook. Pure functions: no file system.
 */

import type { MetricPoint } from '../training/types.js';

/** One evaluation point of a run's training curve (times in milliseconds). */
export type ScalarPoint = MetricPoint;

/** A run's identity and its curve, as the scalar exporters take it. */
export type RunScalars = { id: string; name: string; points: ScalarPoint[] };

/** The CSV header, in column order. */
export const SCALAR_CSV_COLUMNS = [
  'run',
  'step',
  'wall_time',
  'relative_time_s',
  'train_accuracy',
  'train_cross_entropy',
  'validation_accuracy',
  'validation_cross_entropy',
] as const;

/** Quotes a CSV field per RFC 4180 when it holds a comma, a quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A number as CSV text: full precision, empty for NaN/±Infinity (a point not measured). */
function csvNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : '';
}

/**
 * All points of `runs` as one CSV table (RFC 4180: CRLF line ends, quoted fields where
 * needed, header row first). Columns are {@link SCALAR_CSV_COLUMNS}: `run` is the run's
 * name (its id when the name is empty), `wall_time` is seconds since the epoch (as in
 * TensorBoard's own CSV download), `relative_time_s` is seconds since training started;
 * non-finite values become empty cells. Rows keep the
 * order of `runs`, then of each run's points. Never throws.
 */
export function scalarsToCsv(runs: RunScalars[]): string {
  const lines: string[] = [SCALAR_CSV_COLUMNS.join(',')];
  for (const run of runs) {
    const label = csvField(run.name || run.id);
    for (const p of run.points) {
      lines.push([
        label,
        csvNumber(p.step),
        csvNumber(p.wallTimeMs / 1000),
        csvNumber(p.relativeTimeMs / 1000),
        csvNumber(p.trainAccuracy),
        csvNumber(p.trainCrossEntropy),
        csvNumber(p.validationAccuracy),
        csvNumber(p.validationCrossEntropy),
      ].join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The JSON export's shape (version 1). */
export type ScalarsJson = {
  format: 'retrain-studio-scalars';
  version: 1;
  runs: Array<{
    id: string;
    name: string;
    points: Array<{
      step: number;
      wallTimeMs: number;
      relativeTimeMs: number;
      trainAccuracy: number | null;
      trainCrossEntropy: number | null;
      validationAccuracy: number | null;
      validationCrossEntropy: number | null;
    }>;
  }>;
};

/**
 * All points of `runs` as pretty-printed JSON ({@link ScalarsJson}): one object per run with
 * its id, name and points in the contract's field names and units (milliseconds). Non-finite
 * metrics become `null`, since JSON has no NaN. Never throws.
 */
export function scalarsToJson(runs: RunScalars[]): string {
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  const doc: ScalarsJson = {
    format: 'retrain-studio-scalars',
    version: 1,
    runs: runs.map((run) => ({
      id: run.id,
      name: run.name,
      points: run.points.map((p) => ({
        step: p.step,
        wallTimeMs: p.wallTimeMs,
        relativeTimeMs: p.relativeTimeMs,
        trainAccuracy: finite(p.trainAccuracy),
        trainCrossEntropy: finite(p.trainCrossEntropy),
        validationAccuracy: finite(p.validationAccuracy),
        validationCrossEntropy: finite(p.validationCrossEntropy),
      })),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
