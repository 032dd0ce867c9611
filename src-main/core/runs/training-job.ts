/**
 * One training run end to end, retrain.py's main(): bottlenecks for every image (from
 * the cache where possible), a new final layer trained on them, evaluation on the test
 * split, and the run folder written as it goes. Used by the service (app, serve) and so
 * by the CLI.
 */
import path from 'node:path';
import { CoreError } from '../errors.js';
import { assertTrainable, resplit, type Dataset, type DatasetImage } from '../dataset/index.js';
import { computeBottlenecks, type BottleneckCache, type BottleneckProgress } from '../bottlenecks/index.js';
import { decodeImage, type Distortion } from '../images/index.js';
import type { FeatureExtractor, ModelInfo } from '../models/types.js';
import { checkClassWeightNames, hasDistortions, trainHead, predictProbabilities, type MetricPoint, type SplitFeatures, type TrainingConfig } from '../training/index.js';
import { evaluatePredictions, type EvaluationSummary } from '../evaluation/index.js';
import { calibrate, headLogits, writeCalibrationFile, type CalibrationSummary } from '../training/calibration.js';
import { createRandom } from '../random.js';
import { fileSaveHandler, writeAtomic } from '../tf/file-io.js';
import { writeTensorBoardScalars } from './tensorboard.js';
import type { PhaseTimes, RunConfigRecord, RunStore, RunSummaryRecord } from './store.js';
import type { TrainingPhase } from './types.js';

export type { TrainingPhase } from './types.js';

export type TrainingJobOptions = {
  runs: RunStore;
  /** The run record, already created (status `queued`); the job marks it `running` when it starts. */
  record: RunConfigRecord;
  dataset: Dataset;
  model: ModelInfo;
  config: TrainingConfig;
  cache: BottleneckCache;
  /** The bottleneck engine for `model` (TF.js or ONNX Runtime); owned by the caller. */
  getExtractor: () => Promise<FeatureExtractor>;
  engine: { backend: string; device: string };
  signal?: AbortSignal;
  onPhase?: (phase: TrainingPhase, message: string) => void;
  onBottlenecks?: (progress: BottleneckProgress) => void;
  onStep?: (step: number, totalSteps: number) => void;
  onMetrics?: (point: MetricPoint) => void;
};

type Sample = { image: DatasetImage; label: number; vector: Float32Array };

function pack(samples: Sample[], featureSize: number): SplitFeatures {
  const features = new Float32Array(samples.length * featureSize);
  const labels = new Int32Array(samples.length);
  samples.forEach((s, i) => {
    features.set(s.vector, i * featureSize);
    labels[i] = s.label;
  });
  return { features, labels, count: samples.length };
}

/** retrain.py's test batch: all (-1) or a seeded random subset without replacement. */
function chooseTestSamples(samples: Sample[], size: number, seed: number): Sample[] {
  if (size === -1 || size >= samples.length) return samples;
  const random = createRandom(seed ^ 0x5eed);
  const copy = samples.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, size);
}

/**
 * Runs the job and writes the run's summary whatever happens: `completed`, `cancelled`
 * (CoreError CANCELLED is re-thrown) or `failed` (the error is re-thrown).
 */
