/** Plain data types of bottleneck computation (no Node): re-exported by the API contract. */

/** Progress, reported at most every `progressIntervalMs` and always once at the end of each phase. */
export type BottleneckProgress = {
  /** fromCache + computed + failed; never decreases; equals `total` in the last report. */
  done: number;
  total: number;
  fromCache: number;
  computed: number;
  failed: number;
  /** Rate of the current phase (lookups/s in `cache`, computed images/s in `compute`). */
  imagesPerSecond: number;
  /** Estimated time left, null until a rate is known. */
  etaMs: number | null;
  phase: 'cache' | 'compute';
};
