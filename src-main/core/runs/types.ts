/** Plain data types of runs (no Node): re-exported by the API contract. */
import type { TrainingConfig } from '../training/types.js';

/** `queued`: created, waiting for the run queue to reach it; `running` from its first phase on. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** The phases a training job goes through, in order. */
export type TrainingPhase = 'loading' | 'bottlenecks' | 'training' | 'evaluating' | 'saving';
/** A run's phase as clients see it: queued behind another run, a training phase, or done. */
export type RunPhase = 'queued' | TrainingPhase | 'done';

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

/** A run as clients see it: what was trained (config.json) and how it went (summary.json). */
export type RunSummary = {
  id: string;
  name: string;
  createdAt: string;
  status: RunStatus;
  datasetRoot: string;
  modelId: string;
  config: TrainingConfig;
  classes: string[];
  /** TF.js backend and bottleneck engine used, e.g. `wasm`, `onnxruntime-cpu`. */
  backend: string;
  featureEngine: string;
  device: string;
  phases: PhaseTimes;
  durationMs?: number;
  testAccuracy?: number;
  error?: string;
  /** Id of the sweep this run belongs to. */
  sweepId?: string;
  /** The backbone node whose output was the bottleneck (the model's as it was when the run started). */
  bottleneckNode?: string;
};

/** The fields of RunSummary that config.json holds; summary.json holds the others. */
export type RunConfigField = 'id' | 'name' | 'createdAt' | 'datasetRoot' | 'modelId' | 'config' | 'classes' | 'sweepId';
