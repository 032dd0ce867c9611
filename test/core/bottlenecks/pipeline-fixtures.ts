/** Tiny extractors and synthetic images for the bottleneck pipeline tests. */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import sharp from 'sharp';
import type { PreprocessSpec } from '../../../src-main/core/images/spec.js';
import type { FeatureExtractor, ModelInfo } from '../../../src-main/core/models/types.js';

export const TINY_SPEC: PreprocessSpec = { heightPx: 16, widthPx: 16, crop: 'squash', normalization: { kind: 'range', min: -1, max: 1 } };

export type CountingExtractor = FeatureExtractor & {
  /** Number of extract() calls and the batch sizes they got. */
  calls: number[];
  /** Called before each forward pass (e.g. to abort mid-run). */
  beforeExtract?: (callIndex: number) => void | Promise<void>;
};

function tinyInfo(id: string, featureSize: number): ModelInfo {
  return {
    id,
    name: 'tiny test model',
    origin: 'imported',
    format: 'layers',
    dir: '/nonexistent',
    spec: TINY_SPEC,
    inputName: 'input',
    inputShape: [null, TINY_SPEC.heightPx, TINY_SPEC.widthPx, 3],
    bottleneckNode: 'pool',
    featureSize,
    outputNode: 'pool',
  };
}

/**
 * A real TF.js extractor: conv 3×3 stride 2 (fixed weights) → ReLU → global average pool,
 * 8 features. Colour images map to clearly different vectors.
 */
export function tinyTfjsExtractor(tf: typeof tfType, id = 'tiny-conv'): CountingExtractor {
  const kernel = tf.tidy(() => tf.randomNormal([3, 3, 3, 8], 0, 0.5, 'float32', 42));
  const bias = tf.tidy(() => tf.linspace(-0.2, 0.2, 8));
  const extractor: CountingExtractor = {
    info: tinyInfo(id, 8),
    engine: `tfjs-${tf.getBackend()}`,
    calls: [],
    async extract(pixels, count) {
      extractor.calls.push(count);
      await extractor.beforeExtract?.(extractor.calls.length - 1);
      const out = tf.tidy(() => {
        const x = tf.tensor4d(pixels, [count, TINY_SPEC.heightPx, TINY_SPEC.widthPx, 3]);
        const y = tf.relu(tf.add(tf.conv2d(x, kernel as tfType.Tensor4D, 2, 'same'), bias));
        return tf.mean(y, [1, 2]);
      });
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose() {
      kernel.dispose();
      bias.dispose();
    },
  };
  return extractor;
}

/** A pure-JS extractor: features are per-channel means and the pixel sum (no tensors). */
export function fakeExtractor(id = 'fake'): CountingExtractor {
  const per = TINY_SPEC.heightPx * TINY_SPEC.widthPx;
  const extractor: CountingExtractor = {
    info: tinyInfo(id, 4),
    engine: 'fake',
    calls: [],
    async extract(pixels, count) {
      extractor.calls.push(count);
      await extractor.beforeExtract?.(extractor.calls.length - 1);
      if (pixels.length !== count * per * 3) throw new Error(`extract got ${pixels.length} values for ${count} images`);
      const out = new Float32Array(count * 4);
      for (let n = 0; n < count; n++) {
        for (let p = 0; p < per; p++) {
          for (let c = 0; c < 3; c++) {
            const v = pixels[(n * per + p) * 3 + c];
            out[n * 4 + c] += v / per;
            out[n * 4 + 3] += v;
          }
        }
      }
      return out;
    },
    dispose() {},
  };
  return extractor;
}

/** Distinct colours: image i gets its own RGB. */
export function colourOf(i: number): { r: number; g: number; b: number } {
  return { r: (i * 67) % 256, g: (i * 131 + 40) % 256, b: (i * 29 + 200) % 256 };
}

export type TestImage = { path: string; contentHash: string };

/** Writes `count` small PNGs (distinct colours, a white square whose position varies) into `dir`. */
export async function makeImages(dir: string, count: number, prefix = 'img'): Promise<TestImage[]> {
  const out: TestImage[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${prefix}-${String(i).padStart(3, '0')}.png`);
    const square = await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    const bytes = await sharp({ create: { width: 24 + (i % 5), height: 20, channels: 3, background: colourOf(i) } })
      .composite([{ input: square, left: i % 12, top: (i * 3) % 12 }])
      .png()
      .toBuffer();
    await writeFile(file, bytes);
    out.push({ path: file, contentHash: sha256(bytes) });
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function hashFile(file: string): Promise<string> {
  return sha256(await readFile(file));
}
