/**
 * The bottleneck pipeline: cache lookups, then a bounded producer/consumer that decodes
 * misses off the main thread while the previous batch runs through the extractor.
 */
import { availableParallelism } from 'node:os';
import { CoreError, cancelledError } from '../errors.js';
import { createDecodePool } from '../images/index.js';
import { specKey, type PreprocessSpec } from '../images/spec.js';
import type { FeatureExtractor } from '../models/types.js';
import { modelFingerprint } from '../models/fingerprint.js';
import { cacheKey, type BottleneckCache } from './cache.js';
import type { BottleneckProgress } from './types.js';

export type { BottleneckProgress } from './types.js';

/** Decoded, resized and normalised pixels, `[heightPx, widthPx, 3]` float32 (HWC). */
export type DecodedPixels = { data: Float32Array; heightPx: number; widthPx: number };

/** Decodes one image file for `spec`; rejects (ideally with CoreError IMAGE_UNREADABLE) when it cannot. */
export type DecodeFunction = (file: string, spec: PreprocessSpec) => Promise<DecodedPixels>;

/** One image to compute: its path and the SHA-256 hex of its bytes (from the dataset scan). */
export type BottleneckImage = { path: string; contentHash: string };


export type BottleneckFailure = { path: string; message: string };

export type BottleneckStats = {
  total: number;
  fromCache: number;
  computed: number;
  failed: number;
  durationMs: number;
  /** total / duration (cache hits included). */
  imagesPerSecond: number;
  /** The extractor's engine, e.g. `tfjs-wasm`, `onnxruntime-cpu`. */
  engine: string;
  /** Vectors computed but not stored (e.g. disk full); they are in the result all the same. */
  cacheWriteFailures: number;
};

export type BottleneckResult = {
  /**
   * Aligned with `options.images`: `vectors[i]` is the bottleneck of `images[i]`
   * (length `featureSize`), or `undefined` when that image failed (see `failed`).
   * When the feature size is known up front, each vector is a view of row i of `features`.
   * Treat vectors as read-only.
   */
  vectors: Array<Float32Array | undefined>;
  /**
   * Every vector in one array, row i = `images[i]` (zeros for a failed image), when the
   * extractor's `info.featureSize` is known: a large run holds its features once, not as
   * many small arrays and copies (100k × 1,280 floats = 512 MB).
   */
  features?: Float32Array;
  /** Floats per vector (the extractor's `info.featureSize`, or learned from the output when that is 0). */
  featureSize: number;
  /** Images that could not be decoded, with the reason; the run went on without them. */
  failed: BottleneckFailure[];
  stats: BottleneckStats;
};

export type ComputeBottlenecksOptions = {
  images: BottleneckImage[];
  extractor: FeatureExtractor;
  cache: BottleneckCache;
  /** Decoder; defaults to a worker-thread decode pool created (and closed) by this call. */
  decode?: DecodeFunction;
  /** Worker threads of the default decode pool; default `threadBudget().decodeWorkers`. Ignored with `decode`. */
  decodeWorkers?: number;
  /** Decodes handed to each default-pool worker at once; default `threadBudget().decodesPerWorker`. */
  decodesPerWorker?: number;
  /**
   * Images per forward pass. Default 8: as fast per image as 16 or 32 on tfjs-wasm and ONNX
   * Runtime (`npm run bench`), and a TF.js pass blocks the event loop 4× less long, so
   * cancel and progress stay responsive in the app's main process.
   */
  batchSize?: number;
  /**
   * Decodes started ahead of the batch being assembled, in batches (bounds memory to
   * about `(readAheadBatches + 2) × batchSize` decoded images). Default 2.
   */
  readAheadBatches?: number;
  /** Cancels the run: rejects with CoreError CANCELLED; entries already written stay valid. */
  signal?: AbortSignal;
  onProgress?: (progress: BottleneckProgress) => void;
  /** Minimum time between progress reports. Default 250 ms. */
  progressIntervalMs?: number;
  /** The model files' fingerprint (part of every key); default `modelFingerprint(extractor.info.dir)`. */
  modelFingerprint?: string;
  /** Parallel cache reads in the lookup phase. Default 16. */
  lookupConcurrency?: number;
};

