/** Plain data types of labelling (no Node, no tfjs): re-exported by the API contract. */

/** One class of a classification and its probability. */
export type Prediction = { label: string; probability: number };

/** The top classes of one image and the time each stage took. */
export type ClassifyResult = { predictions: Prediction[]; durationMs: number; preprocessMs: number; inferenceMs: number; engine: string };
