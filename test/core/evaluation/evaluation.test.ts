import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../../../src-main/core/evaluation/index.js';

describe('evaluatePredictions', () => {
  it('computes accuracy, confusion, per-class precision/recall and misclassified files', () => {
    const classes = ['cat', 'dog', 'fox'];
    // true labels: cat, cat, dog, dog, fox ; predictions: cat, dog, dog, dog, cat
    const probabilities = Float32Array.from([0.8, 0.1, 0.1, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0.5, 0.2, 0.3]);
    const labels = Int32Array.from([0, 0, 1, 1, 2]);
    const summary = evaluatePredictions(probabilities, labels, ['a', 'b', 'c', 'd', 'e'], classes);
    expect(summary.testAccuracy).toBeCloseTo(3 / 5);
    expect(summary.confusion).toEqual([[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
    expect(summary.perClass[0]).toMatchObject({ className: 'cat', precision: 0.5, recall: 0.5, support: 2 });
    expect(summary.perClass[1].precision).toBeCloseTo(2 / 3);
    expect(summary.perClass[1].recall).toBe(1);
    expect(summary.perClass[2]).toMatchObject({ precision: 0, recall: 0, support: 1 });
    expect(summary.misclassified).toEqual([
      { path: 'b', trueLabel: 'cat', predictedLabel: 'dog', probability: expect.closeTo(0.6, 5) },
      { path: 'e', trueLabel: 'fox', predictedLabel: 'cat', probability: expect.closeTo(0.5, 5) },
    ]);
    const expectedXent = -(Math.log(0.8) + Math.log(0.3) + Math.log(0.8) + Math.log(0.7) + Math.log(0.3)) / 5;
    expect(summary.testCrossEntropy).toBeCloseTo(expectedXent, 5);
  });

  it('keeps every test prediction, so each confusion cell (the diagonal too) can list its images', () => {
    const classes = ['cat', 'dog'];
    const probabilities = Float32Array.from([0.9, 0.1, 0.4, 0.6, 0.2, 0.8]);
    const summary = evaluatePredictions(probabilities, Int32Array.from([0, 0, 1]), ['a', 'b', 'c'], classes);
    expect(summary.predictions).toEqual([
      { path: 'a', trueLabel: 'cat', predictedLabel: 'cat', probability: expect.closeTo(0.9, 5), trueProbability: expect.closeTo(0.9, 5) },
      { path: 'b', trueLabel: 'cat', predictedLabel: 'dog', probability: expect.closeTo(0.6, 5), trueProbability: expect.closeTo(0.4, 5) },
      { path: 'c', trueLabel: 'dog', predictedLabel: 'dog', probability: expect.closeTo(0.8, 5), trueProbability: expect.closeTo(0.8, 5) },
    ]);
    // Every cell's count is the number of predictions listed for it.
    classes.forEach((t, i) => classes.forEach((p, j) => {
      expect(summary.predictions!.filter((x) => x.trueLabel === t && x.predictedLabel === p).length).toBe(summary.confusion[i][j]);
    }));
  });
});