type DecodeOutcome = { ok: true; pixels: DecodedPixels } | { ok: false; message: string };

const WHAT = 'Computing bottlenecks';

function describeError(error: unknown): string {
  if (error instanceof CoreError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Resolves `promise`, or rejects with CANCELLED as soon as `signal` fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelledError(WHAT));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(WHAT));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new CoreError('INVALID_ARGUMENT', `computeBottlenecks: ${name} must be a whole number ≥ 1 (got ${String(value)}).`);
  }
  return value;
}

/** How the cores are shared between decoding and the forward pass (see `threadBudget`). */
export type ThreadBudget = {
  /** Decode worker threads. */
  decodeWorkers: number;
  /** Decodes queued to each worker (it runs them one at a time, on one libuv thread). */
  decodesPerWorker: number;
  /** Intra-op threads to give the forward pass (ONNX Runtime's `threads` session option). */
  forwardThreads: number;
  /** What libuv's pool needs (`UV_THREADPOOL_SIZE`, read once at process start): decodes + file I/O. */
  libuvThreads: number;
};

/**
 * An explicit split of `cores` between decoding and the forward pass, so that decodes in
 * flight + forward threads do not exceed the cores (the old default handed one worker 8 decodes
 * on libuv's 4 threads beside ONNX Runtime's 2: 7.8 CPU-ms per image against 5.8 for decode and
 * forward measured apart). Decoding is the slower half on these models (3.8 core-ms a photo
 * against ~1–2 for MobileNet's forward pass on ONNX Runtime), so one decode worker per core and
 * half the cores for the forward pass: at most cores + cores/2 busy threads, never 8 + 2.
 * `engine` is the extractor's (`FeatureExtractor.engine`).
 */
export function threadBudget(cores = availableParallelism(), engine = 'onnxruntime'): ThreadBudget {
  const n = Math.max(1, Math.min(cores, 8));
  // Each worker decodes one image at a time (decode-worker.ts); 4 queued per worker cover a
  // forward pass of a batch of 8 on the main thread without adding threads. A TF.js engine is
  // the slow half (one thread, ~20 img/s on wasm): there a core is left to it, as measured
  // before (91–95 % of its forward-only rate with 1 decode worker on 2 cores, 83–88 % with 2).
  const decodeWorkers = engine.startsWith('tfjs') ? Math.max(1, n - 1) : n;
  return { decodeWorkers, decodesPerWorker: 4, forwardThreads: Math.max(1, Math.floor(n / 2)), libuvThreads: decodeWorkers + 2 };
}

/**
 * The cache key of one image's bottleneck for a model: content × model × bottleneck node ×
 * the model files' fingerprint × preprocessing. The node is part of it because another node
 * gives other features; the fingerprint because changed weights do (see modelFingerprint).
 */
export function bottleneckKey(
  contentHash: string,
  info: Pick<FeatureExtractor['info'], 'id' | 'bottleneckNode' | 'spec'>,
  fingerprint: string,
  modelSpecKey = specKey(info.spec),
): string {
  return cacheKey({ contentHash, modelId: `${info.id}#${info.bottleneckNode}#${fingerprint}`, specKey: modelSpecKey });
}

/**
 * Bottleneck vectors for `images` with `extractor`, reusing and filling `cache`.
 *
 * 1. Looks every image up in the cache (keyed by content hash + model id + spec, so
 *    moved or renamed files hit). When all hit, no image is decoded and no forward pass runs.
 * 2. Decodes the misses (worker threads by default) with bounded read-ahead, packs them
 *    into batches of `batchSize`, runs `extractor.extract` while the next batch decodes,
 *    and writes each vector to the cache. Images with identical content are computed once.
 *
 * An undecodable image is skipped and listed in `failed` with its message; the run goes on.
 * Throws CANCELLED when `signal` fires (already written entries stay valid), INVALID_ARGUMENT
 * for bad options, and passes on the extractor's errors (a failed forward pass ends the run).
 */
