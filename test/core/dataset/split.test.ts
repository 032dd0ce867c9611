import { describe, expect, it } from 'vitest';
import {
  assignSplits,
  splitFor,
  splitHashName,
  splitPercentage,
  validateSplitPercents,
  type Split,
} from '../../../src-main/core/dataset/index.js';

describe('splitPercentage (retrain.py formula)', () => {
  it('matches values computed with retrain.py code in Python', () => {
    // python: (int(hashlib.sha1(name.encode()).hexdigest(), 16) % 2**27) * (100.0 / (2**27 - 1))
    expect(splitPercentage('a.jpg')).toBeCloseTo(81.5861566482943, 10);
    expect(splitPercentage('sub/b.png')).toBeCloseTo(65.09145621278476, 10);
    expect(splitPercentage('cat')).toBeCloseTo(50.73477067600764, 10);
    expect(splitPercentage('Ünïcode.jpg')).toBeCloseTo(96.63697925684585, 10);
  });

  it('ignores everything from _nohash_ on, so variants of one photo share a split', () => {
    expect(splitHashName('cat_nohash_1.jpg')).toBe('cat');
    expect(splitPercentage('cat_nohash_1.jpg')).toBe(splitPercentage('cat'));
    expect(splitPercentage('cat_nohash_2.jpg')).toBe(splitPercentage('cat_nohash_1.jpg'));
    for (let i = 0; i < 50; i++) {
      expect(splitFor(`photo${i}_nohash_a.jpg`, 30, 30)).toBe(splitFor(`photo${i}_nohash_b.png`, 30, 30));
    }
  });

  it('uses posix separators and NFC so the same file hashes alike on every OS', () => {
    expect(splitPercentage('sub\\b.png')).toBe(splitPercentage('sub/b.png'));
    expect(splitPercentage('Ünïcode.jpg'.normalize('NFD'))).toBe(splitPercentage('Ünïcode.jpg'.normalize('NFC')));
  });

  it('roughly honours the percentages over 1000 names', () => {
    const counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 1000; i++) counts[splitFor(`image_${i}.jpg`, 10, 20)]++;
    expect(counts.validation).toBeGreaterThan(65);
    expect(counts.validation).toBeLessThan(135);
    expect(counts.test).toBeGreaterThan(155);
    expect(counts.test).toBeLessThan(245);
    expect(counts.train).toBe(1000 - counts.validation - counts.test);
  });

  it('validates percentages', () => {
    expect(() => validateSplitPercents(10, 10)).not.toThrow();
    expect(() => validateSplitPercents(0, 0)).not.toThrow();
    expect(() => validateSplitPercents(60, 40)).toThrow(/less than 100/);
    expect(() => validateSplitPercents(-1, 10)).toThrow();
  });
});

describe('assignSplits', () => {
  const images = (n: number, prefix = 'img'): { classRelativePath: string; contentHash: string }[] =>
    Array.from({ length: n }, (_, i) => ({ classRelativePath: `${prefix}${i}.jpg`, contentHash: `${prefix}-hash-${i}` }));

  it('matches the plain hash split when every set is already non-empty', () => {
    const list = images(200);
    const splits = assignSplits(list, 10, 10);
    expect(splits).toEqual(list.map((image) => splitFor(image.classRelativePath, 10, 10)));
  });

  it('guarantees non-empty train, validation and test sets from 3 images on', () => {
    for (let n = 3; n <= 12; n++) {
      for (const prefix of ['a', 'b', 'c', 'd']) {
        const list = images(n, prefix);
        const splits = assignSplits(list, 10, 10);
        expect(new Set(splits), `${n} ${prefix}`).toEqual(new Set(['train', 'validation', 'test']));
        // Only the minimum is moved: at most one image per empty set.
        const moved = splits.filter((s, i) => s !== splitFor(list[i].classRelativePath, 10, 10)).length;
        expect(moved).toBeLessThanOrEqual(2);
      }
    }
  });

  it('is deterministic and independent of input order', () => {
    const list = images(7, 'x');
    const forward = assignSplits(list, 10, 10);
    const reversed = assignSplits([...list].reverse(), 10, 10).reverse();
    expect(reversed).toEqual(forward);
  });

  it('does not create a set whose percentage is 0', () => {
    const splits = assignSplits(images(10), 0, 10);
    expect(splits).not.toContain('validation');
    expect(splits).toContain('test');
  });

  it('leaves classes with fewer than 3 distinct photos as hashed', () => {
    expect(assignSplits(images(2), 10, 10)).toEqual(images(2).map((image) => splitFor(image.classRelativePath, 10, 10)));
    // 5 variants of one photo count as one.
    const variants = Array.from({ length: 5 }, (_, i) => ({ classRelativePath: `dog_nohash_${i}.jpg`, contentHash: `h${i}` }));
    expect(new Set(assignSplits(variants, 10, 10)).size).toBe(1);
  });

  it('keeps identical files (same content hash) in one split', () => {
    const list = images(40);
    const withCopies = [...list, ...list.slice(0, 10).map((image) => ({ classRelativePath: `copies/${image.classRelativePath}`, contentHash: image.contentHash }))];
    const splits = assignSplits(withCopies, 20, 20);
    for (let i = 0; i < 10; i++) expect(splits[40 + i]).toBe(splits[i]);
  });
});
