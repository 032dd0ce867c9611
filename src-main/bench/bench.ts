/**
 * `npm run bench`: how fast Retrain Studio computes bottlenecks on this machine, per engine
 * and model, as numbers and ratios; against a tuned PyTorch script when a Python with torch is
 * found (bench/peers/); cold cost at 200/1,000/3,000 images; scan and run at 10k (100k with
 * --scale) files with peak memory. Progress goes to stderr; the report to stdout, ending with
 * `end-to-end bottlenecks vs tuned PyTorch: <N.NN>×` (or why it was skipped).
 *
 * Flags: --quick (fewer repeats and images, no Inception unless asked, no scale runs), --models a,b,
 * --engines x,y (wasm, cpu, tensorflow, onnx, onnx1 = ONNX Runtime on one thread), --shared <dir>,
 * --repeats <n>, --images <n>, --photos <dir> (another folder of photos), --skip-peer, --scale.
 * The peer's Python: $RETRAIN_BENCH_PYTHON, /tmp/torchvenv/bin/python, or python3.
 * Run from sources with `npx tsx src-main/bench/bench.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { computeBottlenecks, createBottleneckCache } from '../core/bottlenecks/index.js';
import { createDecodePool, decodeImage, type DecodePool, type PreprocessSpec } from '../core/images/index.js';
import type { FeatureExtractor, ModelInfo } from '../core/models/types.js';
import { loadLayersModelFromDir } from '../core/tf/file-io.js';
import { ARCHITECTURES, loadSharedArchitecture, SHARED_ARCHITECTURES } from './architectures.js';
import { headTrainingReport } from './head-training.js';
import { findSharedDir, listImages, makeSyntheticImages, type BenchImage } from './dataset.js';
import {
  activateTfjs,
  createOnnxExtractor,
  createTfjsExtractor,
  ENGINE_ALIASES,
  isTfjsEngine,
  libraryVersions,
  loadOnnx,
  probeEngines,
  type EngineId,
  type EngineStatus,
} from './engines.js';
import { collectGarbage, formatRate, formatRatio, mapConcurrent, median, peakRssMb, renderTable, timeMs } from './measure.js';
import { compareWithPeer, makeDistinctCopies, measureGrowth, measureScale, renderComparisons, type GrowthPoint, type PeerComparison, type ScaleResult } from './compare.js';
import { findTorchPython } from './peer.js';

// ───────────────────────────── options ─────────────────────────────

type BenchOptions = {
  quick: boolean;
  models?: string[];
  engines: EngineId[];
  sharedDir?: string;
  repeats: number;
  maxImages: number;
  photos?: string;
  skipPeer: boolean;
  scale: boolean;
};

const ALL_ENGINES: EngineId[] = ['tfjs-wasm', 'tfjs-cpu', 'tfjs-tensorflow', 'onnxruntime', 'onnxruntime-1t'];
const REAL_MODEL_ID = 'mobilenet_v2_0.35_224';
const BATCH_SIZES = [8, 16, 32];
/** The model whose end-to-end ratio makes the last line, in order of preference. */
const REFERENCE_MODELS = ['mobilenet_v2_1.0_224', REAL_MODEL_ID, 'mobilenet_v1_0.50_224', 'inception_v3'];

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      models: { type: 'string' },
      engines: { type: 'string' },
      shared: { type: 'string' },
      repeats: { type: 'string' },
      images: { type: 'string' },
      photos: { type: 'string' },
      'skip-peer': { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'Usage: bench [--quick] [--models a,b] [--engines x,y] [--shared <dir>] [--repeats n] [--images n]',
        `  models:  ${[...ARCHITECTURES.map((a) => a.id), REAL_MODEL_ID, ...SHARED_ARCHITECTURES.map((a) => a.id)].join(', ')}`,
        `  engines: wasm, cpu, tensorflow, onnx, onnx1 (ONNX Runtime on 1 thread)`,
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const list = (value: string | undefined): string[] | undefined =>
    value
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const engines = list(values.engines)?.map((name) => {
    const id = ENGINE_ALIASES[name.toLowerCase()];
    if (!id) throw new Error(`Unknown engine '${name}'. Use: wasm, cpu, tensorflow, onnx, onnx1.`);
    return id;
  });
  const knownModels = new Set([...ARCHITECTURES.map((a) => a.id), REAL_MODEL_ID, ...SHARED_ARCHITECTURES.map((a) => a.id)]);
  const models = list(values.models);
  for (const m of models ?? []) {
    if (!knownModels.has(m)) throw new Error(`Unknown model '${m}'. Use: ${[...knownModels].join(', ')}.`);
  }
  const quick = values.quick ?? false;
  const positive = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1.`);
    return n;
  };
  return {
    quick,
    models,
    engines: engines ? [...new Set(engines)] : ALL_ENGINES,
    sharedDir: values.shared,
    repeats: positive(values.repeats, quick ? 1 : 3, 'repeats'),
    maxImages: positive(values.images, quick ? 48 : 200, 'images'),
    photos: values.photos,
    skipPeer: values['skip-peer'] ?? false,
    scale: values.scale ?? false,
  };
}

const log = (message: string): void => {
  process.stderr.write(`· ${message}\n`);
};

// ───────────────────────────── models ─────────────────────────────

type BenchModel = {
  id: string;
  name: string;
  note?: string;
  spec: PreprocessSpec;
  featureSize: number;
  load(): Promise<tf.LayersModel>;
};

function specFor(sizePx: number): PreprocessSpec {
  return { heightPx: sizePx, widthPx: sizePx, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } };
}

function modelInfo(model: BenchModel): ModelInfo {
  return {
    id: `bench-${model.id}`,
    name: model.name,
    origin: 'imported',
    format: 'layers',
    dir: '',
    spec: model.spec,
    inputName: 'input_1',
    inputShape: [null, model.spec.heightPx, model.spec.widthPx, 3],
    bottleneckNode: 'global_average_pooling2d',
    featureSize: model.featureSize,
    outputNode: 'global_average_pooling2d',
  };
}

function benchModels(options: BenchOptions, sharedDir: string | undefined): { models: BenchModel[]; notes: string[] } {
  const notes: string[] = [];
  const models: BenchModel[] = ARCHITECTURES.map((a) => ({
    id: a.id,
    name: `${a.name} (random weights)`,
    spec: specFor(a.sizePx),
    featureSize: a.featureSize,
    load: async () => a.build(),
  }));
  const realDir = sharedDir ? path.join(sharedDir, 'models', REAL_MODEL_ID) : undefined;
  if (realDir) {
    models.unshift({
      id: REAL_MODEL_ID,
      name: 'MobileNetV2-0.35-224 (real, shared)',
      spec: specFor(224),
      featureSize: 1280,
      load: () => loadLayersModelFromDir(realDir),
    });
  } else {
    notes.push(`${REAL_MODEL_ID}: no shared/ folder found (use --shared <dir>); the real model was not measured.`);
  }
  // Real pretrained models from shared/ (Inception v3 299 with real weights).
  for (const real of SHARED_ARCHITECTURES) {
    if (sharedDir) models.push({ id: real.id, name: real.name, spec: real.spec, featureSize: real.featureSize, load: () => loadSharedArchitecture(real, sharedDir) });
  }
  let selected = models;
  if (options.models) selected = models.filter((m) => options.models!.includes(m.id));
  else if (options.quick) selected = models.filter((m) => !m.id.startsWith('inception_v3'));
  if (options.models?.includes(REAL_MODEL_ID) && !realDir) notes.push(`${REAL_MODEL_ID} was asked for but shared/ is missing.`);
  if (!options.models && options.quick) notes.push('--quick: Inception v3 left out (ask for it with --models inception_v3,inception_v3_nsfwjs_299).');
  return { models: selected, notes };
}

// ───────────────────────────── measurements ─────────────────────────────

type ForwardResult = {
  batch1: number;
  perBatch: Map<number, number>;
  skipped: Map<number, string>;
  best: { batch: number; rate: number };
};

/** Repeats for a measurement that takes about `estimateMs`, keeping each one under ~20 s in total. */
function repeatsFor(estimateMs: number, repeats: number): number {
  return Math.max(1, Math.min(repeats, Math.floor(20_000 / Math.max(estimateMs, 1))));
}

function randomPixels(count: number): Float32Array {
  const out = new Float32Array(count);
  let seed = 42;
  for (let i = 0; i < count; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    out[i] = seed / 2 ** 31 - 1;
  }
  return out;
}

async function measureForward(
  extractor: FeatureExtractor,
  options: { batchSizes: number[]; repeats: number; maxCallMs: number },
): Promise<ForwardResult> {
  const { heightPx, widthPx } = extractor.info.spec;
  const perImage = heightPx * widthPx * 3;
  const pixels = randomPixels(perImage * Math.max(1, ...options.batchSizes));
  const one = pixels.subarray(0, perImage);

  // Each timed repeat runs enough calls to last about half a second (fast engines), or one call.
  const timedRate = async (input: Float32Array, batch: number, calls: number): Promise<number> => {
    const ms = await timeMs(async () => {
      for (let i = 0; i < calls; i++) await extractor.extract(input, batch);
    });
    return ((calls * batch) / ms) * 1000;
  };
  const callsFor = (callMs: number): number => Math.max(1, Math.min(50, Math.ceil(500 / Math.max(callMs, 0.1))));

  // Batch 1: two warm-ups (first-call compilation), then timed repeats.
  await extractor.extract(one, 1);
  const warmMs = await timeMs(() => extractor.extract(one, 1));
  const b1Calls = callsFor(warmMs);
  const b1Rates: number[] = [];
  for (let r = 0; r < repeatsFor(warmMs * b1Calls, options.repeats); r++) b1Rates.push(await timedRate(one, 1, b1Calls));
  const batch1 = median(b1Rates);

  const perBatch = new Map<number, number>();
  const skipped = new Map<number, string>();
  for (const batch of options.batchSizes) {
    const estimateMs = (batch / batch1) * 1000;
    if (estimateMs > options.maxCallMs) {
      skipped.set(batch, `~${(estimateMs / 1000).toFixed(0)} s a call`);
      continue;
    }
    const input = pixels.subarray(0, batch * perImage);
    // A separate warm-up only when cheap; slow calls are all timed.
    if (estimateMs < 3_000) await extractor.extract(input, batch);
    const calls = callsFor(estimateMs);
    const rates: number[] = [];
    for (let r = 0; r < repeatsFor(estimateMs * calls, options.repeats); r++) rates.push(await timedRate(input, batch, calls));
    perBatch.set(batch, median(rates));
  }
  let best = { batch: 1, rate: batch1 };
  for (const [batch, rate] of perBatch) if (rate > best.rate) best = { batch, rate };
  return { batch1, perBatch, skipped, best };
}

type EndToEndResult = { images: number; batch: number; cold: number; warm: number; failed: number; computedCold: number };

async function measureEndToEnd(
  extractor: FeatureExtractor,
  images: BenchImage[],
  options: { batchSize: number; repeats: number; estimateMs: number },
): Promise<EndToEndResult> {
  // The app's own configuration: computeBottlenecks creates its decode pool (one core left
  // to the forward pass, a whole batch queued to the workers).
  const cold: number[] = [];
  const warm: number[] = [];
  let failed = 0;
  let computedCold = 0;
  for (let r = 0; r < repeatsFor(options.estimateMs, options.repeats); r++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-cache-'));
    try {
      collectGarbage();
      const first = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir }), batchSize: options.batchSize });
      cold.push(first.stats.imagesPerSecond);
      failed = first.stats.failed;
      computedCold = first.stats.computed;
      const second = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir }), batchSize: options.batchSize });
      if (second.stats.computed !== 0) throw new Error(`warm run computed ${second.stats.computed} bottlenecks; expected all from the cache`);
      warm.push(second.stats.imagesPerSecond);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { images: images.length, batch: options.batchSize, cold: median(cold), warm: median(warm), failed, computedCold };
}

async function measureDecode(images: BenchImage[], pool: DecodePool, repeats: number): Promise<{ single: number; pooled: number; inFlight: number }> {
  const spec = specFor(224);
  const single: number[] = [];
  const pooled: number[] = [];
  const inFlight = pool.size * 2 + 2;
  // Warm both paths (sharp init, worker start-up).
  await decodeImage(images[0].path, spec);
  await mapConcurrent(images.slice(0, inFlight), inFlight, (image) => pool.decode(image.path, spec));
  for (let r = 0; r < repeats; r++) {
    single.push(
      (images.length /
        (await timeMs(async () => {
          for (const image of images) await decodeImage(image.path, spec);
        }))) *
        1000,
    );
    pooled.push((images.length / (await timeMs(() => mapConcurrent(images, inFlight, (image) => pool.decode(image.path, spec))))) * 1000);
  }
  return { single: median(single), pooled: median(pooled), inFlight };
}

/** A Dense softmax layer on 1280-d features, batch 100, SGD: steps/s on the active TF.js backend. */
async function measureHeadTraining(repeats: number, budgetMs: number): Promise<number> {
  const classes = 5;
  const model = tf.sequential({ layers: [tf.layers.dense({ units: classes, activation: 'softmax', inputShape: [1280], kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) })] });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const xs = tf.randomNormal([100, 1280], 0, 1, 'float32', 3);
  const ys = tf.tidy(() => tf.oneHot(tf.randomUniform([100], 0, classes, 'int32', 5) as tf.Tensor1D, classes));
  try {
    for (let i = 0; i < 3; i++) await model.trainOnBatch(xs, ys);
    const stepMs = await timeMs(() => model.trainOnBatch(xs, ys));
    const steps = Math.max(3, Math.min(500, Math.floor(budgetMs / Math.max(stepMs, 0.05))));
    const rates: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const ms = await timeMs(async () => {
        for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
      });
      rates.push((steps / ms) * 1000);
    }
    return median(rates);
  } finally {
    xs.dispose();
    ys.dispose();
    model.dispose();
  }
}

// ───────────────────────────── the run ─────────────────────────────

type Row = {
  model: BenchModel;
  engine: string;
  forward?: ForwardResult;
  endToEnd?: EndToEndResult;
  parity?: string;
  setupMs?: number;
  note?: string;
  rssMb: number;
};

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = performance.now();
  const notes: string[] = [];
  const tempDirs: string[] = [];
  const sharedDir = findSharedDir(options.sharedDir);
  if (options.sharedDir && !sharedDir) notes.push(`--shared ${options.sharedDir} does not exist.`);

  await activateTfjs('tfjs-wasm');
  const versions = libraryVersions();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine =
    `machine: ${cpu.trim()}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, ` +
    `Node ${process.version}, ${os.platform()}-${os.arch()}; ` +
    Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') +
    `; wasm SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}`;
  log(machine);

  // Images: the shared flower photos, else synthetic photos.
  let images: BenchImage[];
  let imageSource: string;
  const flowers = options.photos ? path.resolve(options.photos) : sharedDir ? path.join(sharedDir, 'datasets', 'flower_photos_small') : undefined;
  if (flowers) {
    images = await listImages(flowers);
    imageSource = options.photos ? `${flowers} (${images.length} photos)` : `shared/datasets/flower_photos_small (${images.length} photos)`;
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-images-'));
    tempDirs.push(dir);
    log('no shared/ dataset: writing synthetic 500×375 JPEGs');
    images = await makeSyntheticImages(dir, Math.min(options.maxImages, 100));
    imageSource = `${images.length} synthetic 500×375 JPEGs (shared/ not found)`;
  }
  images = images.slice(0, options.maxImages);

  const engines = await probeEngines(options.engines);
  for (const e of engines) log(`${e.id}: ${e.available ? 'available' : `unavailable (${e.reason})`}`);
  const available = engines.filter((e) => e.available).map((e) => e.id);
  const { models, notes: modelNotes } = benchModels(options, sharedDir);
  notes.push(...modelNotes);

  const torch = options.skipPeer ? { reason: '--skip-peer' } : await findTorchPython();
  log(torch.python ? `PyTorch peer: ${torch.python}` : `PyTorch peer skipped: ${torch.reason}`);
  // The comparison and growth lines use the app's default engine on the real model.
  const peerEngine = (['onnxruntime', 'tfjs-tensorflow', 'tfjs-wasm'] as EngineId[]).find((e) => available.includes(e));
  let comparison: PeerComparison | undefined;
  let growth: GrowthPoint[] = [];
  const scale: ScaleResult[] = [];

  const pool = createDecodePool();
  const rows: Row[] = [];
  const heads: Array<{ engine: string; stepsPerSecond?: number; note?: string }> = [];
  let decodeResult: { single: number; pooled: number; inFlight: number } | undefined;
  const onnxCacheDir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-onnx-'));
  tempDirs.push(onnxCacheDir);

  try {
    log(`decode + resize to 224×224 over ${images.length} images`);
    decodeResult = await measureDecode(images, pool, options.repeats);

    const smallest = models.find((m) => m.id === 'mobilenet_v1_0.50_224') ?? models.find((m) => m.id === REAL_MODEL_ID) ?? models[0];
    for (const model of models) {
      log(`${model.name}: building`);
      await activateTfjs('tfjs-wasm');
      const layersModel = await model.load();
      const base = createTfjsExtractor(layersModel, modelInfo(model));
      // Two real photos, preprocessed for this model, for the ONNX parity check.
      const parityImages = await Promise.all(images.slice(0, 2).map((image) => decodeImage(image.path, model.spec)));
      const parityPixels = new Float32Array(parityImages.length * parityImages[0].data.length);
      parityImages.forEach((image, i) => parityPixels.set(image.data, i * image.data.length));
      let wasmForward: ForwardResult | undefined;

      for (const engine of available) {
        collectGarbage();
        const isCpu = engine === 'tfjs-cpu';
        if (isCpu && model !== smallest) {
          continue;
        }
        let extractor: FeatureExtractor | undefined;
        let parity: string | undefined;
        let setupMs: number | undefined;
        let engineLabel: string = engine;
        try {
          if (isTfjsEngine(engine)) {
            const reason = await activateTfjs(engine);
            if (reason) throw new Error(reason);
            extractor = base;
          } else {
            await activateTfjs('tfjs-wasm');
            const { module: onnx } = await loadOnnx();
            let made: Awaited<ReturnType<typeof createOnnxExtractor>> | undefined;
            setupMs = await timeMs(async () => {
              made = await createOnnxExtractor(onnx!, base, {
                cacheDir: onnxCacheDir,
                parityPixels,
                parityCount: parityImages.length,
                ...(engine === 'onnxruntime-1t' ? { threads: 1 } : {}),
              });
            });
            if (!made?.extractor) {
              rows.push({ model, engine, note: `not convertible: ${made?.reason ?? 'unknown'}`, rssMb: peakRssMb() });
              continue;
            }
            extractor = made.extractor;
            engineLabel = engine === 'onnxruntime-1t' ? `${extractor.engine}-1thread` : extractor.engine;
            parity = made.parity
              ? `${made.parityFailure ? 'FAILED ' : ''}rel ${made.parity.maxRelativeError.toExponential(1)}, abs ${made.parity.maxAbsError.toExponential(1)}`
              : undefined;
          }

          log(`${model.name} on ${engineLabel}: forward pass`);
          const forward = await measureForward(extractor, {
            batchSizes: isCpu ? [8] : BATCH_SIZES,
            repeats: isCpu ? 1 : options.repeats,
            maxCallMs: options.quick ? 4_000 : 10_000,
          });
          if (engine === 'tfjs-wasm') wasmForward = forward;

          // Image count for end-to-end: ~10 s of work on tfjs-wasm for this model (same count for
          // every engine so ratios compare like with like); cpu gets a token run.
          const rateForCount = wasmForward?.best.rate ?? forward.best.rate;
          const targetSeconds = options.quick ? 3 : 10;
          let count = Math.max(16, Math.min(options.maxImages, Math.round((rateForCount * targetSeconds) / 8) * 8));
          if (isCpu) count = options.quick ? 8 : 16;
          count = Math.min(count, images.length);
          // The pipeline works in batches: use the fastest measured batch size of 8 or more.
          let batchSize = forward.best.batch;
          for (const [batch, rate] of forward.perBatch) if (batchSize === 1 || rate > (forward.perBatch.get(batchSize) ?? 0)) batchSize = batch;
          log(`${model.name} on ${engineLabel}: end-to-end over ${count} images (batch ${batchSize})`);
          const endToEnd = await measureEndToEnd(extractor, images.slice(0, count), {
            batchSize,
            repeats: isCpu ? 1 : options.repeats,
            estimateMs: (count / forward.best.rate) * 1000,
          });
          rows.push({
            model,
            engine: engineLabel,
            forward,
            endToEnd,
            parity,
            setupMs,
            note: isCpu ? `cpu: smallest model only, ${count} images, 1 repeat (it is very slow)` : undefined,
            rssMb: peakRssMb(),
          });
          if (model.id === REAL_MODEL_ID && engine === peerEngine && !comparison && decodeResult) {
            const copiesDir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-copies-'));
            tempDirs.push(copiesDir);
            const copies = await makeDistinctCopies(images, copiesDir, options.quick ? 1000 : 3000);
            growth = await measureGrowth(extractor, copies, options.quick ? [200, 1000] : [200, 1000, 3000], batchSize, log);
            comparison = await compareWithPeer(extractor, copies.slice(0, options.quick ? 400 : 1000), {
              python: torch.python,
              reason: torch.reason,
              repeats: options.quick ? 1 : Math.max(2, options.repeats),
              batchSize,
              log,
            });
          }
        } catch (error) {
          rows.push({ model, engine: engineLabel, note: `failed: ${(error as Error).message.split('\n')[0]}`, rssMb: peakRssMb() });
        } finally {
          if (extractor && extractor !== base) extractor.dispose();
        }
      }
      await activateTfjs('tfjs-wasm');
      base.dispose();
      collectGarbage();
    }

    for (const engine of available.filter(isTfjsEngine)) {
      const reason = await activateTfjs(engine);
      if (reason) {
        heads.push({ engine, note: reason });
        continue;
      }
      log(`head training on ${engine}`);
      heads.push({ engine, stepsPerSecond: await measureHeadTraining(options.repeats, engine === 'tfjs-cpu' ? 1_000 : 2_000) });
    }
    await activateTfjs('tfjs-wasm');
    if (!options.quick) {
      for (const files of options.scale ? [10_000, 100_000] : [10_000]) {
        try {
          scale.push(await measureScale(files, log));
        } catch (error) {
          notes.push((error as Error).message);
        }
      }
    }
  } finally {
    await pool.close();
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  }

  process.stdout.write(`${await headTrainingReport(options.quick ? { rounds: 1, steps: 1000 } : { rounds: options.repeats })}\n`); // head training vs PyTorch (head-training.ts)
  const comparisons = renderComparisons({ peer: comparison, growth, scale, peerSkipped: torch.reason ?? (peerEngine ? undefined : 'no engine available') });
  printReport({ options, machine, imageSource, engines, rows, heads, decodeResult, notes, comparisons, durationS: (performance.now() - startedAt) / 1000 });
}

// ───────────────────────────── report ─────────────────────────────

function printReport(report: {
  options: BenchOptions;
  machine: string;
  imageSource: string;
  engines: EngineStatus[];
  rows: Row[];
  heads: Array<{ engine: string; stepsPerSecond?: number; note?: string }>;
  decodeResult?: { single: number; pooled: number; inFlight: number };
  notes: string[];
  comparisons: { lines: string[]; last: string };
  durationS: number;
}): void {
  const { rows, decodeResult } = report;
  const out: string[] = [];
  const wasmRow = (model: BenchModel): Row | undefined => rows.find((r) => r.model === model && r.engine === 'tfjs-wasm' && r.forward);

  out.push('Retrain Studio benchmark');
  out.push(report.machine);
  out.push(
    `engines: ${report.engines.map((e) => (e.available ? e.id : `${e.id} (unavailable: ${e.reason})`)).join('; ')}`,
  );
  out.push(`images: ${report.imageSource}; medians of ${report.options.repeats} run(s)${report.options.quick ? ' (--quick)' : ''}`);
  out.push('');

  out.push('Forward pass to pooled features (images/s, random input)');
  out.push(
    renderTable(
      ['model', 'engine', 'b1', ...BATCH_SIZES.map((b) => `b${b}`), 'best', 'vs wasm', 'ONNX parity', 'setup'],
      rows.map((r) => {
        if (!r.forward) return [r.model.name, r.engine, r.note ?? '—'];
        const f = r.forward;
        const wasm = wasmRow(r.model)?.forward;
        return [
          r.model.name,
          r.engine,
          formatRate(f.batch1),
          ...BATCH_SIZES.map((b) => (f.perBatch.has(b) ? formatRate(f.perBatch.get(b)) : f.skipped.has(b) ? 'skip' : '—')),
          `${formatRate(f.best.rate)} @${f.best.batch}`,
          wasm ? formatRatio(f.best.rate / wasm.best.rate) : '—',
          r.parity ?? '',
          r.setupMs !== undefined ? `${(r.setupMs / 1000).toFixed(1)} s` : '',
        ];
      }),
    ),
  );
  const skippedAny = rows.some((r) => r.forward && r.forward.skipped.size > 0);
  if (skippedAny) out.push('skip = batch not run: one call would take longer than the time budget on this engine.');
  out.push('ONNX setup = convert + load + parity check on 2 photos (tolerance 1e-4 relative).');
  out.push('');

  if (decodeResult) {
    out.push('Decode + resize to 224×224 float (sharp)');
    out.push(
      renderTable(
        ['how', 'images/s'],
        [
          ['1 in flight, main thread', formatRate(decodeResult.single)],
          [`worker pool, ${decodeResult.inFlight} in flight`, formatRate(decodeResult.pooled)],
        ],
      ),
    );
    out.push('');
  }

  out.push('End-to-end bottlenecks (decode in worker pool + forward + cache write), images/s');
  const e2eRows = rows.filter((r) => r.endToEnd);
  out.push(
    renderTable(
      ['model', 'engine', 'images', 'batch', 'cold', 'warm', 'warm/cold', 'vs min', 'vs serial', 'vs wasm'],
      e2eRows.map((r) => {
        const e = r.endToEnd!;
        const wasm = wasmRow(r.model)?.endToEnd;
        const forwardRate = r.forward!.perBatch.get(e.batch) ?? r.forward!.best.rate;
        const decodeRate = decodeResult?.pooled ?? Infinity;
        const slower = Math.min(decodeRate, forwardRate);
        const serial = 1 / (1 / decodeRate + 1 / forwardRate);
        return [
          r.model.name,
          r.engine,
          `${e.images}${e.failed ? ` (${e.failed} failed)` : ''}`,
          String(e.batch),
          formatRate(e.cold),
          formatRate(e.warm),
          formatRatio(e.warm / e.cold),
          `${Math.round((e.cold / slower) * 100)}%`,
          `${Math.round((e.cold / serial) * 100)}%`,
          wasm ? formatRatio(e.cold / wasm.cold) : '—',
        ];
      }),
    ),
  );
  out.push('cold = empty cache; warm = all cache hits. vs min = cold ÷ min(decode with pool, forward at that batch): 100% = decode fully');
  out.push('hidden behind the forward pass (or vice versa). vs serial = cold ÷ (one after the other): over 100% = they overlap. On 2 cores');
  out.push('an engine using both cores (ONNX Runtime) competes with the decode workers, so "vs min" cannot reach 100% there.');
  for (const r of rows.filter((row) => row.note && row.endToEnd)) out.push(`note: ${r.model.name} on ${r.engine}: ${r.note}`);
  out.push('');

  out.push('Head training (Dense softmax on 1280-d features, batch 100, SGD)');
  out.push(renderTable(['engine', 'steps/s'], report.heads.map((h) => [h.engine, h.stepsPerSecond !== undefined ? formatRate(h.stepsPerSecond) : (h.note ?? '—')])));
  out.push('');

  out.push(...report.comparisons.lines);
  for (const note of report.notes) out.push(`note: ${note}`);
  out.push(`peak RSS: ${Math.round(peakRssMb())} MB; bench took ${report.durationS.toFixed(0)} s`);

  // The last line: the fastest engine against tfjs-wasm, end to end, on the reference model.
  const fastestAny = e2eRows.reduce<Row | undefined>((best, r) => (!best || r.endToEnd!.cold > best.endToEnd!.cold ? r : best), undefined);
  let last = `end-to-end bottlenecks, ${fastestAny?.engine ?? 'none'} vs tfjs-wasm: n/a (tfjs-wasm was not measured)`;
  for (const id of REFERENCE_MODELS) {
    const candidates = e2eRows.filter((r) => r.model.id === id);
    const wasm = candidates.find((r) => r.engine === 'tfjs-wasm');
    if (!wasm) continue;
    const fastest = candidates.reduce((best, r) => (r.endToEnd!.cold > best.endToEnd!.cold ? r : best), wasm);
    out.push(`reference for the last line: ${wasm.model.name}, cold cache, ${wasm.endToEnd!.images} images`);
    last = `end-to-end bottlenecks, ${fastest.engine} vs tfjs-wasm: ${(fastest.endToEnd!.cold / wasm.endToEnd!.cold).toFixed(1)}×`;
    break;
  }
  out.push(last);
  out.push(report.comparisons.last);
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
