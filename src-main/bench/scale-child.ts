/**
 * One large run in a process of its own, so its peak RSS is its own: scan a folder of class
 * folders (cold, then warm with the scan index), then bottlenecks for every image (cold, then
 * warm from the cache) with a stand-in extractor of 1,280 features (the forward pass is not
 * what grows; holding features, the scan's results and the cache's lookups are).
 * Usage: node scale-child.js <dataset folder> <work folder>; prints one JSON line.
 */
import path from 'node:path';
import { computeBottlenecks, createBottleneckCache } from '../core/bottlenecks/index.js';
import { scanDataset } from '../core/dataset/index.js';
import type { FeatureExtractor } from '../core/models/types.js';
import type { PreprocessSpec } from '../core/images/spec.js';

const FEATURES = 1280;
const spec: PreprocessSpec = { heightPx: 16, widthPx: 16, crop: 'squash', normalization: { kind: 'range', min: -1, max: 1 } };
const extractor: FeatureExtractor = {
  info: {
    id: 'scale-stand-in',
    name: 'stand-in extractor',
    origin: 'imported',
    format: 'layers',
    dir: '',
    spec,
    inputName: 'input',
    inputShape: [null, 16, 16, 3],
    bottleneckNode: 'pool',
    featureSize: FEATURES,
    outputNode: 'pool',
  },
  engine: 'stand-in',
  async extract(pixels, count) {
    const out = new Float32Array(count * FEATURES);
    const per = pixels.length / count;
    for (let n = 0; n < count; n++) for (let k = 0; k < FEATURES; k++) out[n * FEATURES + k] = pixels[n * per + (k % per)];
    return out;
  },
  dispose() {},
};

async function main(): Promise<void> {
  const [root, work] = process.argv.slice(2);
  if (!root || !work) throw new Error('usage: scale-child.js <dataset folder> <work folder>');
  const indexFile = path.join(work, 'scan-index.json');
  const cache = (): ReturnType<typeof createBottleneckCache> => createBottleneckCache({ dir: path.join(work, 'cache') });
  const t0 = performance.now();
  const cold = await scanDataset(root, { indexFile, validationPercent: 0, testPercent: 0 });
  const t1 = performance.now();
  const warm = await scanDataset(root, { indexFile, validationPercent: 0, testPercent: 0 });
  const t2 = performance.now();
  const images = warm.classes.flatMap((c) => c.images.map((i) => ({ path: i.path, contentHash: i.contentHash })));
  const first = await computeBottlenecks({ images, extractor, cache: cache(), modelFingerprint: 'scale' });
  const t3 = performance.now();
  const rssAfterCold = process.resourceUsage().maxRSS / 1024;
  const second = await computeBottlenecks({ images, extractor, cache: cache(), modelFingerprint: 'scale' });
  const t4 = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      files: cold.imageCount,
      scanColdMs: t1 - t0,
      scanWarmMs: t2 - t1,
      runColdMs: t3 - t2,
      runWarmMs: t4 - t3,
      computed: first.stats.computed,
      fromCacheWarm: second.stats.fromCache,
      rssAfterColdMb: rssAfterCold,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`scale run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
