/** Plain data of the engine choice (no Node, no tfjs): re-exported by the API contract. */

/** Every TF.js backend choice, best first: tfjs-node-gpu, tfjs-node, wasm, cpu. */
export const BACKEND_IDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** A TF.js backend choice. */
export type BackendId = (typeof BACKEND_IDS)[number];

/** One backend the engine choice considered. */
export type EngineCandidate = {
  id: BackendId;
  package: string;
  /** Probed and usable. Candidates that were not probed (one before them won) report `false` with a reason. */
  available: boolean;
  active: boolean;
  /** Why it is not used: absent package, missing native library, no CUDA device, not tried… */
  reason?: string;
};

/** The active backend, its device, and why better ones were not used. */
export type EngineInfo = {
  /** Active TF.js backend name (`tensorflow`, `wasm`, `cpu`). */
  backend: string;
  /** npm package providing it. */
  package: string;
  /** CPU model (os.cpus()[0].model) or GPU name. */
  device: string;
  /** True when chosen by `force` or RETRAIN_STUDIO_BACKEND. */
  forced: boolean;
  /** wasm only: SIMD in use. */
  simd?: boolean;
  /** Threads the backend computes with (wasm in Node: always 1). */
  threads?: number;
  candidates: EngineCandidate[];
};