export async function computeBottlenecks(options: ComputeBottlenecksOptions): Promise<BottleneckResult> {
  const { images, extractor, cache, signal, onProgress } = options;
  if (!Array.isArray(images)) throw new CoreError('INVALID_ARGUMENT', 'computeBottlenecks: images must be an array.');
  const batchSize = positiveInt(options.batchSize, 8, 'batchSize');
  const readAheadBatches = positiveInt(options.readAheadBatches, 2, 'readAheadBatches');
  const lookupConcurrency = positiveInt(options.lookupConcurrency, 16, 'lookupConcurrency');
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const spec = extractor.info.spec;
  // 0 (unknown) is learned from the first vector seen.
  let featureSize = extractor.info.featureSize > 0 ? extractor.info.featureSize : 0;
  const pixelsPerImage = spec.heightPx * spec.widthPx * 3;
  const modelSpecKey = specKey(spec);
  const startedAt = performance.now();
  if (signal?.aborted) throw cancelledError(WHAT);
  const fingerprint = options.modelFingerprint ?? (await modelFingerprint(extractor.info.dir));

  const total = images.length;
  const vectors: Array<Float32Array | undefined> = new Array<Float32Array | undefined>(total).fill(undefined);
  // One array for all features when their size is known now (pages are touched as rows fill).
  const features = featureSize > 0 ? new Float32Array(total * featureSize) : undefined;
  const rowOf = (i: number): Float32Array => features!.subarray(i * featureSize, (i + 1) * featureSize);
  const failed: BottleneckFailure[] = [];
  let fromCache = 0;
  let computed = 0;
  let cacheWriteFailures = 0;

  // Progress: a bounded rate, monotonic `done`, one report at the end of each phase.
  let lastReportAt = -Infinity;
  let phase: BottleneckProgress['phase'] = 'cache';
  let phaseStartedAt = startedAt;
  let phaseStartDone = 0;
  const report = (force: boolean): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (!force && now - lastReportAt < progressIntervalMs) return;
    lastReportAt = now;
    const done = fromCache + computed + failed.length;
    const elapsedS = (now - phaseStartedAt) / 1000;
    const phaseDone = done - phaseStartDone;
    const imagesPerSecond = elapsedS > 0 && phaseDone > 0 ? phaseDone / elapsedS : 0;
    const etaMs = done >= total ? 0 : imagesPerSecond > 0 ? ((total - done) / imagesPerSecond) * 1000 : null;
    onProgress({ done, total, fromCache, computed, failed: failed.length, imagesPerSecond, etaMs, phase });
  };

  // ── 1. cache lookups ──
  const keys = images.map((image, i) => {
    if (!image || typeof image.path !== 'string' || typeof image.contentHash !== 'string' || image.contentHash === '') {
      throw new CoreError('INVALID_ARGUMENT', `computeBottlenecks: images[${i}] needs a path and a contentHash.`);
    }
    return bottleneckKey(image.contentHash, extractor.info, fingerprint, modelSpecKey);
  });
  report(true);
  const missIndices: number[] = [];
  let nextLookup = 0;
  const lookupWorker = async (): Promise<void> => {
    while (nextLookup < total) {
      if (signal?.aborted) return;
      const i = nextLookup++;
      const vector = await cache.get(keys[i]);
      if (vector && vector.length > 0 && (featureSize === 0 || vector.length === featureSize)) {
        featureSize = vector.length;
        vectors[i] = features ? (rowOf(i).set(vector), rowOf(i)) : vector;
        fromCache++;
        report(false);
      } else {
        missIndices.push(i);
      }
    }
  };
  if (cache.getMany) {
    // One batched, synchronous-in-slices read: a warm run's lookups are most of its time.
    const found = await cache.getMany(keys, {
      signal,
      into: features ? { features, featureSize } : undefined,
      onProgress: (_lookedUp, hits) => {
        fromCache = hits; // counted again below; set here so the report's numbers add up
        report(false);
      },
    });
    fromCache = 0;
    for (let i = 0; i < total; i++) {
      const vector = found[i];
      if (vector && vector.length > 0 && (featureSize === 0 || vector.length === featureSize)) {
        featureSize = vector.length;
        vectors[i] = features && vector.buffer !== features.buffer ? (rowOf(i).set(vector), rowOf(i)) : vector;
        fromCache++;
      } else {
        missIndices.push(i);
      }
    }
  } else {
    await Promise.all(Array.from({ length: Math.min(lookupConcurrency, total) }, lookupWorker));
  }
  if (signal?.aborted) throw cancelledError(WHAT);
  missIndices.sort((a, b) => a - b);

  // Identical content (duplicate photos) is computed once: the first path decodes.
  const groups = new Map<string, number[]>();
  for (const i of missIndices) {
    const group = groups.get(keys[i]);
    if (group) group.push(i);
    else groups.set(keys[i], [i]);
  }
  const work = [...groups.values()];

  report(true);

  if (work.length > 0) {
    phase = 'compute';
    phaseStartedAt = performance.now();
    phaseStartDone = fromCache;
    lastReportAt = -Infinity;
    report(true);
    let decode = options.decode;
    let closePool: (() => Promise<void> | void) | undefined;
    if (!decode) {
      const budget = threadBudget(availableParallelism(), extractor.engine);
      const workers = positiveInt(options.decodeWorkers, budget.decodeWorkers, 'decodeWorkers');
      const perWorker = positiveInt(options.decodesPerWorker, budget.decodesPerWorker, 'decodesPerWorker');
      const pool = createDecodePool({ workers, inFlightPerWorker: perWorker });
      decode = (file, s) => pool.decode(file, s);
      closePool = () => pool.close();
    }
    try {
      await runComputePhase(decode, closePool);
    } finally {
      await closePool?.();
    }
    report(true);
  }

  const durationMs = performance.now() - startedAt;
  return {
    vectors,
    ...(features ? { features } : {}),
    featureSize,
    failed,
    stats: {
      total,
      fromCache,
      computed,
      failed: failed.length,
      durationMs,
      imagesPerSecond: durationMs > 0 ? (total / durationMs) * 1000 : 0,
      engine: extractor.engine,
      cacheWriteFailures,
    },
  };

  async function runComputePhase(decode: DecodeFunction, cancelDecodes?: () => Promise<void> | void): Promise<void> {
    const readAhead = readAheadBatches * batchSize;
    const pending: Array<Promise<DecodeOutcome> | undefined> = new Array<Promise<DecodeOutcome> | undefined>(work.length);
    let dispatched = 0;
    let consumed = 0;

    const decodeOne = async (groupIndex: number): Promise<DecodeOutcome> => {
      const file = images[work[groupIndex][0]].path;
      try {
        const pixels = await decode(file, spec);
        if (!pixels || !(pixels.data instanceof Float32Array) || pixels.data.length !== pixelsPerImage) {
          return {
            ok: false,
            message: `${file}: the decoder returned ${pixels?.data?.length ?? 0} values, expected ${spec.heightPx}×${spec.widthPx}×3 = ${pixelsPerImage}.`,
          };
        }
        return { ok: true, pixels };
      } catch (error) {
        return { ok: false, message: describeError(error) };
      }
    };

    // Keep up to `readAhead` decodes started beyond what the consumer has taken, so decoding
    // continues in the workers while the main thread is busy in a (synchronous) forward pass.
    const pump = (): void => {
      if (signal?.aborted) return;
      while (dispatched < work.length && dispatched - consumed < readAhead) {
        pending[dispatched] = decodeOne(dispatched);
        dispatched++;
      }
    };

    // Two batch buffers: one being filled while the other is in the extractor.
    const buffers = [new Float32Array(batchSize * pixelsPerImage), new Float32Array(batchSize * pixelsPerImage)];
    let which = 0;
    let inFlight: Promise<void> | undefined;

    const cacheWrites: Promise<void>[] = [];
    const runBatch = async (buffer: Float32Array, members: number[]): Promise<void> => {
      const count = members.length;
      const input = count === batchSize ? buffer : buffer.subarray(0, count * pixelsPerImage);
      const output = await extractor.extract(input, count);
      if (featureSize === 0 && output instanceof Float32Array && output.length > 0 && output.length % count === 0) {
        featureSize = output.length / count;
      }
      if (!(output instanceof Float32Array) || output.length !== count * featureSize) {
        throw new CoreError(
          'MODEL_INVALID',
          `The ${extractor.engine} extractor for ${extractor.info.id} returned ${String(output?.length)} values for ${count} images; expected ${count} × ${featureSize || 'n'}.`,
        );
      }
      const writes: Promise<void>[] = [];
      for (let row = 0; row < count; row++) {
        const group = work[members[row]];
        let vector: Float32Array;
        if (features) {
          const computedRow = output.subarray(row * featureSize, (row + 1) * featureSize);
          for (const imageIndex of group) {
            features.set(computedRow, imageIndex * featureSize);
            vectors[imageIndex] = rowOf(imageIndex);
          }
          vector = rowOf(group[0]);
        } else {
          vector = output.slice(row * featureSize, (row + 1) * featureSize);
          for (const imageIndex of group) vectors[imageIndex] = vector;
        }
        writes.push(
          cache.put(keys[group[0]], vector).catch(() => {
            cacheWriteFailures++;
          }),
        );
      }
      // Writes finish in the background (they never reject): the next forward pass need not wait.
      cacheWrites.push(...writes);
      for (let row = 0; row < count; row++) computed += work[members[row]].length;
      report(false);
    };

    try {
      while (consumed < work.length) {
        const buffer = buffers[which];
        const members: number[] = [];
        while (members.length < batchSize && consumed < work.length) {
          pump();
          const outcome = await raceAbort(pending[consumed] as Promise<DecodeOutcome>, signal);
          const groupIndex = consumed;
          pending[consumed] = undefined; // let the decoded pixels be collected
          consumed++;
          if (!outcome.ok) {
            for (const imageIndex of work[groupIndex]) failed.push({ path: images[imageIndex].path, message: outcome.message });
            report(false);
            continue;
          }
          buffer.set(outcome.pixels.data, members.length * pixelsPerImage);
          members.push(groupIndex);
        }
        pump();
        // The previous batch must finish before this one starts: it owns the other buffer's
        // successor, and extractors are not required to be re-entrant.
        if (inFlight) await raceAbort(inFlight, signal);
        inFlight = undefined;
        if (signal?.aborted) throw cancelledError(WHAT);
        if (members.length > 0) {
          inFlight = runBatch(buffer, members);
          // Avoid an unhandled rejection while the next batch is being assembled; the error
          // is still seen when `inFlight` is awaited.
          inFlight.catch(() => undefined);
          which = 1 - which;
        }
      }
      if (inFlight) await raceAbort(inFlight, signal);
      inFlight = undefined;
    } finally {
      // On cancel or error: let the running batch settle (its cache writes are atomic) and
      // drain outstanding decodes, so nothing touches the pool after it is closed.
      if (inFlight) await inFlight.catch(() => undefined);
      // Our own pool can drop its queue at once (queued decodes reject with CANCELLED).
      if (signal?.aborted && cancelDecodes) await cancelDecodes();
      await Promise.all(pending.filter((p): p is Promise<DecodeOutcome> => p !== undefined));
      await Promise.all(cacheWrites);
    }
  }
}
