/**
 * Calibrated probabilities by temperature scaling (Guo et al. 2017, "On Calibration of Modern
 * Neural Networks"): one scalar T fitted after training on the validation split's logits, so
 * that softmax(logits / T) is as likely as possible there. Dividing every logit by the same
 * positive T keeps their order, so the top-1 class never changes; only the probabilities do.
 * Also the expected calibration error (ECE) and the reliability bins the Results view draws.
 *
 * T is applied by scaling the head's final dense layer (kernel and bias divided by T), so every
 * consumer of the head (the app's classifier, the TF.js and ONNX exports) computes the same
 * calibrated output with no extra layer.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { writeAtomic } from '../tf/file-io.js';
import type { CalibrationSplit, CalibrationSummary, ReliabilityBin } from './calibration-types.js';

export type { CalibrationSplit, CalibrationSummary, ReliabilityBin } from './calibration-types.js';

/** `<run>/model/calibration.json`: the temperature that goes with the head saved beside it. */
export const CALIBRATION_FILE = 'calibration.json';

/** T is searched in this range: beyond it a small validation split is being over-fitted. */
export const TEMPERATURE_RANGE = [0.05, 20] as const;
const DEFAULT_BINS = 10;
/** Fewer validation images than this give no fit (T stays 1). */
export const MIN_CALIBRATION_IMAGES = 5;

/** Logits `[count, k]` (row-major) with integer labels. */
export type LabelledLogits = { logits: Float32Array; labels: Int32Array; classCount: number };

/** Mean negative log-likelihood of softmax(logits · beta), beta = 1 / T, in float64. */
export function negativeLogLikelihood(data: LabelledLogits, beta = 1): number {
  const { logits, labels, classCount: k } = data;
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, beta * logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(beta * logits[i * k + c] - max);
    total += max + Math.log(sum) - beta * logits[i * k + labels[i]];
  }
  return n ? total / n : NaN;
}

/**
 * The temperature minimising the validation NLL. NLL is convex in beta = 1/T (a log-sum-exp of
 * lines minus a line), so a golden-section search over log beta finds its minimum; 80 steps
 * narrow the range far below float32 precision, in microseconds per thousand images.
 */
export function fitTemperature(data: LabelledLogits): number {
  if (data.labels.length === 0) return 1;
  let lo = Math.log(1 / TEMPERATURE_RANGE[1]);
  let hi = Math.log(1 / TEMPERATURE_RANGE[0]);
  const nll = (logBeta: number): number => negativeLogLikelihood(data, Math.exp(logBeta));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = nll(a);
  let fb = nll(b);
  for (let step = 0; step < 80; step++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = nll(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = nll(b);
    }
  }
  return 1 / Math.exp((lo + hi) / 2);
}

/** softmax(logits / temperature), row-major, in float64 then stored as float32. */
export function softmaxWithTemperature(logits: Float32Array, classCount: number, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += classCount) {
    let max = -Infinity;
    for (let c = 0; c < classCount; c++) max = Math.max(max, logits[i + c] / temperature);
    let sum = 0;
    for (let c = 0; c < classCount; c++) sum += Math.exp(logits[i + c] / temperature - max);
    for (let c = 0; c < classCount; c++) out[i + c] = Math.exp(logits[i + c] / temperature - max) / sum;
  }
  return out;
}

/** Reliability bins (equal width on the top-1 probability) of probabilities `[count, k]`. */
export function reliabilityBins(probabilities: Float32Array, labels: Int32Array, classCount: number, bins = DEFAULT_BINS): ReliabilityBin[] {
  const count = new Array<number>(bins).fill(0);
  const confidence = new Array<number>(bins).fill(0);
  const correct = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    let top = 0;
    for (let c = 1; c < classCount; c++) if (probabilities[i * classCount + c] > probabilities[i * classCount + top]) top = c;
    const p = probabilities[i * classCount + top];
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]++;
    confidence[bin] += p;
    if (top === labels[i]) correct[bin]++;
  }
  return count.map((n, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: n,
    meanConfidence: n ? confidence[b] / n : 0,
    accuracy: n ? correct[b] / n : 0,
  }));
}

/** Expected calibration error: the count-weighted mean |accuracy − confidence| over the bins. */
export function expectedCalibrationError(bins: ReliabilityBin[]): number {
  const total = bins.reduce((sum, b) => sum + b.count, 0);
  return total ? bins.reduce((sum, b) => sum + (b.count / total) * Math.abs(b.accuracy - b.meanConfidence), 0) : NaN;
}

