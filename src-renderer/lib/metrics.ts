/** Types and helpers for metric charts, shared by MetricsChart and the views using it. */
import type { MetricPoint } from '../../src-main/api/contract.js';
import { formatDuration } from './format.js';

/** Which scalar a chart shows. */
export type MetricKind = 'accuracy' | 'crossEntropy';

/** What the x axis measures: step, time since the run started, or wall-clock time. */
export type XAxisKind = 'step' | 'relative' | 'wall';

/** One run's line(s) in a chart. */
export type ChartSeries = { runId: string; name: string; color: string; points: MetricPoint[] };

export type MetricSplit = 'train' | 'validation';

/** The value of `metric` for `split` in a point (NaN when absent). */
export function metricValue(point: MetricPoint, metric: MetricKind, split: MetricSplit): number {
  const value =
    metric === 'accuracy'
      ? split === 'train'
        ? point.trainAccuracy
        : point.validationAccuracy
      : split === 'train'
        ? point.trainCrossEntropy
        : point.validationCrossEntropy;
  return typeof value === 'number' ? value : Number.NaN;
}

/** The x coordinate of a point for an axis kind. */
export function xValue(point: MetricPoint, axis: XAxisKind): number {
  return axis === 'step' ? point.step : axis === 'relative' ? point.relativeTimeMs : point.wallTimeMs;
}

/** A tick/tooltip label for an x value. */
export function formatX(value: number, axis: XAxisKind): string {
  if (axis === 'step') return String(Math.round(value));
  if (axis === 'relative') return formatDuration(value);
  return new Date(value).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The axis title for an x axis kind. */
export function xAxisTitle(axis: XAxisKind): string {
  return axis === 'step' ? 'Step' : axis === 'relative' ? 'Time since start' : 'Wall time';
}

/** The human name of a metric. */
export function metricTitle(metric: MetricKind): string {
  return metric === 'accuracy' ? 'Accuracy' : 'Cross-entropy';
}