export async function runTrainingJob(options: TrainingJobOptions): Promise<RunSummaryRecord> {
  const { runs, record, model, config, cache, signal } = options;
  const phases: PhaseTimes = {};
  const started = Date.now();
  const summary: RunSummaryRecord = { status: 'running', backend: options.engine.backend, featureEngine: '', device: options.engine.device, phases };
  const phase = (name: TrainingPhase, message: string): void => options.onPhase?.(name, message);
  // Appends are chained so metrics.jsonl keeps step order, and awaited before the summary.
  // A failed append (run folder deleted, disk full) stops training and fails the run with
  // the reason; it is caught here, so it never becomes an unhandled rejection.
  let metricWrites: Promise<void> = Promise.resolve();
  let metricWriteError: Error | undefined;
  const writeFailed = new AbortController();
  const trainingSignal = signal ? AbortSignal.any([signal, writeFailed.signal]) : writeFailed.signal;
  const timed = async <T>(key: keyof PhaseTimes, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      phases[key] = Date.now() - t0;
    }
  };

  try {
    // Cancelled while waiting in the queue: never started, so nothing to load.
    if (signal?.aborted) throw new CoreError('CANCELLED', 'The run was cancelled before it started.');
    // Its turn has come: from now on lists show it as running, no longer queued.
    await runs.writeSummary(record.id, summary);
    const dataset = resplit(options.dataset, config.validationPercentage, config.testingPercentage);
    assertTrainable(dataset);
    const classes = dataset.classes.map((c) => c.name);
    checkClassWeightNames(config.classWeights, classes); // before loading the model or computing bottlenecks

    phase('loading', `Loading ${model.name}`);
    const extractor = await timed('modelLoadMs', options.getExtractor);
    summary.featureEngine = extractor.engine;

    const images = dataset.classes.flatMap((c, label) => c.images.map((image) => ({ image, label })));
    phase('bottlenecks', `Bottlenecks for ${images.length} images (${extractor.engine})`);
    const bottlenecks = await timed('bottlenecksMs', () =>
      computeBottlenecks({
        images: images.map(({ image }) => ({ path: image.path, contentHash: image.contentHash })),
        extractor,
        cache,
        signal,
        onProgress: options.onBottlenecks,
      }),
    );
    phases.bottlenecksComputed = bottlenecks.stats.computed;
    phases.bottlenecksFromCache = bottlenecks.stats.fromCache;

    const bySplit: Record<'train' | 'validation' | 'test', Sample[]> = { train: [], validation: [], test: [] };
    images.forEach(({ image, label }, i) => {
      const vector = bottlenecks.vectors[i];
      if (vector) bySplit[image.split].push({ image, label, vector });
    });
    if (bySplit.train.length === 0) {
      throw new CoreError('DATASET_INVALID', `No training image could be read (${bottlenecks.failed.length} failed). First failure: ${bottlenecks.failed[0]?.message ?? 'none'}.`);
    }

    const featureSize = bottlenecks.featureSize;
    const distortion: Distortion = {
      flipLeftRight: config.flipLeftRight,
      randomCropPercent: config.randomCrop,
      randomScalePercent: config.randomScale,
      randomBrightnessPercent: config.randomBrightness,
    };
    // Distorted images are new pixels each step: decode and run the network again (no cache), as retrain.py.
    const distortedFeatures = hasDistortions(config)
      ? async (indices: Int32Array, step: number): Promise<Float32Array> => {
          const { heightPx, widthPx } = model.spec;
          const pixels = new Float32Array(indices.length * heightPx * widthPx * 3);
          await Promise.all(
            Array.from(indices, async (index, i) => {
              const seed = (config.seed * 1_000_003 + step * 7919 + i) >>> 0;
              const decoded = await decodeImage(bySplit.train[index].image.path, model.spec, { distortion, seed });
              pixels.set(decoded.data, i * heightPx * widthPx * 3);
            }),
          );
          return extractor.extract(pixels, indices.length);
        }
      : undefined;

    phase('training', `Training ${config.howManyTrainingSteps} steps on ${bySplit.train.length} images`);
    const trained = await timed('trainingMs', () =>
      trainHead({
        config,
        featureSize,
        classCount: classes.length,
        classNames: classes,
        train: pack(bySplit.train, featureSize),
        validation: pack(bySplit.validation, featureSize),
        distortedFeatures,
        signal: trainingSignal,
        onStep: options.onStep,
        onMetrics: (point) => {
          metricWrites = metricWrites
            .then(() => (metricWriteError ? undefined : runs.appendMetric(record.id, point)))
            .catch((error: unknown) => {
              metricWriteError ??= error instanceof Error ? error : new Error(String(error));
              writeFailed.abort();
            });
          options.onMetrics?.(point);
        },
      }),
    );
    await metricWrites;
    if (metricWriteError) throw metricWriteError;

    try {
      phase('evaluating', `Testing on ${bySplit.test.length} images`);
      const evaluation = await timed('evaluationMs', async (): Promise<EvaluationSummary> => {
        const test = chooseTestSamples(bySplit.test, config.testBatchSize, config.seed);
        const packed = pack(test, featureSize);
        const probabilities = predictProbabilities(trained.head, packed.features, packed.count, featureSize);
        return evaluatePredictions(probabilities, packed.labels, test.map((s) => s.image.path), classes);
      });
      // Temperature scaling on the validation logits (seconds at most); the head stays as trained
      // and model/calibration.json carries T to the classifier and the export.
      const logitsOf = (samples: Sample[]) => {
        const packed = pack(samples, featureSize);
        return { logits: headLogits(trained.head, packed.features, packed.count, featureSize), labels: packed.labels, classCount: classes.length };
      };
      let calibration: CalibrationSummary | undefined;
      try {
        calibration = calibrate(logitsOf(bySplit.validation), logitsOf(bySplit.test));
      } catch (error) {
        // A head of another shape (not Dense → Softmax) is used uncalibrated rather than failing the run.
        if (!(error instanceof CoreError && error.code === 'MODEL_INVALID')) throw error;
      }
      if (calibration) evaluation.calibration = calibration;

      phase('saving', 'Saving the run');
      await timed('saveMs', async () => {
        const runDir = await runs.runDir(record.id);
        await trained.head.save(fileSaveHandler(path.join(runDir, 'model')));
        await writeAtomic(path.join(runDir, 'model', 'labels.txt'), `${classes.join('\n')}\n`);
        if (calibration) await writeCalibrationFile(path.join(runDir, 'model'), calibration);
        await writeTensorBoardScalars(runDir, trained.metrics, { runName: record.name });
      });

      Object.assign(summary, {
        status: 'completed',
        testAccuracy: evaluation.testAccuracy,
        evaluation,
        ...(bottlenecks.failed.length
          ? { error: `${bottlenecks.failed.length} image(s) could not be read and were skipped: ${bottlenecks.failed.slice(0, 5).map((f) => f.message).join(' ')}${bottlenecks.failed.length > 5 ? ' …' : ''}` }
          : {}),
      });
    } finally {
      trained.head.dispose();
    }
    return summary;
  } catch (caught) {
    await metricWrites;
    const error = metricWriteError
      ? new CoreError('INTERNAL', `Could not record the run's metrics (${metricWriteError.message}); the run was stopped.`)
      : caught;
    summary.status = error instanceof CoreError && error.code === 'CANCELLED' ? 'cancelled' : 'failed';
    summary.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    await metricWrites;
    summary.durationMs = Date.now() - started;
    summary.finishedAt = new Date().toISOString();
    await runs.writeSummary(record.id, summary);
  }
}
