/**
 * `npm run bench:label`: images per second of labelling a folder (`label --image_dir`) beside
 * computing bottlenecks for training (empty cache), for the same model (the shared
 * MobileNetV2 0.35 224 as an export with a 5-class head), photos (the shared
 * flower_photos_small) and engine (tfjs-wasm unless --engine says another TF.js backend).
 * Each is timed `--repeats` times (default 2), alternating; the best run counts.
 * Flags: --shared <dir>, --repeats n, --engine wasm|cpu|tensorflow.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeBottlenecks, createBottleneckCache } from '../core/bottlenecks/index.js';
import { labelFolder } from '../core/classify/folder.js';
import { loadLabelClassifier } from '../core/classify/label.js';
import { exportClassifier } from '../core/export/index.js';
import type { ModelInfo } from '../core/models/types.js';
import { loadLayersModelFromDir } from '../core/tf/file-io.js';
import { createHead } from '../core/training/index.js';
import { findSharedDir, listImages } from './dataset.js';
import { activateTfjs, createTfjsExtractor } from './engines.js';

type TfjsEngineId = Parameters<typeof activateTfjs>[0];

const MODEL_ID = 'mobilenet_v2_0.35_224';
const CLASSES = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'];

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { shared: { type: 'string' }, repeats: { type: 'string' }, engine: { type: 'string' } }, strict: true });
  const shared = findSharedDir(values.shared);
  if (!shared) throw new Error('No shared/ folder beside the repository (or --shared <dir>): the benchmark needs its model and photos.');
  const flowers = path.join(shared, 'datasets', 'flower_photos_small');
  const modelDir = path.join(shared, 'models', MODEL_ID);
  const repeats = Math.max(1, Number(values.repeats ?? 2));
  const engine = `tfjs-${values.engine ?? 'wasm'}` as TfjsEngineId;
  const unavailable = await activateTfjs(engine);
  if (unavailable) throw new Error(`${engine} is not available: ${unavailable}`);

  const spec = { heightPx: 224, widthPx: 224, crop: 'center' as const, normalization: { kind: 'range' as const, min: -1, max: 1 } };
  const info: ModelInfo = {
    id: `bench-${MODEL_ID}`, name: MODEL_ID, origin: 'imported', format: 'layers', dir: modelDir, spec,
    inputName: 'input_1', inputShape: [null, 224, 224, 3], bottleneckNode: 'global_average_pooling2d', featureSize: 1280, outputNode: 'global_average_pooling2d',
  };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-bench-label-'));
  const extractor = createTfjsExtractor(await loadLayersModelFromDir(modelDir), info);
  const head = createHead(1280, CLASSES.length, 0, 1);
  const exportDir = path.join(tmp, 'export');
  await exportClassifier({ backbone: extractor.layersModel, head, info, classes: CLASSES, dir: exportDir, appVersion: 'bench' });
  head.dispose();
  const classifier = await loadLabelClassifier({ graph: exportDir });
  const images = await listImages(flowers);
  // Warm-up: the first forward pass compiles kernels.
  await extractor.extract(new Float32Array(224 * 224 * 3), 1);
  await classifier.predict(new Float32Array(224 * 224 * 3), 1);

  const best = { bottlenecks: 0, label: 0 };
  for (let round = 0; round < repeats; round++) {
    const cache = createBottleneckCache({ dir: path.join(tmp, `cache-${round}`) });
    const computed = await computeBottlenecks({ images, extractor, cache, modelFingerprint: 'bench' });
    best.bottlenecks = Math.max(best.bottlenecks, computed.stats.imagesPerSecond);
    const labelled = await labelFolder({ classifier, imageDir: flowers });
    best.label = Math.max(best.label, labelled.imagesPerSecond);
    process.stderr.write(`round ${round + 1}/${repeats}: bottlenecks ${computed.stats.imagesPerSecond.toFixed(1)}/s, label folder ${labelled.imagesPerSecond.toFixed(1)}/s\n`);
  }
  classifier.dispose();
  extractor.dispose();
  await rm(tmp, { recursive: true, force: true });
  const lines = [
    `${MODEL_ID}, ${images.length} photos of flower_photos_small, ${engine}, ${os.availableParallelism()} cores, best of ${repeats}:`,
    `  bottlenecks for training (empty cache): ${best.bottlenecks.toFixed(1)} images/s`,
    `  label --image_dir (export, batch 8):    ${best.label.toFixed(1)} images/s`,
    `label folder vs bottlenecks: ${(best.label / best.bottlenecks).toFixed(2)}×`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
