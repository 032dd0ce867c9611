/** The built CLI as a child process, and small datasets for it made with sharp in temp folders. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** The executable under test; RS_CLI_BIN points it at another build (e.g. main's, to see a test fail there). */
export const CLI_BIN = process.env.RS_CLI_BIN ?? path.resolve(import.meta.dirname, '../../dist/main/cli/bin.js');

export function assertBuilt(): void {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run "npm run build:main" first (npm test does).`);
}

export type Result = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Child environment: WASM (no native TF), and whatever the test adds. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, RETRAIN_STUDIO_BACKEND: process.env.RETRAIN_STUDIO_BACKEND === 'tensorflow' ? 'tensorflow' : 'wasm', ...extra };
}

/** Starts `node bin.js …args` with piped stdio. */
export function start(args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], { env: cliEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Collects a child's output until it exits. */
export function collect(child: ChildProcess): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the CLI to the end. */
export function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<Result> {
  return collect(start(args, extraEnv));
}

/** A solid-colour PNG; `shade` varies the bytes so that files differ in content. */
export async function png(rgb: [number, number, number], shade = 0, sizePx = 12): Promise<Buffer> {
  const pixels = Buffer.alloc(sizePx * sizePx * 3);
  for (let i = 0; i < sizePx * sizePx; i++) {
    pixels[i * 3] = rgb[0];
    pixels[i * 3 + 1] = rgb[1];
    pixels[i * 3 + 2] = rgb[2];
  }
  // One pixel carries the shade, so every shade is a distinct file.
  pixels[0] = shade % 256;
  pixels[1] = Math.floor(shade / 256) % 256;
  return sharp(pixels, { raw: { width: sizePx, height: sizePx, channels: 3 } }).png().toBuffer();
}

/** Writes `files` (relative path → bytes) under `root`. */
export async function writeTree(root: string, files: Record<string, Buffer | string>): Promise<string> {
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), data);
  }
  return root;
}
