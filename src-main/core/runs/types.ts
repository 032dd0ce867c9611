/** Plain data types of runs (no Node): re-exported by the API contract. */

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** How long each phase of a run took, and where its bottlenecks came from. */
export type PhaseTimes = {
  modelLoadMs?: number;
  bottlenecksMs?: number;
  bottlenecksComputed?: number;
  bottlenecksFromCache?: number;
  trainingMs?: number;
  evaluationMs?: number;
  saveMs?: number;
};