/** ECE, NLL and bins of one split before (T = 1) and after `temperature`. */
export function describeCalibration(data: LabelledLogits, temperature: number, bins = DEFAULT_BINS): CalibrationSplit {
  const before = reliabilityBins(softmaxWithTemperature(data.logits, data.classCount, 1), data.labels, data.classCount, bins);
  const after = reliabilityBins(softmaxWithTemperature(data.logits, data.classCount, temperature), data.labels, data.classCount, bins);
  return {
    count: data.labels.length,
    eceBefore: expectedCalibrationError(before),
    eceAfter: expectedCalibrationError(after),
    nllBefore: negativeLogLikelihood(data, 1),
    nllAfter: negativeLogLikelihood(data, 1 / temperature),
    binsBefore: before,
    binsAfter: after,
  };
}

/**
 * Fits T on `validation` and describes both splits; undefined when the validation split is too
 * small to fit anything (the run then keeps T = 1 and says nothing about calibration).
 */
export function calibrate(validation: LabelledLogits, test?: LabelledLogits, bins = DEFAULT_BINS): CalibrationSummary | undefined {
  if (validation.labels.length < MIN_CALIBRATION_IMAGES) return undefined;
  const temperature = fitTemperature(validation);
  return {
    method: 'temperature',
    temperature,
    fittedOn: 'validation',
    validation: describeCalibration(validation, temperature, bins),
    ...(test && test.labels.length ? { test: describeCalibration(test, temperature, bins) } : {}),
    bins,
  };
}

/** The head's final dense layer (the logits) and its softmax output layer, or why there is none. */
function logitsLayer(head: tf.LayersModel): tf.layers.Layer {
  const layers = head.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const last = layers.at(-1);
  const before = layers.at(-2);
  if (last?.getClassName() !== 'Softmax' || before?.getClassName() !== 'Dense') {
    throw new CoreError('MODEL_INVALID', `Temperature scaling needs a head ending in Dense → Softmax; ${head.name} ends in ${layers.slice(-2).map((l) => l.getClassName()).join(' → ') || 'nothing'}.`);
  }
  return before;
}

/** Logits `[count, k]` of a Dense → Softmax head for row-major features, in batches. */
export function headLogits(head: tf.LayersModel, features: Float32Array, count: number, featureSize: number, batchSize = 1024): Float32Array {
  logitsLayer(head);
  const layers = head.layers.filter((l) => l.getClassName() !== 'InputLayer').slice(0, -1);
  const classCount = head.outputs[0].shape[1] as number;
  const out = new Float32Array(count * classCount);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const logits = tf.tidy(() => layers.reduce((x, layer) => layer.apply(x) as tf.Tensor, tf.tensor2d(features.subarray(start * featureSize, (start + n) * featureSize), [n, featureSize]) as tf.Tensor));
    out.set(logits.dataSync() as Float32Array, start * classCount);
    logits.dispose();
  }
  return out;
}

/**
 * Makes `head` output softmax(logits / temperature) by dividing its final dense layer's kernel
 * and bias by T, in place. T = 1 leaves it untouched.
 * @throws CoreError INVALID_ARGUMENT for a T that is not finite and positive; MODEL_INVALID for a head without Dense → Softmax
 */
export function applyTemperature(head: tf.LayersModel, temperature: number): void {
  if (!(Number.isFinite(temperature) && temperature > 0)) throw new CoreError('INVALID_ARGUMENT', `A temperature must be a finite number above 0; got ${temperature}.`);
  if (temperature === 1) return;
  const dense = logitsLayer(head);
  const scaled = tf.tidy(() => dense.getWeights().map((w) => tf.div(w, temperature)));
  dense.setWeights(scaled);
  tf.dispose(scaled);
}

/** Writes `<modelDir>/calibration.json` for the head saved there. */
export async function writeCalibrationFile(modelDir: string, summary: CalibrationSummary): Promise<void> {
  await writeAtomic(path.join(modelDir, CALIBRATION_FILE), `${JSON.stringify({ method: summary.method, temperature: summary.temperature, fittedOn: summary.fittedOn }, null, 2)}\n`);
}

/**
 * The temperature saved beside a run's head: 1 when there is none (runs from before
 * calibration, or a validation split too small to fit).
 * @throws CoreError MODEL_INVALID when the file exists but does not hold a positive temperature
 */
export async function readTemperature(modelDir: string): Promise<number> {
  const file = path.join(modelDir, CALIBRATION_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw error;
  }
  let temperature: unknown;
  try {
    temperature = (JSON.parse(text) as { temperature?: unknown }).temperature;
  } catch {
    temperature = undefined;
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new CoreError('MODEL_INVALID', `${file} does not hold a positive "temperature": delete it to use uncalibrated probabilities, or retrain the run.`);
  }
  return temperature;
}
