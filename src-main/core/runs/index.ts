/**
 * Training runs: the on-disk record of each run, the job that produces it, and the
 * scalar exports (CSV/JSON, TensorBoard event files) that make runs comparable.
 */
export { createRunStore, isUnfinished, type RunStore, type RunRecord, type RunRecordDetail, type RunConfigRecord, type RunSummaryRecord, type RunStatus, type PhaseTimes } from './store.js';
export { runTrainingJob, type TrainingJobOptions, type TrainingPhase } from './training-job.js';
export { scalarsToCsv, scalarsToJson, type RunScalars, type ScalarPoint } from './scalars.js';
export { writeTensorBoardScalars, readTensorBoardScalars, type TensorBoardScalar } from './tensorboard.js';
export { createRunQueue, type QueuedJob, type RunQueue, type RunQueueOptions } from './queue.js';
export { describeRunGraph } from './run-graph.js';
