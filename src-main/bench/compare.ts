/**
 * The bench's comparisons beyond one engine: against the tuned PyTorch peer (interleaved on the
 * same photos), cold bottlenecks at growing image counts, and a large scan + run in a child
 * process for its peak memory.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { computeBottlenecks, createBottleneckCache, threadBudget } from '../core/bottlenecks/index.js';
import { createDecodePool } from '../core/images/index.js';
import type { FeatureExtractor } from '../core/models/types.js';
import type { BenchImage } from './dataset.js';
import { collectGarbage, formatRate, mapConcurrent, median, peakRssMb, renderTable, timeMs } from './measure.js';
import { runTorchPeer, type PeerResult } from './peer.js';

/** Images per second of one cold computeBottlenecks run (empty cache) with the app's defaults. */
export async function coldRate(extractor: FeatureExtractor, images: BenchImage[], batchSize: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-cold-'));
  try {
    collectGarbage();
    const result = await computeBottlenecks({ images, extractor, cache: createBottleneckCache({ dir }), batchSize, modelFingerprint: 'bench' });
    return result.stats.imagesPerSecond;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `count` distinct files made from `sources` (each copy gets 8 bytes after its end, which
 * decoders ignore, so every copy has its own hash and nothing is a cache hit or a duplicate).
 */
export async function makeDistinctCopies(sources: BenchImage[], dir: string, count: number): Promise<BenchImage[]> {
  await mkdir(dir, { recursive: true });
  const bytes = await Promise.all(sources.map((s) => readFile(s.path)));
  const out: BenchImage[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % sources.length;
    const copy = Buffer.concat([bytes[k], Buffer.from(String(i).padStart(8, '0'))]);
    const file = path.join(dir, `copy-${String(i).padStart(6, '0')}${path.extname(sources[k].path)}`);
    await writeFile(file, copy);
    out.push({ path: file, contentHash: createHash('sha256').update(copy).digest('hex'), bytes: copy.length });
  }
  return out;
}

export type PeerComparison = {
  images: number;
  engine: string;
  app: { decodeOnly: number; forwardOnly: number; endToEnd: number };
  peer?: PeerResult;
  reason?: string;
};

/** The app's decode-only ceiling: its default pool for this engine, every photo, results dropped. */
async function appDecodeOnly(extractor: FeatureExtractor, photos: BenchImage[]): Promise<number> {
  const budget = threadBudget(os.availableParallelism(), 'onnxruntime'); // decode-only: every core decodes
  const pool = createDecodePool({ workers: budget.decodeWorkers, inFlightPerWorker: budget.decodesPerWorker });
  try {
    const spec = extractor.info.spec;
    await mapConcurrent(photos.slice(0, pool.size * 2), pool.size * 2, (p) => pool.decode(p.path, spec)); // start the workers
    const inFlight = pool.size * budget.decodesPerWorker;
    return (photos.length / (await timeMs(() => mapConcurrent(photos, inFlight, (p) => pool.decode(p.path, spec))))) * 1000;
  } finally {
    await pool.close();
  }
}

/** The app's forward-only ceiling: `count` images through the extractor in batches, fixed input. */
async function appForwardOnly(extractor: FeatureExtractor, count: number, batchSize: number): Promise<number> {
  const { heightPx, widthPx } = extractor.info.spec;
  const input = new Float32Array(batchSize * heightPx * widthPx * 3).map((_, i) => ((i * 7919) % 255) / 127.5 - 1);
  await extractor.extract(input, batchSize);
  let done = 0;
  const ms = await timeMs(async () => {
    for (; done < count; done += batchSize) await extractor.extract(input, batchSize);
  });
  return (done / ms) * 1000;
}

/**
 * The app and the peer, alternating `repeats` times on the same photos; medians. Each round
 * measures the app's decode-only, forward-only and end-to-end rates, then the peer's three, so
 * a change of load on a shared machine hits both sides alike.
 */
export async function compareWithPeer(
  extractor: FeatureExtractor,
  photos: BenchImage[],
  options: { python?: string; reason?: string; repeats: number; batchSize: number; log: (line: string) => void },
): Promise<PeerComparison> {
  const app: number[] = [];
  const decodeOnly: number[] = [];
  const forwardOnly: number[] = [];
  const peers: PeerResult[] = [];
  let reason = options.reason;
  for (let r = 0; r < options.repeats; r++) {
    options.log(`vs PyTorch, round ${r + 1}/${options.repeats}: Retrain Studio on ${photos.length} photos`);
    decodeOnly.push(await appDecodeOnly(extractor, photos));
    forwardOnly.push(await appForwardOnly(extractor, photos.length, options.batchSize));
    app.push(await coldRate(extractor, photos, options.batchSize));
    if (!options.python) continue;
    options.log(`vs PyTorch, round ${r + 1}/${options.repeats}: tuned PyTorch on the same photos`);
    try {
      peers.push(await runTorchPeer(options.python, photos.map((p) => p.path), { threads: Math.min(2, os.availableParallelism()), workers: 2 }));
    } catch (error) {
      reason = (error as Error).message;
      break;
    }
  }
  const med = (pick: (p: PeerResult) => number): number => median(peers.map(pick));
  return {
    images: photos.length,
    engine: extractor.engine,
    app: { decodeOnly: median(decodeOnly), forwardOnly: median(forwardOnly), endToEnd: median(app) },
    peer: peers.length > 0 ? { ...peers[0], decodeOnly: med((p) => p.decodeOnly), forwardOnly: med((p) => p.forwardOnly), endToEnd: med((p) => p.endToEnd) } : undefined,
    reason: peers.length > 0 ? undefined : reason,
  };
}

export type GrowthPoint = { images: number; imagesPerSecond: number; msPerImage: number; peakRssMb: number };

/** Cold bottlenecks at each count (the first `n` of `photos`): the cost per image should stay flat. */
export async function measureGrowth(extractor: FeatureExtractor, photos: BenchImage[], sizes: number[], batchSize: number, log: (line: string) => void): Promise<GrowthPoint[]> {
  const out: GrowthPoint[] = [];
  for (const n of sizes.filter((s) => s <= photos.length)) {
    log(`growth: cold bottlenecks for ${n} photos`);
    const rate = await coldRate(extractor, photos.slice(0, n), batchSize);
    out.push({ images: n, imagesPerSecond: rate, msPerImage: 1000 / rate, peakRssMb: peakRssMb() });
  }
  return out;
}

export type ScaleResult = {
  files: number;
  scanColdMs: number;
  scanWarmMs: number;
  runColdMs: number;
  runWarmMs: number;
  peakRssMb: number;
};

/** Writes `count` tiny distinct JPEGs in 10 class folders under `dir`. */
async function writeTinyDataset(dir: string, count: number): Promise<void> {
  const bases: Buffer[] = [];
  for (let i = 0; i < 10; i++) bases.push(await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 20 * i, g: 100, b: 255 - 20 * i } } }).jpeg().toBuffer());
  for (let c = 0; c < 10; c++) await mkdir(path.join(dir, `class${c}`), { recursive: true });
  for (let i = 0; i < count; i++) {
    await writeFile(path.join(dir, `class${i % 10}`, `f${i}.jpg`), Buffer.concat([bases[Math.floor(i / 10) % 10], Buffer.from(String(i).padStart(8, '0'))]));
  }
}

