/**
 * Data health on synthetic bottlenecks with planted problems: the checks must find what
 * was planted, and the same seed must give the same answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../../src-main/core/random.js';
import {
  assignFolds,
  classBalance,
  findSimilarPairs,
  normaliseRows,
  rowDot,
  runHealthChecks,
  type HealthImage,
  type HealthInput,
} from '../../../src-main/core/health/index.js';
import { useWasm } from '../../helpers/tf.js';

const D = 128;
const CLASSES = ['a', 'b', 'c', 'd'];
const PER_CLASS = 50;

type Planted = { input: HealthInput; mislabelled: string[]; leakage: string[][]; conflicting: string[][]; outliers: string[] };

/** Classes as noisy non-negative clusters (like ReLU bottlenecks), with planted problems. */
function plantedDataset(seed: number): Planted {
  const random = createRandom(seed);
  const centres = CLASSES.map(() => Float32Array.from({ length: D }, () => (random() < 0.3 ? 1 + random() : random() * 0.2)));
  const rows: Float32Array[] = [];
  const images: HealthImage[] = [];
  const splits = ['train', 'train', 'train', 'validation', 'test'] as const;
  const add = (path: string, label: number, vector: Float32Array, split: HealthImage['split'] = splits[images.length % 5], hash = path): void => {
    rows.push(vector);
    images.push({ path, label, split, contentHash: hash });
  };
  // Same-class cosine ≈ 0.65 (at most 0.78), other classes ≈ 0.45, as real bottlenecks of different photos: only copies pass the duplicate threshold.
  const sample = (c: number): Float32Array => Float32Array.from(centres[c], (v) => v * (0.5 + random()) + (random() < 0.3 ? random() * 3 : 0));
  CLASSES.forEach((name, c) => {
    for (let i = 0; i < PER_CLASS; i++) add(`${name}/${i}.jpg`, c, sample(c));
  });
  // Photos of one class filed under another.
  const mislabelled: string[] = [];
  for (let k = 0; k < 6; k++) {
    const truth = k % 4;
    const filed = (truth + 1 + (k % 3)) % 4;
    const path = `${CLASSES[filed]}/wrong-${k}.jpg`;
    add(path, filed, sample(truth));
    mislabelled.push(path);
  }
  // Near-copies (small perturbation) of train photos put in test: leakage.
  const leakage: string[][] = [];
  for (let k = 0; k < 3; k++) {
    const original = images.findIndex((im, i) => im.split === 'train' && i > k * 30 + 1);
    const copy = Float32Array.from(rows[original], (v) => v * (1 + (random() - 0.5) * 0.02));
    const path = `${CLASSES[images[original].label]}/copy-${k}.jpg`;
    add(path, images[original].label, copy, 'test');
    leakage.push([images[original].path, path].sort());
  }
  // A byte-identical file under another class: conflicting.
  const source = 7;
  add(`d/same-as-a7.jpg`, 3, rows[source], images[source].split, images[source].contentHash);
  const conflicting = [[images[source].path, 'd/same-as-a7.jpg'].sort()];
  // Frames that look like no class (a pattern on features no class uses).
  const outliers: string[] = [];
  const unused = Float32Array.from({ length: D }, (_, k) => (centres.every((c) => c[k] < 0.5) ? 2 : 0));
  for (let k = 0; k < 3; k++) {
    const path = `${CLASSES[k]}/blank-${k}.jpg`;
    add(path, k, Float32Array.from(unused, (v) => (random() < 0.5 ? v * (0.5 + random()) : 0) + random() * 0.05));
    outliers.push(path);
  }
  const features = new Float32Array(rows.length * D);
  rows.forEach((r, i) => features.set(r, i * D));
  return { input: { images, classes: CLASSES, features, featureSize: D }, mislabelled, leakage, conflicting, outliers };
}

