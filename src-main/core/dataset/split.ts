import { createHash } from 'node:crypto';
import { CoreError } from '../errors.js';
import type { Split } from './types.js';

export type { Split } from './types.js';


/** retrain.py's MAX_NUM_IMAGES_PER_CLASS: the hash is reduced modulo this + 1. */
export const MAX_NUM_IMAGES_PER_CLASS = 2 ** 27 - 1;

/**
 * The part of a class-relative path that is hashed: NFC-normalised, posix separators, and
 * (retrain.py's rule) everything from `_nohash_` on removed, so `cat_nohash_1.jpg` and
 * `cat_nohash_2.jpg` are one photo for splitting.
 */
export function splitHashName(classRelativePath: string): string {
  return classRelativePath.normalize('NFC').replace(/\\/g, '/').replace(/_nohash_.*$/, '');
}

/**
 * retrain.py's percentage for a name: sha1 of the (UTF-8) hash name, modulo 2**27, scaled to
 * [0, 100]. Depends only on the path relative to the class folder, so moving or renaming the
 * dataset folder never reshuffles the split (retrain.py hashed the full path).
 */
export function splitPercentage(classRelativePath: string): number {
  const hex = createHash('sha1').update(splitHashName(classRelativePath), 'utf8').digest('hex');
  // int(hex, 16) % 2**27 only depends on the low 27 bits, i.e. the last 7 hex digits.
  const low = parseInt(hex.slice(-7), 16) % (MAX_NUM_IMAGES_PER_CLASS + 1);
  return low * (100 / MAX_NUM_IMAGES_PER_CLASS);
}

/** The split a percentage falls in: [0, v) validation, [v, v + t) test, the rest train. */
export function splitFromPercentage(percentage: number, validationPercent: number, testPercent: number): Split {
  if (percentage < validationPercent) return 'validation';
  if (percentage < validationPercent + testPercent) return 'test';
  return 'train';
}

/**
 * The hash-only split of one image (retrain.py's scheme, on the class-relative path). The
 * dataset scan may move a few images afterwards to keep every set non-empty; see `assignSplits`.
 */
export function splitFor(classRelativePath: string, validationPercent: number, testPercent: number): Split {
  return splitFromPercentage(splitPercentage(classRelativePath), validationPercent, testPercent);
}

/** Throws INVALID_ARGUMENT unless 0 <= validation, test and validation + test < 100. */
export function validateSplitPercents(validationPercent: number, testPercent: number): void {
  const ok = (v: number): boolean => Number.isFinite(v) && v >= 0 && v < 100;
  if (!ok(validationPercent) || !ok(testPercent) || validationPercent + testPercent >= 100) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `Validation and test percentages must each be 0 or more and add up to less than 100 (some images must be left for training); got validation ${validationPercent}, test ${testPercent}.`,
    );
  }
}

/** What `assignSplits` needs to know about an image of one class. */
export type SplitInput = { classRelativePath: string; contentHash: string };

const SPLIT_ORDER: Split[] = ['validation', 'test', 'train'];

/**
 * Assigns splits to the images of one class, in input order.
 *
 * 1. Images are grouped into "photos": same `_nohash_` name, or identical content (so a
 *    duplicate never sits in train while its copy sits in test). A group takes the percentage
 *    of its member with the smallest path.
 * 2. Each group's split comes from its percentage (retrain.py's scheme).
 * 3. With at least 3 groups, any set whose percentage is above 0 (train always) that came out
 *    empty receives the group whose percentage is closest to that set's range, taken from a
 *    set that has at least 2 groups (ties: smallest path). Sets are filled in the order
 *    validation, test, train. The result depends only on the class-relative paths and contents.
 */
export function assignSplits(images: SplitInput[], validationPercent: number, testPercent: number): Split[] {
  // Union-find over image indices.
  const parent = images.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const byName = new Map<string, number>();
  const byContent = new Map<string, number>();
  images.forEach((image, i) => {
    const name = splitHashName(image.classRelativePath);
    const n = byName.get(name);
    if (n === undefined) byName.set(name, i); else union(n, i);
    const c = byContent.get(image.contentHash);
    if (c === undefined) byContent.set(image.contentHash, i); else union(c, i);
  });

  type Group = { key: string; percentage: number; split: Split; members: number[] };
  const groups = new Map<number, Group>();
  images.forEach((image, i) => {
    const root = find(i);
    const key = image.classRelativePath.normalize('NFC');
    const group = groups.get(root);
    if (!group) groups.set(root, { key, percentage: 0, split: 'train', members: [i] });
    else {
      group.members.push(i);
      if (key < group.key) group.key = key;
    }
  });
  const list = [...groups.values()];
  for (const group of list) {
    group.percentage = splitPercentage(group.key);
    group.split = splitFromPercentage(group.percentage, validationPercent, testPercent);
  }

  if (list.length >= 3) {
    const ranges: Record<Split, [number, number]> = {
      validation: [0, validationPercent],
      test: [validationPercent, validationPercent + testPercent],
      train: [validationPercent + testPercent, Infinity],
    };
    const wanted: Record<Split, boolean> = { validation: validationPercent > 0, test: testPercent > 0, train: true };
    for (const target of SPLIT_ORDER) {
      if (!wanted[target]) continue;
      const count = (s: Split): number => list.filter((g) => g.split === s).length;
      if (count(target) > 0) continue;
      const [low, high] = ranges[target];
      const distance = (p: number): number => (p < low ? low - p : p >= high ? p - high : 0);
      let best: Group | undefined;
      for (const g of list) {
        if (g.split === target || count(g.split) < 2) continue;
        const d = distance(g.percentage), bd = best ? distance(best.percentage) : Infinity;
        if (!best || d < bd || (d === bd && g.key < best.key)) best = g;
      }
      if (best) best.split = target;
    }
  }

  const result: Split[] = new Array(images.length);
  for (const group of list) for (const i of group.members) result[i] = group.split;
  return result;
}
