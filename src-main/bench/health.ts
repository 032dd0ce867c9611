/**
 * `npm run bench:health`: the data-health checks' speed and the near-duplicate threshold's
 * calibration on real photos.
 *
 * - speed: near-duplicate search (blocked matMul) over N random unit vectors of 1280 floats
 *   (pairs compared per second, projected time for 100k), and the 5-fold suspects at 10k;
 * - calibration (needs shared/ with flower_photos_small and MobileNetV2 0.35): cosine of
 *   every photo to a resized and re-compressed copy of itself (sharp), against the closest
 *   pairs of different photos.
 *
 * Flags: --sizes 10000,20000 (vectors), --kfold 10000 (images; 0 = skip), --shared DIR,
 * --no-calibration. Run from sources with `npx tsx src-main/bench/health.ts`.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import sharp from 'sharp';
import { computeBottlenecks, createBottleneckCache } from '../core/bottlenecks/index.js';
import { decodeImage } from '../core/images/index.js';
import { loadFeatureExtractor } from '../core/models/index.js';
import type { ModelInfo } from '../core/models/types.js';
import { createRandom } from '../core/random.js';
import { DEFAULT_DUPLICATE_THRESHOLD, findSimilarPairs, normaliseRows, outOfFoldProbabilities, rowDot } from '../core/health/index.js';
import { findSharedDir } from './dataset.js';

const FEATURES = 1280;

function randomUnitVectors(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const x = new Float32Array(count * FEATURES);
  // Non-negative like ReLU bottlenecks, so random pairs are as similar as real ones are (≈0.75), not ≈0.
  for (let i = 0; i < x.length; i++) x[i] = random();
  return normaliseRows(x, count, FEATURES);
}

async function speed(sizes: number[]): Promise<void> {
  for (const n of sizes) for (const engine of ['onnxruntime', 'tfjs'] as const) {
    const x = randomUnitVectors(n, n);
    const t0 = performance.now();
    const pairs = await findSimilarPairs(x, n, FEATURES, { threshold: DEFAULT_DUPLICATE_THRESHOLD, engine });
    const s = (performance.now() - t0) / 1000;
    const rate = pairs.comparisons / s;
    const projected = (100_000 * 99_999) / 2 / rate;
    console.log(`near-duplicates ${n} × ${FEATURES} (${pairs.engine === 'tfjs' ? `tfjs-${tf.getBackend()}` : pairs.engine}): ${s.toFixed(1)} s, ${(rate / 1e6).toFixed(1)} M pairs/s, ${pairs.count} pairs ≥ ${DEFAULT_DUPLICATE_THRESHOLD}; projected 100k: ${(projected / 60).toFixed(1)} min`);
  }
}

async function kfold(n: number): Promise<void> {
  const classes = 5;
  const random = createRandom(7);
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: FEATURES }, () => random() * 2));
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  const x = new Float32Array(n * FEATURES);
  for (let i = 0; i < n; i++) for (let k = 0; k < FEATURES; k++) x[i * FEATURES + k] = centres[labels[i]][k] * (0.5 + random());
  const t0 = performance.now();
  await outOfFoldProbabilities(x, labels, FEATURES, classes, { folds: 5, seed: 0 });
  console.log(`k-fold suspects ${n} images × ${FEATURES}, 5 folds × 300 steps (${tf.getBackend()}): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Rows minus the mean of the first `meanOf` rows. */
function centreRows(x: Float32Array, count: number, meanOf: number): Float32Array {
  const mean = new Float64Array(FEATURES);
  for (let i = 0; i < meanOf; i++) for (let k = 0; k < FEATURES; k++) mean[k] += x[i * FEATURES + k] / meanOf;
  return Float32Array.from(x, (v, i) => v - mean[i % FEATURES]);
}

