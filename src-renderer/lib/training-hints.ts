/**
 * What the Train page says about a run from its metric points: the training speed and ETA,
 * and plain-language hints when the curves show trouble (over-fitting, a learning rate too
 * high). Pure: no DOM, no state.
 */
import type { MetricPoint } from '../../src-main/api/contract.js';

export type TrainingSpeed = { stepsPerSecond: number; etaMs: number };

/**
 * Steps per second between the first and the last evaluation (the server's clock, so a slow
 * event link does not skew it) and the time the remaining steps take at that pace. Null
 * until two points with time between them exist.
 */
export function trainingSpeed(points: MetricPoint[], step: number, totalSteps: number): TrainingSpeed | null {
  if (points.length < 2) return null;
  const first = points[0];
  const last = points[points.length - 1];
  const ms = last.relativeTimeMs - first.relativeTimeMs;
  const steps = last.step - first.step;
  if (!(ms > 0) || !(steps > 0)) return null;
  const stepsPerSecond = (steps * 1000) / ms;
  return { stepsPerSecond, etaMs: (Math.max(0, totalSteps - Math.max(step, last.step)) / stepsPerSecond) * 1000 };
}

export type CurveHint = { kind: 'diverging' | 'noisy' | 'overfitting'; message: string };

/** Least-squares slope of `values` against their index. */
function slope(values: number[]): number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

/** Fewest evaluations before any hint: a few noisy points say nothing. */
export const MIN_POINTS_FOR_HINTS = 8;

/**
 * Hints from the curves, most serious first:
 * - diverging: a cross-entropy that is not finite, or training cross-entropy ending clearly
 *   above where it started (the learning rate is too high);
 * - noisy: training cross-entropy jumping up by more than a quarter of its level on over a
 *   third of the evaluations in the second half (the codelab's learning rate 1.0);
 * - overfitting: over the last third of the run, validation cross-entropy rising while
 *   training cross-entropy falls, by more than 2 % of their level.
 */
export function curveHints(points: MetricPoint[]): CurveHint[] {
  if (points.length < MIN_POINTS_FOR_HINTS) return [];
  const train = points.map((p) => p.trainCrossEntropy);
  const validation = points.map((p) => p.validationCrossEntropy);
  if (![...train, ...validation].every(Number.isFinite)) {
    return [{ kind: 'diverging', message: 'The cross-entropy became infinite or NaN: training diverged. The learning rate is far too high; try one 10× lower.' }];
  }
  const head = train.slice(0, 3).reduce((a, b) => a + b, 0) / 3;
  const tail = train.slice(-3).reduce((a, b) => a + b, 0) / 3;
  if (tail > head * 1.2) {
    return [{ kind: 'diverging', message: 'Training cross-entropy ends higher than it started: the steps overshoot. The learning rate is probably too high; try one 10× lower.' }];
  }
  const hints: CurveHint[] = [];
  const second = train.slice(Math.floor(train.length / 2));
  let jumps = 0;
  for (let i = 1; i < second.length; i++) if (second[i] - second[i - 1] > 0.25 * Math.max(second[i - 1], 1e-6)) jumps++;
  if (second.length > 2 && jumps / (second.length - 1) > 1 / 3) {
    hints.push({
      kind: 'noisy',
      message: 'The training curve jumps around instead of settling: a learning rate this high makes each step overshoot. A lower learning rate (or a larger batch) gives smoother, usually better results.',
    });
  }
  const window = Math.max(4, Math.ceil(points.length / 3));
  const lastTrain = train.slice(-window);
  const lastValidation = validation.slice(-window);
  const level = (values: number[]) => Math.max(values.reduce((a, b) => a + b, 0) / values.length, 1e-6);
  // Slopes per evaluation, scaled to the window: the change over the window relative to the level.
  const trainTrend = (slope(lastTrain) * (window - 1)) / level(lastTrain);
  const validationTrend = (slope(lastValidation) * (window - 1)) / level(lastValidation);
  if (validationTrend > 0.02 && trainTrend < -0.02) {
    hints.push({
      kind: 'overfitting',
      message: 'Validation cross-entropy is rising while training cross-entropy keeps falling: the new layer is starting to memorise the training images (over-fitting). Fewer steps, more images or distortions usually help.',
    });
  }
  return hints;
}