describe('data health on planted synthetic features', () => {
  let planted: Planted;
  beforeAll(async () => {
    await useWasm();
    planted = plantedDataset(42);
  });

  it('ranks every planted mislabel among the top suspects with the true class suggested', async () => {
    const report = await runHealthChecks(planted.input, { seed: 1, stepsPerFold: 200 });
    const top = report.suspects.slice(0, 10).map((s) => s.path);
    const found = planted.mislabelled.filter((p) => top.includes(p));
    // Recall at 10 (6 planted among 215 images): a random ranking would find 0.3 on average.
    expect(found).toEqual(planted.mislabelled);
    for (const s of report.suspects.filter((s) => planted.mislabelled.includes(s.path))) {
      const k = Number(/wrong-(\d)/.exec(s.path)![1]);
      expect(s.suggested).toBe(CLASSES[k % 4]);
      expect(s.score).toBeGreaterThan(0.5);
    }
    // Scores are sorted, highest first.
    for (let i = 1; i < report.suspects.length; i++) expect(report.suspects[i - 1].score).toBeGreaterThanOrEqual(report.suspects[i].score);
  });

  it('finds the planted leakage and conflicting copies, with a fix', async () => {
    const report = await runHealthChecks(planted.input, { seed: 1, stepsPerFold: 50 });
    const groups = (kind: string): string[][] => report.duplicates.filter((g) => g.kind === kind).map((g) => g.paths);
    for (const pair of planted.leakage) expect(groups('leakage')).toContainEqual(pair);
    expect(groups('conflicting')).toEqual(planted.conflicting);
    const conflict = report.duplicates.find((g) => g.kind === 'conflicting')!;
    expect(conflict).toMatchObject({ exact: true, similarity: 1, labels: ['a', 'd'] });
    expect(report.duplicates.find((g) => g.kind === 'leakage')!.fix).toContain('_nohash_');
    expect(report.settings.duplicateThreshold).toBe(0.85);
  });

  it('flags the planted outliers and no ordinary image', async () => {
    const report = await runHealthChecks(planted.input, { seed: 1, stepsPerFold: 50 });
    expect(report.outliers.map((o) => o.path).sort()).toEqual(planted.outliers);
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const a = await runHealthChecks(planted.input, { seed: 3, stepsPerFold: 100 });
    const b = await runHealthChecks(planted.input, { seed: 3, stepsPerFold: 100 });
    expect(b.suspects).toEqual(a.suspects);
    expect(b.duplicates).toEqual(a.duplicates);
    const labels = Int32Array.from(planted.input.images, (im) => im.label);
    expect(assignFolds(labels, 4, 5, 3)).toEqual(assignFolds(labels, 4, 5, 3));
    expect(assignFolds(labels, 4, 5, 4)).not.toEqual(assignFolds(labels, 4, 5, 3));
    // Stratified: every fold holds 10 or 11 of each class's 50+.
    const fold = assignFolds(labels, 4, 5, 3);
    for (let c = 0; c < 4; c++) {
      const sizes = [0, 0, 0, 0, 0];
      labels.forEach((l, i) => l === c && sizes[fold[i]]++);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('findSimilarPairs', () => {
  it.each(['onnxruntime', 'tfjs'] as const)('equals a brute-force scan, across block edges (%s)', async (engine) => {
    await useWasm();
    const random = createRandom(9);
    const n = 37;
    const x = new Float32Array(n * 8);
    for (let i = 0; i < x.length; i++) x[i] = random();
    // Plant exact and near copies across blocks of 5.
    x.set(x.subarray(0, 8), 36 * 8);
    x.set(x.subarray(3 * 8, 4 * 8).map((v) => v * 1.001), 4 * 8);
    const unit = normaliseRows(x, n, 8);
    const pairs = await findSimilarPairs(unit, n, 8, { threshold: 0.9, blockRows: 5, engine });
    expect(pairs.engine).toBe(engine);
    const expected: string[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (rowDot(unit, i, unit, j, 8) >= 0.9) expected.push(`${i}-${j}`);
    const got = Array.from({ length: pairs.count }, (_, p) => `${pairs.a[p]}-${pairs.b[p]}`).sort();
    expect(got).toEqual(expected.sort());
    expect(got).toContain('0-36');
    expect(got).toContain('3-4');
    expect(pairs.comparisons).toBe((n * (n - 1)) / 2);
  });
});

describe('classBalance', () => {
  it('counts per class and split and warns at 3× imbalance', () => {
    const image = (label: number, split: HealthImage['split']): HealthImage => ({ path: `${label}`, label, split, contentHash: `${Math.random()}` });
    const balanced = classBalance([image(0, 'train'), image(0, 'test'), image(1, 'train'), image(1, 'test')], ['x', 'y']);
    expect(balanced.warnings).toEqual([]);
    expect(balanced.classes[0]).toEqual({ name: 'x', total: 2, train: 1, validation: 0, test: 1 });
    const skewed = classBalance([...Array.from({ length: 6 }, () => image(0, 'train')), image(1, 'train'), image(1, 'test')], ['x', 'y']);
    expect(skewed.ratio).toBe(3);
    expect(skewed.warnings[0]).toContain('imbalanced: x has 6 images, y 2');
    expect(skewed.warnings[1]).toContain('No test image in x');
  });
});