const percentile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function calibration(sharedDir: string): Promise<void> {
  const info: ModelInfo = {
    id: 'mobilenet_v2_0.35_224', name: 'MobileNetV2 0.35 (shared)', origin: 'imported', format: 'layers',
    dir: path.join(sharedDir, 'models', 'mobilenet_v2_0.35_224'),
    spec: { heightPx: 224, widthPx: 224, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    inputName: 'input', inputShape: [null, 224, 224, 3], bottleneckNode: 'out_relu', featureSize: FEATURES, outputNode: 'out_relu',
  };
  const root = path.join(sharedDir, 'datasets', 'flower_photos_small');
  const originals: string[] = [];
  for (const c of (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of (await readdir(path.join(root, c))).filter((f) => f.endsWith('.jpg')).sort()) originals.push(path.join(root, c, f));
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rs-health-cal-'));
  try {
    // Copies as people make them: resized for the web and re-saved at a lower quality.
    const variants = [{ scale: 0.5, quality: 60 }, { scale: 0.75, quality: 75 }, { scale: 1, quality: 40 }];
    const copies: string[][] = variants.map(() => []);
    await mkdir(path.join(tmp, 'copies'));
    for (const [i, file] of originals.entries()) {
      const meta = await sharp(file).metadata();
      for (const [v, { scale, quality }] of variants.entries()) {
        const out = path.join(tmp, 'copies', `${i}-${v}.jpg`);
        await writeFile(out, await sharp(file).resize(Math.round((meta.width ?? 224) * scale)).jpeg({ quality }).toBuffer());
        copies[v].push(out);
      }
    }
    const all = [...originals, ...copies.flat()];
    const images = await Promise.all(all.map(async (p) => ({ path: p, contentHash: createHash('sha256').update(await readFile(p)).digest('hex') })));
    const extractor = await loadFeatureExtractor(info);
    const result = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir: path.join(tmp, 'cache') }), decode: (f, s) => decodeImage(f, s) });
    extractor.dispose();
    const n = originals.length;
    const x = new Float32Array(all.length * FEATURES);
    result.vectors.forEach((v, i) => x.set(v!, i * FEATURES));
    // Centred on the originals' mean feature: ReLU bottlenecks share a large common component
    // that makes unrelated photos look alike (median cosine 0.33 raw).
    const centred = centreRows(x, all.length, n);
    for (const [name, unit] of [['raw', normaliseRows(x, all.length, FEATURES)], ['centred', normaliseRows(centred, all.length, FEATURES)]] as const) {
      const copySims = variants.map((_, v) => Float64Array.from({ length: n }, (_, i) => rowDot(unit, i, unit, n * (v + 1) + i, FEATURES)));
      for (const t of [0.8, 0.85, 0.88, 0.9, 0.92]) {
        let falsePairs = 0;
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (rowDot(unit, i, unit, j, FEATURES) >= t) falsePairs++;
        const recall = copySims.map((sims) => `${((sims.filter((v) => v >= t).length / n) * 100).toFixed(0)}%`).join(' / ');
        console.log(`calibration (${name}) threshold ${t}: copies found ${recall} (${variants.map((v) => `${v.scale * 100}% q${v.quality}`).join(' / ')}); different-photo pairs over it: ${falsePairs} of ${(n * (n - 1)) / 2}`);
      }
      for (const [v, { scale, quality }] of variants.entries()) {
        const sims = Float64Array.from({ length: n }, (_, i) => rowDot(unit, i, unit, n * (v + 1) + i, FEATURES)).sort();
        console.log(`calibration (${name}): copy at ${scale * 100}% size, JPEG q${quality}: similarity to its original min ${sims[0].toFixed(3)}, 1st pct ${percentile(sims, 0.01).toFixed(3)}, 5th ${percentile(sims, 0.05).toFixed(3)}, median ${percentile(sims, 0.5).toFixed(3)} (${n} photos)`);
      }
      let best = { s: -2, i: 0, j: 0 };
      const distinct: number[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const s = rowDot(unit, i, unit, j, FEATURES);
          distinct.push(s);
          if (s > best.s) best = { s, i, j };
        }
      }
      const sorted = Float64Array.from(distinct).sort();
      console.log(`calibration (${name}): different photos (${sorted.length} pairs): max ${sorted[sorted.length - 1].toFixed(3)} (${path.relative(root, originals[best.i])} ~ ${path.relative(root, originals[best.j])}), 99.9th pct ${percentile(sorted, 0.999).toFixed(3)}, 99th ${percentile(sorted, 0.99).toFixed(3)}, median ${percentile(sorted, 0.5).toFixed(3)}`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { sizes: { type: 'string' }, kfold: { type: 'string' }, shared: { type: 'string' }, 'no-calibration': { type: 'boolean' } } });
await tf.setBackend('wasm');
await tf.ready();
const shared = findSharedDir(values.shared);
if (!values['no-calibration']) {
  if (shared) await calibration(shared);
  else console.log('calibration: no shared/ folder (pass --shared DIR); not measured.');
}
await speed((values.sizes ?? '10000').split(',').map(Number));
const k = Number(values.kfold ?? 10000);
if (k > 0) await kfold(k);
