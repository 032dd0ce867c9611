/** Synthetic data a real network separates: colour classes as image files, and a tiny saved backbone. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { createRandom } from '../../src-main/core/random.js';
import { fileSaveHandler } from '../../src-main/core/tf/file-io.js';

export const COLOUR_CLASSES: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [40, 60, 220],
};

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `rs-${prefix}-`));
}

/**
 * `root/<class>/<n>.jpg|png`: noisy images around each class colour, with a shape drawn
 * in a contrasting tone so that images differ in content (and so in cache keys).
 */
export async function makeColourDataset(root: string, perClass: number, classes = COLOUR_CLASSES, seed = 1): Promise<string> {
  const random = createRandom(seed);
  for (const [name, [r, g, b]] of Object.entries(classes)) {
    await mkdir(path.join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const size = 40 + Math.floor(random() * 24);
      const pixels = Buffer.alloc(size * size * 3);
      const box = { x: Math.floor(random() * size / 2), y: Math.floor(random() * size / 2), s: 6 + Math.floor(random() * 10) };
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inBox = x >= box.x && x < box.x + box.s && y >= box.y && y < box.y + box.s;
          const jitter = (): number => Math.floor((random() - 0.5) * 60);
          const o = (y * size + x) * 3;
          pixels[o] = clamp((inBox ? 255 - r : r) + jitter());
          pixels[o + 1] = clamp((inBox ? 255 - g : g) + jitter());
          pixels[o + 2] = clamp((inBox ? 255 - b : b) + jitter());
        }
      }
      const image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
      const file = path.join(root, name, `${name}_${i}.${i % 2 ? 'png' : 'jpg'}`);
      await writeFile(file, i % 2 ? await image.png().toBuffer() : await image.jpeg({ quality: 92 }).toBuffer());
    }
  }
  return root;
}

const clamp = (v: number): number => Math.max(0, Math.min(255, v));

/**
 * A tiny conv backbone saved as a TF.js layers model: [null,16,16,3] → conv → relu →
 * global average pool → 8 features. Seeded weights, so features are deterministic.
 */
export async function makeTinyBackbone(dir: string, sizePx = 16): Promise<string> {
  const input = tf.input({ shape: [sizePx, sizePx, 3], name: 'input_image' });
  const conv = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(conv) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: pooled, name: 'tiny_backbone' });
  await model.save(fileSaveHandler(dir));
  model.dispose();
  return dir;
}
