/**
 * Near-duplicates: every pair of images whose L2-normalised features have cosine similarity
 * ≥ a threshold, by blocked matrix products (ONNX Runtime Gemm, or TF.js matMul, of row blocks; the similarities of
 * one block pair are scanned in a Float32Array, never as JS objects), joined into groups
 * with byte-identical files, and classified as leakage, conflicting or redundant.
 */
import { cancelledError } from '../errors.js';
import type { Split } from '../dataset/types.js';
import type { DuplicateGroup, DuplicateKind, HealthImage } from './types.js';
import { createBlockProduct } from './similarity-product.js';

/**
 * Default cosine threshold, calibrated on MobileNetV2 0.35 bottlenecks (1280 ReLU features,
 * not centred: centring separated worse) of the 200 flower_photos_small photos against copies
 * made with sharp (`npm run bench:health`, measured 2026-12-04). Share of copies at or above
 * the threshold, for copies at 75% size JPEG q75 / 100% size q40 / 50% size q60, and pairs of
 * *different* photos above it (of 19,900):
 *   0.80: 97% / 99% / 32%, 15 pairs · 0.85: 85% / 93% / 16%, 4 pairs · 0.88: 68% / 85% / 10%, 1 pair · 0.90: 56% / 75% / 3%, 0.
 * 0.85 finds most re-saved and mildly resized copies at a false-pair rate of 2 in 10,000
 * (the closest different photos, 0.891, are two near-identical dandelion shots). Halving a
 * 320-px photo is beyond what these features can tell from a look-alike.
 */
export const DEFAULT_DUPLICATE_THRESHOLD = 0.85;

/** Pairs are kept in growable typed arrays; past this many the search stops (and says so). */
export const DEFAULT_MAX_PAIRS = 5_000_000;

export type SimilarPairs = { a: Int32Array; b: Int32Array; similarity: Float32Array; count: number; truncated: boolean; comparisons: number; engine: 'onnxruntime' | 'tfjs' };

export type SimilarPairsOptions = {
  threshold?: number;
  /** Rows per block of the product. Default 1024 (a 1024×2048 block of similarities is 8 MB). */
  blockRows?: number;
  maxPairs?: number;
  /** Who multiplies the blocks: ONNX Runtime when it loads (`auto`, the default), or TF.js. */
  engine?: 'auto' | 'onnxruntime' | 'tfjs';
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
};

class PairBuffer {
  a = new Int32Array(1024);
  b = new Int32Array(1024);
  s = new Float32Array(1024);
  count = 0;
  push(a: number, b: number, s: number): void {
    if (this.count === this.a.length) {
      const grow = <T extends Int32Array | Float32Array>(old: T, make: (n: number) => T): T => {
        const next = make(old.length * 2);
        next.set(old);
        return next;
      };
      this.a = grow(this.a, (n) => new Int32Array(n));
      this.b = grow(this.b, (n) => new Int32Array(n));
      this.s = grow(this.s, (n) => new Float32Array(n));
    }
    this.a[this.count] = a;
    this.b[this.count] = b;
    this.s[this.count] = s;
    this.count++;
  }
}

/**
 * Speed (`npm run bench:health`, 10,000 random unit vectors of 1280, this 2-core machine shared
 * with other jobs): ONNX Runtime 2.4 s = 21 M pairs/s; 100,000 vectors measured in 176 s
 * (28.5 M pairs/s). tfjs-wasm: 10,000 in 6.2–6.9 s = 7–8 M pairs/s, projected 10–12 min for 100,000.
 *
 * Every pair (a < b) of rows of `normalised` (unit rows, `[count, featureSize]`) with dot
 * product ≥ threshold. Row block × column block products, only the upper triangle.
 * Blocks are multiplied by ONNX Runtime, or TF.js (see similarity-product.ts).
 */
