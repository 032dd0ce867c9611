/** The images the benchmark decodes: the shared flower photos, or synthetic JPEGs when absent. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export type BenchImage = { path: string; contentHash: string; bytes: number };

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/**
 * The `shared/` folder beside the repository (`<repo>/../shared`), found by walking up from
 * this file to the folder holding package.json; `override` wins when given.
 */
export function findSharedDir(override?: string): string | undefined {
  if (override) return existsSync(override) ? path.resolve(override) : undefined;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const shared = path.resolve(dir, '..', 'shared');
      return existsSync(shared) ? shared : undefined;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

/** Image files under `root` (one level of class folders or flat), sorted, with SHA-256 of their bytes. */
export async function listImages(root: string): Promise<BenchImage[]> {
  const files: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
      files.push(path.join(entry.parentPath, entry.name));
    }
  }
  files.sort();
  const out: BenchImage[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    out.push({ path: file, contentHash: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength });
  }
  return out;
}

/** Writes `count` 500×375 JPEGs (noise + gradients, like a photo to the decoder) into `dir`. */
export async function makeSyntheticImages(dir: string, count: number): Promise<BenchImage[]> {
  await mkdir(dir, { recursive: true });
  const width = 500;
  const height = 375;
  const out: BenchImage[] = [];
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(width * height * 3);
    let seed = 12345 + i * 7919;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const noise = (seed >>> 24) % 40;
        const o = (y * width + x) * 3;
        raw[o] = (x + i * 13 + noise) & 255;
        raw[o + 1] = (y + i * 29 + noise) & 255;
        raw[o + 2] = ((x + y) / 2 + noise) & 255;
      }
    }
    const bytes = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
    const file = path.join(dir, `synthetic-${String(i).padStart(3, '0')}.jpg`);
    await writeFile(file, bytes);
    out.push({ path: file, contentHash: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength });
  }
  return out;
}
