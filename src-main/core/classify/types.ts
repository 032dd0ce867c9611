/** Plain data types of labelling (no Node, no tfjs): re-exported by the API contract. */

/** One class of a classification and its probability. */
export type Prediction = { label: string; probability: number };