/** A scan + bottleneck run over `count` files in a child process (scale-child.ts), for its own peak RSS. */
export async function measureScale(count: number, log: (line: string) => void): Promise<ScaleResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-scale-'));
  try {
    log(`scale: writing ${count} small files`);
    await writeTinyDataset(path.join(dir, 'data'), count);
    log(`scale: scan + bottlenecks of ${count} files in a child process`);
    const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scale-child.js');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [child, path.join(dir, 'data'), path.join(dir, 'work')], { timeout: 60 * 60_000, maxBuffer: 1 << 20 }, (error, out, err) => {
        if (error) reject(new Error(`scale run of ${count} files failed: ${String(err).trim() || error.message}`));
        else resolve(String(out));
      });
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as ScaleResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** 1 / (1/decode + 1/forward): both ceilings use every core, so perfect sharing of the cores gives this. */
export function bound(decodeOnly: number, forwardOnly: number): number {
  return 1 / (1 / decodeOnly + 1 / forwardOnly);
}

/** The report's lines for these sections; the last returned line is the bench's last line. */
export function renderComparisons(c: { peer?: PeerComparison; growth: GrowthPoint[]; scale: ScaleResult[]; peerSkipped?: string }): { lines: string[]; last: string } {
  const out: string[] = [];
  if (c.growth.length > 0) {
    out.push('Cost that grows right: cold bottlenecks by image count (distinct copies of the photos)');
    out.push(renderTable(['images', 'images/s', 'ms/image', 'peak RSS MB'], c.growth.map((g) => [String(g.images), formatRate(g.imagesPerSecond), g.msPerImage.toFixed(2), String(Math.round(g.peakRssMb))])));
    out.push('');
  }
  if (c.scale.length > 0) {
    out.push('Scan and run at scale (small JPEGs, child process, stand-in 1,280-feature extractor)');
    out.push(
      renderTable(
        ['files', 'scan cold', 'ms/file', 'scan warm', 'run cold', 'run warm', 'peak RSS MB'],
        c.scale.map((s) => [
          String(s.files),
          `${(s.scanColdMs / 1000).toFixed(1)} s`,
          (s.scanColdMs / s.files).toFixed(2),
          `${(s.scanWarmMs / 1000).toFixed(1)} s`,
          `${(s.runColdMs / 1000).toFixed(1)} s`,
          `${(s.runWarmMs / 1000).toFixed(1)} s`,
          String(Math.round(s.peakRssMb)),
        ]),
      ),
    );
    out.push('warm = unchanged files: the scan index answers (no read, hash or decode) and every bottleneck is a cache hit.');
    out.push('');
  }
  let last = `end-to-end bottlenecks vs tuned PyTorch: skipped (${c.peerSkipped ?? 'not measured'})`;
  const p = c.peer;
  if (p) {
    out.push(`Against a tuned PyTorch script (bench/peers/torch_extract.py), ${p.images} photos, interleaved, medians; images/s`);
    const rows: string[][] = [];
    const appBound = bound(p.app.decodeOnly, p.app.forwardOnly);
    rows.push([`Retrain Studio (${p.engine})`, formatRate(p.app.decodeOnly), formatRate(p.app.forwardOnly), formatRate(appBound), formatRate(p.app.endToEnd), `${Math.round((p.app.endToEnd / appBound) * 100)}%`]);
    if (p.peer) {
      const peerBound = bound(p.peer.decodeOnly, p.peer.forwardOnly);
      rows.push([`PyTorch ${p.peer.torch}`, formatRate(p.peer.decodeOnly), formatRate(p.peer.forwardOnly), formatRate(peerBound), formatRate(p.peer.endToEnd), `${Math.round((p.peer.endToEnd / peerBound) * 100)}%`]);
      const best = bound(Math.max(p.app.decodeOnly, p.peer.decodeOnly), Math.max(p.app.forwardOnly, p.peer.forwardOnly));
      rows.push(['machine bound (best decode + best forward)', '', '', formatRate(best), '', '']);
      out.push(renderTable(['who', 'decode only', 'forward only', 'bound', 'end to end', 'of own bound'], rows));
      out.push(`Retrain Studio end to end = ${Math.round((p.app.endToEnd / best) * 100)}% of the machine bound.`);
      out.push('decode only = decode + resize to 224 float with all cores (app: its worker pool; PyTorch: PIL draft() in 2 DataLoader');
      out.push('processes); forward only = the model on a fixed batch; bound = 1/(1/decode + 1/forward), both sharing the cores perfectly.');
      out.push(`PyTorch weights: ${p.peer.weights}.`);
      last = `end-to-end bottlenecks vs tuned PyTorch: ${(p.app.endToEnd / p.peer.endToEnd).toFixed(2)}×`;
    } else {
      out.push(renderTable(['who', 'decode only', 'forward only', 'bound', 'end to end', 'of own bound'], rows));
      last = `end-to-end bottlenecks vs tuned PyTorch: skipped (${p.reason ?? 'no result'})`;
    }
    out.push('');
  }
  return { lines: out, last };
}
