/**
 * Class weights in the training loss, beside class-balanced sampling: each example's
 * cross-entropy is multiplied by its class's weight (TF.js's weighted softmaxCrossEntropy).
 *
 * The option is one string so the CLI flag, the form's text field, the run's recorded config
 * and the sweep table carry it unchanged:
 * - `none`: every class weighs 1 (the default, as retrain.py);
 * - `inverse`: inverse frequency over the training split, n / (k · n_c) (scikit-learn's
 *   "balanced"), so the average weight over training images is 1 and the learning rate
 *   keeps its meaning;
 * - `daisy=2,roses=0.5`: given weights by class name; classes not named weigh 1.
 */
import { CoreError } from '../errors.js';
import type { SplitFeatures } from './trainer.js';

export type ClassWeightsSpec = { kind: 'none' } | { kind: 'inverse' } | { kind: 'given'; weights: Map<string, number> };

const NUMBER = String.raw`(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
/** The accepted shapes, for the API's validator and the form. */
export const CLASS_WEIGHTS_PATTERN = String.raw`^\s*(?:none|inverse|[^=,]+=\s*${NUMBER}\s*(?:,[^=,]+=\s*${NUMBER}\s*)*)\s*$`;

/** Parses `--class_weights`; throws INVALID_ARGUMENT saying what is accepted. */
export function parseClassWeights(value: string): ClassWeightsSpec {
  const text = value.trim();
  if (text === 'none') return { kind: 'none' };
  if (text === 'inverse') return { kind: 'inverse' };
  const fail = (what: string): never => {
    throw new CoreError('INVALID_ARGUMENT', `--class_weights: ${what} (got ${JSON.stringify(value)}). Use none, inverse, or label=weight pairs such as daisy=2,roses=0.5.`);
  };
  const weights = new Map<string, number>();
  for (const part of text.split(',')) {
    const eq = part.lastIndexOf('=');
    if (eq <= 0) fail(`"${part.trim()}" is not label=weight`);
    const label = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    const weight = Number(raw);
    if (label === '') fail('a label is empty');
    if (raw === '' || !Number.isFinite(weight) || weight <= 0) fail(`the weight of "${label}" must be a number > 0`);
    if (weights.has(label)) fail(`"${label}" is given twice`);
    weights.set(label, weight);
  }
  return { kind: 'given', weights };
}

/**
 * Weight per class index for the training split, or null for `none` (the loss is then
 * exactly today's unweighted mean). Given weights need the class names in label order.
 */
export function resolveClassWeights(value: string | undefined, train: SplitFeatures, classCount: number, classNames?: readonly string[]): Float32Array | null {
  const spec = parseClassWeights(value ?? 'none');
  if (spec.kind === 'none') return null;
  const out = new Float32Array(classCount).fill(1);
  if (spec.kind === 'inverse') {
    const counts = new Float64Array(classCount);
    for (let i = 0; i < train.count; i++) counts[train.labels[i]]++;
    const present = counts.filter((n) => n > 0).length;
    // Classes without training images never enter the loss; they keep weight 1.
    for (let c = 0; c < classCount; c++) if (counts[c] > 0) out[c] = train.count / (present * counts[c]);
    return out;
  }
  if (!classNames) throw new CoreError('INVALID_ARGUMENT', '--class_weights names classes, but the trainer was not given the class names.');
  checkClassWeightNames(value, classNames);
  for (const [label, weight] of spec.weights) out[classNames.indexOf(label)] = weight;
  return out;
}

/** Throws INVALID_ARGUMENT when given weights name a class the dataset does not have (checked before any work). */
export function checkClassWeightNames(value: string | undefined, classNames: readonly string[]): void {
  const spec = parseClassWeights(value ?? 'none');
  if (spec.kind !== 'given') return;
  for (const label of spec.weights.keys()) {
    if (!classNames.includes(label)) throw new CoreError('INVALID_ARGUMENT', `--class_weights: no class "${label}" in this dataset. Classes: ${classNames.join(', ')}.`);
  }
}
