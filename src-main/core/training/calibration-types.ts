/** Plain data types of calibration (no Node, no tfjs): stored in a run's evaluation, re-exported by the API contract. */

/** One bin of a reliability diagram: images whose top-1 probability lies in [lower, upper). */
export type ReliabilityBin = { lower: number; upper: number; count: number; meanConfidence: number; accuracy: number };

/** ECE, NLL and reliability bins of one split, before and after the temperature. */
export type CalibrationSplit = {
  count: number;
  eceBefore: number;
  eceAfter: number;
  nllBefore: number;
  nllAfter: number;
  binsBefore: ReliabilityBin[];
  binsAfter: ReliabilityBin[];
};

/** What a run stores about its calibration (summary.json's evaluation.calibration). */
export type CalibrationSummary = {
  method: 'temperature';
  /** Calibrated probabilities = softmax(logits / temperature). 1 = unchanged. */
  temperature: number;
  /** The split T was fitted on, with its numbers (the "ECE before/after"). */
  fittedOn: 'validation';
  validation: CalibrationSplit;
  /** The same on the test split, which the fit never saw (absent when it is empty). */
  test?: CalibrationSplit;
  bins: number;
};
