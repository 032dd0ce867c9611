/**
 * Test-set evaluation: accuracy, cross-entropy, confusion matrix, per-class precision and
 * recall, and the misclassified files (retrain.py's --print_misclassified_test_images).
 */
import type { CalibrationSummary } from '../training/calibration-types.js';

export type ClassMetrics = { className: string; precision: number; recall: number; support: number };
export type Misclassified = { path: string; trueLabel: string; predictedLabel: string; probability: number };
/** One test image as the head saw it; `probability` is the predicted class's, `trueProbability` the true class's. */
export type TestPrediction = Misclassified & { trueProbability: number };

export type EvaluationSummary = {
  testAccuracy: number;
  testCrossEntropy: number;
  testCount: number;
  classes: string[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  perClass: ClassMetrics[];
  misclassified: Misclassified[];
  /**
   * Every test image's prediction, in test order, so any confusion-matrix cell (the diagonal
   * too) can list its images. Absent in runs recorded before it was kept.
   */
  predictions?: TestPrediction[];
  /** Temperature scaling fitted on the validation split after training (absent: T = 1). */
  calibration?: CalibrationSummary;
};

/**
 * Summarises predictions. `probabilities` is row-major `[count, classes.length]`.
 * Precision of a class never predicted is reported as 0 (with support showing why).
 */
export function evaluatePredictions(probabilities: Float32Array, labels: Int32Array, paths: string[], classes: string[]): EvaluationSummary {
  const k = classes.length;
  const count = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const misclassified: Misclassified[] = [];
  const predictions: TestPrediction[] = [];
  let correct = 0;
  let crossEntropy = 0;
  for (let i = 0; i < count; i++) {
    const row = probabilities.subarray(i * k, (i + 1) * k);
    let predicted = 0;
    for (let c = 1; c < k; c++) if (row[c] > row[predicted]) predicted = c;
    const truth = labels[i];
    confusion[truth][predicted]++;
    crossEntropy -= Math.log(Math.max(row[truth], 1e-12));
    const prediction = { path: paths[i], trueLabel: classes[truth], predictedLabel: classes[predicted], probability: row[predicted] };
    predictions.push({ ...prediction, trueProbability: row[truth] });
    if (predicted === truth) correct++;
    else misclassified.push(prediction);
  }
  const perClass = classes.map((className, c) => {
    const truePositives = confusion[c][c];
    const predictedTotal = confusion.reduce((sum, row) => sum + row[c], 0);
    const support = confusion[c].reduce((sum, v) => sum + v, 0);
    return { className, precision: predictedTotal ? truePositives / predictedTotal : 0, recall: support ? truePositives / support : 0, support };
  });
  return {
    testAccuracy: count ? correct / count : NaN,
    testCrossEntropy: count ? crossEntropy / count : NaN,
    testCount: count,
    classes,
    confusion,
    perClass,
    misclassified,
    predictions,
  };
}
