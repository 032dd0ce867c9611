import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerFileUrl } from '../../src-main/core/workers.js';

const require = createRequire(import.meta.url);
// Both come with electron-builder (devDependency); untyped here on purpose.
const yaml = require('js-yaml') as { load(text: string): unknown };
const { minimatch } = require('minimatch') as { minimatch(file: string, pattern: string, options?: object): boolean };

type BuilderConfig = { asar: boolean; asarUnpack: string[]; electronFuses: Record<string, boolean> };
const config = yaml.load(readFileSync('electron-builder.yml', 'utf8')) as BuilderConfig;
const unpacked = (file: string): boolean => config.asarUnpack.some((pattern) => minimatch(file, pattern, { dot: true }));

/** Relative paths of the files under `dir` whose names match `pattern` (symlinks not followed). */
function filesUnder(dir: string, pattern: RegExp, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(full, pattern, found);
    else if (entry.isFile() && pattern.test(entry.name)) found.push(full);
  }
  return found;
}

/** The worker modules the app starts: every `startModuleWorker(import.meta.url, '<name>')` in core. */
function workerSources(): string[] {
  return filesUnder('src-main/core', /\.ts$/).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/startModuleWorker\(import\.meta\.url, '([\w-]+)'\)/g)].map((m) => path.join(path.dirname(file), `${m[1]}.ts`)),
  );
}

describe('packaged app (electron-builder.yml)', () => {
  it('sets the security fuses and packs the app into an asar archive', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('unpacks every worker module and what it imports under dist/main, but not the main process or renderer', () => {
    const workers = workerSources();
    expect(workers.length).toBeGreaterThanOrEqual(2);
    // Follow the workers' relative imports through the source tree: each file's compiled twin must be unpacked.
    const seen = new Set<string>();
    const queue = [...workers];
    while (queue.length) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) queue.push(path.join(path.dirname(file), `${m[1]}.ts`));
    }
    for (const source of seen) {
      const compiled = source.replace(/^src-main\//, 'dist/main/').replace(/\.ts$/, '.js');
      expect(unpacked(compiled), `${compiled} (imported by a worker) must be in asarUnpack`).toBe(true);
    }
    for (const packed of ['dist/main/electron/main.js', 'dist/main/electron/preload.cjs', 'dist/renderer/index.html']) {
      expect(unpacked(packed), `${packed} belongs inside app.asar`).toBe(false);
    }
  });

  it('unpacks every native addon and wasm binary of the production dependencies', () => {
    const binaries = ['sharp', '@img', 'onnxruntime-node', '@tensorflow']
      .map((name) => path.join('node_modules', name))
      .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      .flatMap((dir) => filesUnder(dir, /\.(node|wasm)$/));
    expect(binaries.some((file) => file.endsWith('.wasm'))).toBe(true);
    expect(binaries.some((file) => file.endsWith('.node'))).toBe(true);
    for (const file of binaries) expect(unpacked(file), `${file} must be in asarUnpack`).toBe(true);
  });

  it('starts workers of a packaged app from app.asar.unpacked', () => {
    expect(workerFileUrl('file:///opt/Retrain%20Studio/resources/app.asar/dist/main/core/images/pool.js', 'decode-worker').href).toBe(
      'file:///opt/Retrain%20Studio/resources/app.asar.unpacked/dist/main/core/images/decode-worker.js',
    );
    expect(workerFileUrl('file:///home/me/rs/dist/main/core/images/pool.js', 'decode-worker').href).toBe('file:///home/me/rs/dist/main/core/images/decode-worker.js');
  });
});
