/** Synthetic image files made with sharp, shared by the images and dataset tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';

export type Rgb = { r: number; g: number; b: number };

export const RED: Rgb = { r: 255, g: 0, b: 0 };
export const BLUE: Rgb = { r: 0, g: 0, b: 255 };

export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `rs-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function solid(widthPx: number, heightPx: number, colour: Rgb): Sharp {
  return sharp({ create: { width: widthPx, height: heightPx, channels: 3, background: colour } });
}

/** Raw RGB pixels where column x < splitX is `left`, the rest `right`. */
export function twoColourRaw(widthPx: number, heightPx: number, splitX: number, left: Rgb, right: Rgb): Buffer {
  const buf = Buffer.alloc(widthPx * heightPx * 3);
  for (let y = 0; y < heightPx; y++) {
    for (let x = 0; x < widthPx; x++) {
      const c = x < splitX ? left : right;
      const i = (y * widthPx + x) * 3;
      buf[i] = c.r;
      buf[i + 1] = c.g;
      buf[i + 2] = c.b;
    }
  }
  return buf;
}

export function twoColour(widthPx: number, heightPx: number, splitX: number, left: Rgb, right: Rgb): Sharp {
  return sharp(twoColourRaw(widthPx, heightPx, splitX, left, right), { raw: { width: widthPx, height: heightPx, channels: 3 } });
}

/** A 2-frame animated GIF: first frame `first`, second `second`. */
export async function animatedGif(sizePx: number, first: Rgb, second: Rgb): Promise<Buffer> {
  const frame = sizePx * sizePx * 3;
  const buf = Buffer.alloc(frame * 2);
  for (let i = 0; i < sizePx * sizePx; i++) {
    buf[i * 3] = first.r; buf[i * 3 + 1] = first.g; buf[i * 3 + 2] = first.b;
    buf[frame + i * 3] = second.r; buf[frame + i * 3 + 1] = second.g; buf[frame + i * 3 + 2] = second.b;
  }
  return sharp(buf, { raw: { width: sizePx, height: sizePx * 2, channels: 3, pageHeight: sizePx } }).gif().toBuffer();
}

/** A JPEG cut to `fraction` of its bytes. */
export async function truncatedJpeg(fraction = 0.6): Promise<Buffer> {
  const whole = await twoColour(64, 48, 20, RED, BLUE).jpeg().toBuffer();
  return whole.subarray(0, Math.floor(whole.length * fraction));
}

/** Every supported format, each a solid colour (or described otherwise), keyed by file name. */
export async function formatFixtures(): Promise<Record<string, { bytes: Buffer; format: string; expect: Rgb }>> {
  const colour: Rgb = { r: 200, g: 40, b: 60 };
  const alphaPng = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  return {
    'solid.jpg': { bytes: await solid(16, 16, colour).jpeg({ quality: 95 }).toBuffer(), format: 'jpeg', expect: colour },
    'transparent.png': { bytes: alphaPng, format: 'png', expect: { r: 255, g: 255, b: 255 } },
    'solid.webp': { bytes: await solid(16, 16, colour).webp({ lossless: true }).toBuffer(), format: 'webp', expect: colour },
    'animated.gif': { bytes: await animatedGif(16, RED, BLUE), format: 'gif', expect: RED },
    'solid.tiff': { bytes: await solid(16, 16, colour).tiff().toBuffer(), format: 'tiff', expect: colour },
    'solid.avif': { bytes: await solid(16, 16, colour).avif({ lossless: true }).toBuffer(), format: 'avif', expect: colour },
    'grey.png': { bytes: await solid(16, 16, { r: 128, g: 128, b: 128 }).toColourspace('b-w').png().toBuffer(), format: 'png', expect: { r: 128, g: 128, b: 128 } },
    'cmyk.jpg': { bytes: await solid(16, 16, colour).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(), format: 'jpeg', expect: colour },
    'deep.png': { bytes: await solid(16, 16, colour).toColourspace('rgb16').png().toBuffer(), format: 'png', expect: colour },
  };
}

export async function writeFiles(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
}