export async function findSimilarPairs(normalised: Float32Array, count: number, featureSize: number, options: SimilarPairsOptions = {}): Promise<SimilarPairs> {
  const threshold = options.threshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  const blockRows = options.blockRows ?? 1024;
  // Wider column blocks mean fewer round trips to the backend for the same memory.
  const blockCols = blockRows * 2;
  const maxPairs = options.maxPairs ?? DEFAULT_MAX_PAIRS;
  const pairs = new PairBuffer();
  let truncated = false;
  let comparisons = 0;
  const totalComparisons = (count * (count - 1)) / 2;
  const rowsOf = (start: number, end: number): Float32Array => normalised.subarray(start * featureSize, end * featureSize);
  const product = await createBlockProduct(featureSize, options.engine);
  try {
    outer: for (let r0 = 0; r0 < count; r0 += blockRows) {
      const r1 = Math.min(count, r0 + blockRows);
      for (let c0 = r0; c0 < count; c0 += blockCols) {
        if (options.signal?.aborted) throw cancelledError('Near-duplicate search');
        const c1 = Math.min(count, c0 + blockCols);
        const width = c1 - c0;
        const sims = await product.run(rowsOf(r0, r1), r1 - r0, rowsOf(c0, c1), width, featureSize);
        for (let r = r0; r < r1; r++) {
          const base = (r - r0) * width;
          // Upper triangle only: in the diagonal block start right of the diagonal.
          const from = Math.max(c0, r + 1);
          for (let c = from; c < c1; c++) {
            const s = sims[base + c - c0];
            if (s >= threshold) {
              if (pairs.count >= maxPairs) {
                truncated = true;
                break outer;
              }
              pairs.push(r, c, s);
            }
          }
          comparisons += Math.max(0, c1 - from);
        }
        options.onProgress?.(comparisons, totalComparisons);
      }
    }
  } finally {
    await product.dispose();
  }
  return { a: pairs.a.subarray(0, pairs.count), b: pairs.b.subarray(0, pairs.count), similarity: pairs.s.subarray(0, pairs.count), count: pairs.count, truncated, comparisons, engine: product.engine };
}

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/** The fix that keeps the split honest, for a person. */
function fixFor(kind: DuplicateKind, paths: string[], labels: string[]): string {
  if (kind === 'conflicting') return `One photo filed under ${labels.join(' and ')}: keep it in the right class and exclude the other ${paths.length - 1 === 1 ? 'copy' : `${paths.length - 1} copies`}.`;
  if (kind === 'leakage') {
    const first = paths[0].split('/').pop() ?? paths[0];
    const stem = first.replace(/\.[^.]+$/, '').replace(/_nohash_.*$/, '');
    // The split hashes the class-relative path up to `_nohash_`: every copy (the first too) needs the same stem in the same folder.
    return `The same photo is in more than one split, so the test sees what training saw: exclude all but ${paths[0]}, or rename all ${paths.length} to ${stem}_nohash_0, ${stem}_nohash_1, … in one folder so the split keeps them together.`;
  }
  return `Copies of one photo in one split: exclude all but ${paths[0]} (they add no information and weigh the photo more).`;
}

/**
 * Groups (connected components) of the pairs and of identical content hashes, each
 * classified: `conflicting` when the labels differ, else `leakage` when the splits differ,
 * else `redundant`. Sorted by kind (conflicting, leakage, redundant), then similarity
 * descending, then first path.
 */
export function groupDuplicates(images: HealthImage[], classes: string[], pairs: Pick<SimilarPairs, 'a' | 'b' | 'similarity' | 'count'>): DuplicateGroup[] {
  const n = images.length;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const union = (x: number, y: number): void => {
    const rx = find(parent, x);
    const ry = find(parent, y);
    if (rx !== ry) parent[Math.max(rx, ry)] = Math.min(rx, ry);
  };
  for (let p = 0; p < pairs.count; p++) union(pairs.a[p], pairs.b[p]);
  const byHash = new Map<string, number>();
  images.forEach((image, i) => {
    const first = byHash.get(image.contentHash);
    if (first === undefined) byHash.set(image.contentHash, i);
    else union(first, i);
  });
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = find(parent, i);
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }
  const minSim = new Map<number, number>();
  for (let p = 0; p < pairs.count; p++) {
    const root = find(parent, pairs.a[p]);
    minSim.set(root, Math.min(minSim.get(root) ?? 1, pairs.similarity[p]));
  }
  const order: Record<DuplicateKind, number> = { conflicting: 0, leakage: 1, redundant: 2 };
  const groups: DuplicateGroup[] = [];
  for (const [root, list] of members) {
    if (list.length < 2) continue;
    const unique = list.sort((x, y) => (images[x].path < images[y].path ? -1 : images[x].path > images[y].path ? 1 : 0));
    const paths = unique.map((i) => images[i].path);
    const splits = unique.map((i) => images[i].split);
    const labels = unique.map((i) => classes[images[i].label]);
    const distinctLabels = [...new Set(labels)];
    const kind: DuplicateKind = distinctLabels.length > 1 ? 'conflicting' : new Set<Split>(splits).size > 1 ? 'leakage' : 'redundant';
    const exact = unique.every((i) => images[i].contentHash === images[unique[0]].contentHash);
    groups.push({ paths, similarity: exact ? 1 : Math.min(1, minSim.get(root) ?? 1), kind, exact, splits, labels, fix: fixFor(kind, paths, distinctLabels) });
  }
  return groups.sort((x, y) => order[x.kind] - order[y.kind] || y.similarity - x.similarity || (x.paths[0] < y.paths[0] ? -1 : 1));
}
