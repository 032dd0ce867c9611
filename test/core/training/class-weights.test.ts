import { describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf.js';
import { createRandom } from '../../../src-main/core/random.js';
import { CoreError } from '../../../src-main/core/errors.js';
import { HYPERPARAMETERS, checkClassWeightNames, parseClassWeights, predictProbabilities, resolveClassWeights, resolveConfig, trainHead, type SplitFeatures } from '../../../src-main/core/training/index.js';
import { CONFIG_FLAGS, checkRequest } from '../../../src-main/cli/requests.js';

/** Two overlapping Gaussian classes: `counts[c]` images of class c. */
function overlapping(counts: number[], featureSize: number, seed: number): SplitFeatures {
  const centreRandom = createRandom(99);
  const centres = counts.map(() => Float32Array.from({ length: featureSize }, () => centreRandom() * 2 - 1));
  const random = createRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const count = counts.reduce((a, b) => a + b, 0);
  const features = new Float32Array(count * featureSize);
  const labels = new Int32Array(count);
  let i = 0;
  counts.forEach((n, c) => {
    for (let j = 0; j < n; j++, i++) {
      labels[i] = c;
      for (let k = 0; k < featureSize; k++) features[i * featureSize + k] = centres[c][k] * 0.35 + gaussian();
    }
  });
  return { features, labels, count };
}

/** Recall per class of the trained head on `test`. */
function recalls(probabilities: Float32Array, test: SplitFeatures, classCount: number): number[] {
  const hit = new Array<number>(classCount).fill(0);
  const total = new Array<number>(classCount).fill(0);
  for (let i = 0; i < test.count; i++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) if (probabilities[i * classCount + c] > probabilities[i * classCount + best]) best = c;
    total[test.labels[i]]++;
    if (best === test.labels[i]) hit[test.labels[i]]++;
  }
  return hit.map((h, c) => h / total[c]);
}

describe('class weights', () => {
  const featureSize = 32;
  // 10:1 imbalance in training; the test set is balanced, so minority recall is measured fairly.
  const train = overlapping([500, 50], featureSize, 1);
  const test = overlapping([300, 300], featureSize, 2);
  const empty = { features: new Float32Array(0), labels: new Int32Array(0), count: 0 };

  it.each(['fused', 'tfjs'] as const)('inverse-frequency weights raise minority recall on a 10:1 imbalanced set (%s)', async (trainer) => {
    await useWasm();
    const recall = async (classWeights: string): Promise<number[]> => {
      const config = resolveConfig({ howManyTrainingSteps: 400, learningRate: 0.05, classWeights, evalStepInterval: 400, seed: 4 });
      const { head } = await trainHead({ config, featureSize, classCount: 2, train, validation: empty, trainer, classNames: ['many', 'few'] });
      try {
        return recalls(predictProbabilities(head, test.features, test.count, featureSize), test, 2);
      } finally {
        head.dispose();
      }
    };
    const none = await recall('none');
    const inverse = await recall('inverse');
    const given = await recall('few=10');
    // Measured (fused and TF.js alike): minority recall 0.24 unweighted, 0.68 with inverse
    // weights (and with few=10); majority recall 0.98 → 0.76; balanced accuracy 0.61 → 0.72.
    expect(inverse[1]).toBeGreaterThan(none[1] + 0.2);
    expect(given[1]).toBeGreaterThan(none[1] + 0.2);
    // The balanced accuracy improves too: the weights trade majority recall for minority recall, not noise.
    expect((inverse[0] + inverse[1]) / 2).toBeGreaterThan((none[0] + none[1]) / 2);
  });

  it('computes inverse frequency as n / (k · n_c) (mean weight 1 over the training images) and maps given weights by class name', () => {
    const inverse = resolveClassWeights('inverse', train, 2)!;
    expect(Array.from(inverse)).toEqual([Math.fround(550 / (2 * 500)), Math.fround(550 / (2 * 50))]);
    expect((500 * inverse[0] + 50 * inverse[1]) / 550).toBeCloseTo(1, 6);
    // A class with no training images keeps weight 1 and does not count in k.
    expect(Array.from(resolveClassWeights('inverse', train, 3)!)).toEqual([Math.fround(550 / (2 * 500)), Math.fround(550 / (2 * 50)), 1]);
    expect(resolveClassWeights('none', train, 2)).toBeNull();
    expect(Array.from(resolveClassWeights(' few = 2.5 , many=0.5 ', train, 2, ['many', 'few'])!)).toEqual([0.5, 2.5]);
    expect(Array.from(resolveClassWeights('few=3', train, 2, ['many', 'few'])!)).toEqual([1, 3]);
    expect(() => resolveClassWeights('daisy=2', train, 2, ['many', 'few'])).toThrow(/no class "daisy" in this dataset\. Classes: many, few/);
    expect(() => resolveClassWeights('few=2', train, 2)).toThrow(/was not given the class names/);
    // The training job checks names before any work (no train split needed).
    expect(() => checkClassWeightNames('few=2,daisy=1', ['many', 'few'])).toThrow(/no class "daisy"/);
    expect(() => checkClassWeightNames('inverse', ['many', 'few'])).not.toThrow();
    expect(() => checkClassWeightNames(undefined, ['many', 'few'])).not.toThrow();
  });

  it.each([
    ['inverse,', /is not label=weight/],
    ['a=0', /weight of "a" must be a number > 0/],
    ['a=-1', /must be a number > 0/],
    ['a=x', /must be a number > 0/],
    ['a=1,a=2', /"a" is given twice/],
    ['balanced', /is not label=weight/],
  ])('rejects --class_weights %j in core, the API validator and the CLI, naming the flag', (value, message) => {
    expect(() => parseClassWeights(value)).toThrow(CoreError);
    expect(() => parseClassWeights(value)).toThrow(message);
    expect(() => resolveConfig({ classWeights: value })).toThrow(/--class_weights: /);
    if (value === 'a=1,a=2' || value === 'a=0') return; // well-formed text: only core knows duplicates and zero
    expect(() => checkRequest('startTraining', { datasetId: 'd', config: { classWeights: value } }, CONFIG_FLAGS)).toThrow(new RegExp(`^--class_weights=${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: startTraining: invalid config\\.classWeights`));
  });

  it('is a hyperparameter with retrain.py-style flag, default none, recorded in the resolved config; the validator accepts every valid form', () => {
    const spec = HYPERPARAMETERS.find((h) => h.key === 'classWeights')!;
    expect(spec).toMatchObject({ flag: 'class_weights', type: 'string', default: 'none' });
    expect(resolveConfig({}).classWeights).toBe('none');
    expect(resolveConfig({ classWeights: 'inverse' }).classWeights).toBe('inverse');
    for (const value of ['none', 'inverse', 'daisy=2', 'daisy=2,roses=0.5', 'sun flowers=1e-1, tulips = .5']) {
      expect(checkRequest('startTraining', { datasetId: 'd', config: { classWeights: value } }, CONFIG_FLAGS).config.classWeights).toBe(value);
    }
  });
});
