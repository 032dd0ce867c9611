/**
 * The layers table of README.md ("Layout") enforced on every import under src-main/ and
 * src-renderer/. The rules live in test/helpers/architecture.ts; here each rule is shown to
 * fire on a synthetic tree, and the real tree is shown to pass.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkTree,
  collectImports,
  COMPOSITION_EDGES,
  edgesOf,
  layerOf,
  readSourceTree,
  type Violation,
} from './helpers/architecture.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** A tree with one file per layer plus `extra`; the base alone is clean. */
function tree(extra: Record<string, string>): Record<string, string> {
  return {
    'src-main/core/errors.ts': 'export class CoreError extends Error {}\n',
    'src-main/core/training/index.ts': "import * as tf from '@tensorflow/tfjs';\nexport const train = () => tf;\n",
    'src-main/core/training/types.ts': 'export type TrainingConfig = { steps: number };\n',
    'src-main/api/contract.ts': "export { CoreError } from '../core/errors.js';\nexport type { TrainingConfig } from '../core/training/types.js';\n",
    'src-main/api/wire.ts': "import { CoreError } from './contract.js';\nexport const ROUTE = '/api';\nexport { CoreError };\n",
    'src-main/api/service.ts': "import { train } from '../core/training/index.js';\nexport const createService = () => train;\n",
    'src-main/host/dispatch.ts': "import { createService } from '../api/service.js';\nimport { CoreError } from '../core/errors.js';\nexport { createService, CoreError };\n",
    'src-main/electron/main.ts': "import { app } from 'electron';\nimport { createService } from '../host/dispatch.js';\nexport { app, createService };\n",
    'src-main/electron/preload.cts': "import { contextBridge } from 'electron';\nimport type { CoreError } from '../api/contract.js';\nexport type E = CoreError;\nexport { contextBridge };\n",
    'src-main/server/index.ts': "import http from 'node:http';\nimport { createService } from '../host/dispatch.js';\nexport const startServe = () => [http, createService];\n",
    'src-main/cli/index.ts': "import { createService } from '../api/service.js';\nexport const run = () => createService;\n",
    'src-main/cli/bin.ts': "import { run } from './index.js';\nawait run([], { serve: async () => (await import('../server/index.js')).startServe() });\n",
    'src-main/bench/bench.ts': "import { train } from '../core/training/index.js';\nawait import(['..', 'core'].join('/'));\nexport { train };\n",
    'src-renderer/main.ts': "import './app.css';\nimport { mount } from 'svelte';\nimport App from './App.svelte';\nimport { CoreError, type TrainingConfig } from '../src-main/api/contract.js';\nimport { ROUTE } from '../src-main/api/wire.js';\nexport { mount, App, CoreError, ROUTE };\nexport type T = TrainingConfig;\n",
    'src-renderer/App.svelte': "<script lang=\"ts\">\n  import { api } from './lib/api.js';\n</script>\n<p>{api}</p>\n",
    'src-renderer/lib/api.ts': "import { LIMITS } from './limits';\nexport const api = LIMITS;\n",
    'src-renderer/lib/limits.ts': 'export const LIMITS = 1;\n',
    'src-renderer/app.css': '',
    ...extra,
  };
}

/** The violations a tree has, as `file:line rule` (messages checked separately). */
const broken = (extra: Record<string, string>): string[] => checkTree(tree(extra)).map((v) => `${v.file}:${v.line} ${v.rule}`);

describe('collectImports', () => {
  it('reads every form of import, with type-only and line numbers', () => {
    const source = [
      "import a from './a.js';", // 1
      "import type { B } from './b.js';", // 2
      "import { type C, type D } from './c.js';", // 3
      "import { type E, f } from './e.js';", // 4
      "export { g } from './g.js';", // 5
      "export type { H } from './h.js';", // 6
      "export * from './star.js';", // 7
      "import './side-effect.js';", // 8
      "const lazy = await import('./lazy.js');", // 9
      "const computed = await import(name);", // 10
      "const req = require('./req.cjs');", // 11
      "const made = createRequire(import.meta.url)('pkg/sub');", // 12
      "type T = typeof import('./typed.js');", // 13
      "import eq = require('./eq.cjs');", // 14
      "const text = `import('./not-code.js')`; // import x from './comment.js'", // 15
    ].join('\n');
    expect(collectImports('src-main/x.cts', source).map((r) => [r.line, r.specifier ?? r.expression, r.form, r.typeOnly])).toEqual([
      [1, './a.js', 'import', false],
      [2, './b.js', 'import type', true],
      [3, './c.js', 'import type', true],
      [4, './e.js', 'import', false],
      [5, './g.js', 'export from', false],
      [6, './h.js', 'export type from', true],
      [7, './star.js', 'export from', false],
      [8, './side-effect.js', 'import', false],
      [9, './lazy.js', 'import()', false],
      [10, 'name', 'import()', false],
      [11, './req.cjs', 'require()', false],
      [12, 'pkg/sub', 'require()', false],
      [13, './typed.js', "import('…') type", true],
      [14, './eq.cjs', 'import = require()', false],
    ]);
  });

  it('reads both script blocks of a .svelte file with their lines in the file', () => {
    const svelte = [
      '<script module lang="ts">', // 1
      "  import { Chart } from 'chart.js';", // 2
      '</script>', // 3
      '', // 4
      '<script lang="ts">', // 5
      "  import fs from 'node:fs';", // 6
      "  import type { X } from '../src-main/api/contract.js';", // 7
      '</script>', // 8
      "<p>import nothing from './markup.js'</p>", // 9
    ].join('\n');
    expect(collectImports('src-renderer/A.svelte', svelte).map((r) => [r.line, r.specifier, r.typeOnly])).toEqual([
      [2, 'chart.js', false],
      [6, 'node:fs', false],
      [7, '../src-main/api/contract.js', true],
    ]);
  });

  it('places files in layers by folder', () => {
    expect(['src-main/core/a/b.ts', 'src-main/api/contract.ts', 'src-main/host/x.ts', 'src-main/electron/preload.cts', 'src-main/server/s.ts', 'src-main/cli/bin.ts', 'src-main/bench/b.ts', 'src-renderer/A.svelte', 'src-main/misc/x.ts', 'src-main/top.ts'].map(layerOf)).toEqual([
      'core', 'api', 'host', 'electron', 'server', 'cli', 'bench', 'renderer', 'other', 'other',
    ]);
  });
});

describe('layer rules on synthetic trees', () => {
  it('a clean tree passes (every allowed edge of the table appears in it)', () => {
    expect(checkTree(tree({}))).toEqual([]);
  });

  it('names the file, the import and the rule', () => {
    const [violation] = checkTree(tree({ 'src-main/core/bad.ts': "\nimport { createService } from '../api/service.js';\nexport { createService };\n" }));
    expect(violation).toEqual<Violation>({
      file: 'src-main/core/bad.ts',
      line: 2,
      specifier: '../api/service.js',
      rule: 'core-imports',
      message:
        `src-main/core/bad.ts:2: import '../api/service.js' (src-main/api/service.ts) breaks "core-imports": core (src-main/core/) imports only core; never api`,
    });
  });

  it.each([
    ['core → api', 'src-main/core/a.ts', "import type { CoreApi } from '../api/contract.js';", 'core-imports'],
    ['core → host', 'src-main/core/a.ts', "export { createService } from '../host/dispatch.js';", 'core-imports'],
    ['core → electron/', 'src-main/core/a.ts', "import { app } from '../electron/main.js';", 'core-imports'],
    ['core → server/ (dynamic)', 'src-main/core/a.ts', "await import('../server/index.js');", 'core-imports'],
    ['core → cli/', 'src-main/core/deep/a.ts', "import { run } from '../../cli/index.js';", 'core-imports'],
    ['core → electron', 'src-main/core/a.ts', "import { app } from 'electron';", 'electron-only-in-adapter'],
    ['core → electron (require)', 'src-main/core/a.cts', "const { app } = require('electron');", 'electron-only-in-adapter'],
    ['core → renderer', 'src-main/core/a.ts', "import { api } from '../../src-renderer/lib/api.js';", 'main-no-renderer'],
    ['api → electron/', 'src-main/api/a.ts', "import { app } from '../electron/main.js';", 'api-imports'],
    ['api → server/', 'src-main/api/a.ts', "import { startServe } from '../server/index.js';", 'api-imports'],
    ['api → cli/', 'src-main/api/a.ts', "import type { run } from '../cli/index.js';", 'api-imports'],
    ['api → host', 'src-main/api/a.ts', "import { createService } from '../host/dispatch.js';", 'api-imports'],
    ['api → electron', 'src-main/api/a.ts', "import { ipcMain } from 'electron';", 'electron-only-in-adapter'],
    ['api → computed import', 'src-main/api/a.ts', 'await import(process.env.X!);', 'literal-imports'],
    ['host → electron/', 'src-main/host/a.ts', "import { app } from '../electron/main.js';", 'host-imports'],
    ['host → server/', 'src-main/host/a.ts', "import { startServe } from '../server/index.js';", 'host-imports'],
    ['host → cli/', 'src-main/host/a.ts', "import { run } from '../cli/index.js';", 'host-imports'],
    ['host → electron', 'src-main/host/a.ts', "import { protocol } from 'electron';", 'electron-only-in-adapter'],
    ['electron/ → server/', 'src-main/electron/a.ts', "import { startServe } from '../server/index.js';", 'adapters-independent'],
    ['electron/ → cli/', 'src-main/electron/a.ts', "import { run } from '../cli/index.js';", 'adapters-independent'],
    ['server/ → electron/', 'src-main/server/a.ts', "import type { App } from '../electron/main.js';", 'adapters-independent'],
    ['server/ → cli/', 'src-main/server/a.ts', "import { run } from '../cli/index.js';", 'adapters-independent'],
    ['cli/ → server/ (dynamic, as cli/index.ts did)', 'src-main/cli/index2.ts', "const { startServe } = await import('../server/index.js');", 'adapters-independent'],
    ['cli/ → electron/', 'src-main/cli/a.ts', "import '../electron/main.js';", 'adapters-independent'],
    ['bench/ → cli/', 'src-main/bench/a.ts', "import { run } from '../cli/index.js';", 'adapters-independent'],
    ['cli/ → host (host serves electron/ and server/ only)', 'src-main/cli/a.ts', "import { createService } from '../host/dispatch.js';", 'cli-imports'],
    ['server/ → electron', 'src-main/server/a.ts', "import { app } from 'electron';", 'electron-only-in-adapter'],
    ['preload → a local module', 'src-main/electron/preload.cts', "import { contextBridge } from 'electron';\nimport { API_METHODS } from '../api/contract.js';\nexport { contextBridge, API_METHODS };", 'preload-self-contained'],
    ['renderer → core', 'src-renderer/lib/x.ts', "import { CoreError } from '../../src-main/core/errors.js';", 'renderer-only-contract'],
    ['renderer → core types', 'src-renderer/lib/x.ts', "import type { TrainingConfig } from '../../src-main/core/training/types.js';", 'renderer-only-contract'],
    ['renderer → api/service', 'src-renderer/lib/x.ts', "import { createService } from '../../src-main/api/service.js';", 'renderer-only-contract'],
    ['renderer → host', 'src-renderer/lib/x.ts', "import type { X } from '../../src-main/host/dispatch.js';", 'renderer-only-contract'],
    ['renderer → node:fs', 'src-renderer/lib/x.ts', "import { readFile } from 'node:fs/promises';", 'renderer-no-node'],
    ['renderer → fs (bare built-in)', 'src-renderer/lib/x.ts', "import fs from 'fs';", 'renderer-no-node'],
    ['renderer → path in a .svelte script', 'src-renderer/X.svelte', "<script lang=\"ts\">\n  import path from 'path';\n</script>", 'renderer-no-node'],
    ['renderer → electron', 'src-renderer/lib/x.ts', "import { ipcRenderer } from 'electron';", 'renderer-no-electron'],
    ['a file outside the table', 'src-main/misc/x.ts', "import { train } from '../core/training/index.js';", 'layers-table'],
    ['an import of a missing file', 'src-main/api/x.ts', "import { gone } from './gone.js';", 'resolvable'],
  ])('%s fails', (_name, file, source, rule) => {
    const found = broken({ [file]: source });
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found.every((v) => v.startsWith(`${file}:`) && v.endsWith(` ${rule}`)), found.join('\n')).toBe(true);
  });

  it('allows exactly the composition edge cli/bin.ts → server/index.ts, not another server module or importer', () => {
    expect(COMPOSITION_EDGES).toEqual([['src-main/cli/bin.ts', 'src-main/server/index.ts']]);
    expect(broken({ 'src-main/cli/bin.ts': "import { startServe } from '../server/index.js';\nexport { startServe };" })).toEqual([]);
    expect(broken({ 'src-main/cli/bin.ts': "import { createServer } from '../server/http-server.js';", 'src-main/server/http-server.ts': 'export const createServer = 1;' })).toEqual([
      'src-main/cli/bin.ts:1 adapters-independent',
    ]);
    expect(broken({ 'src-main/cli/index.ts': "import { startServe } from '../server/index.js';\nexport { startServe };" })).toEqual(['src-main/cli/index.ts:1 adapters-independent']);
  });

  it('follows what the renderer loads through the contract: no Node code at run time', () => {
    // A value re-export drags tfjs (and whatever core/training loads) into the page.
    expect(broken({ 'src-main/api/contract.ts': "export { train } from '../core/training/index.js';" })).toEqual(['src-main/core/training/index.ts:1 renderer-loads-browser-code']);
    expect(broken({ 'src-main/api/wire.ts': "import path from 'node:path';\nexport const ROUTE = path.sep;" })).toEqual(['src-main/api/wire.ts:1 renderer-loads-browser-code']);
    expect(broken({ 'src-main/core/errors.ts': "import { inspect } from 'node:util';\nexport class CoreError extends Error { x = inspect; }" })).toEqual(['src-main/core/errors.ts:1 renderer-loads-browser-code']);
    // Type-only re-exports vanish, and zod runs in a browser.
    expect(broken({ 'src-main/api/contract.ts': "export type { train } from '../core/training/index.js';\nexport { CoreError } from '../core/errors.js';\nimport { z } from 'zod';\nexport const S = z.string();" })).toEqual([]);
    const [message] = checkTree(tree({ 'src-main/api/contract.ts': "export { train } from '../core/training/index.js';" })).map((v) => v.message);
    expect(message).toContain('src-main/api/contract.ts → src-main/core/training/index.ts');
    expect(message).toContain("import '@tensorflow/tfjs' (package @tensorflow/tfjs)");
  });

  it.each([
    ['core', 'src-main/core/a.ts', 'export const size = () => window.innerWidth;'],
    ['api', 'src-main/api/a.ts', "export const el = document.createElement('canvas');"],
    ['host', 'src-main/host/a.ts', 'export const frame = (f: () => void) => requestAnimationFrame(f);'],
    ['core via globalThis', 'src-main/core/a.ts', 'export const d = globalThis.document;'],
    ['core via a lib reference', 'src-main/core/a.ts', '/// <reference lib="dom" />\nexport const x = 1;'],
  ])('%s using the DOM fails', (_name, file, source) => {
    expect(broken({ [file]: source })).toEqual([`${file}:1 no-dom`]);
  });

  it('does not mistake names for DOM globals', () => {
    expect(broken({ 'src-main/core/a.ts': 'export const o = { window: 3, document: 4 };\nexport const w = (window: number) => window + o.window;\nexport type T = { document: string };' })).toEqual([]);
    // An adapter may touch the DOM (the preload runs beside the page).
    expect(broken({ 'src-main/electron/a.ts': 'export const w = () => window;' })).toEqual([]);
  });
});

describe('the real source tree', async () => {
  const files = await readSourceTree(ROOT);
  const edges = edgesOf(files);

  it('breaks no layer rule', () => {
    expect(checkTree(files).map((v) => v.message)).toEqual([]);
  });

  it('was read whole: every layer, .svelte scripts, the .cts preload, dynamic imports and require()', () => {
    const importers = new Set(edges.map((e) => layerOf(e.from)));
    for (const layer of ['core', 'api', 'host', 'electron', 'server', 'cli', 'bench', 'renderer'] as const) expect(importers, layer).toContain(layer);
    expect(edges.length).toBeGreaterThan(400);
    expect(edges.filter((e) => e.from.endsWith('.svelte')).length).toBeGreaterThan(30);
    expect(edges.some((e) => e.from === 'src-main/electron/preload.cts')).toBe(true);
    expect(edges.some((e) => e.ref.form === 'import()')).toBe(true);
    expect(edges.some((e) => e.ref.form === 'require()')).toBe(true);
    // The renderer does reach src-main, through the contract only.
    expect(edges.some((e) => layerOf(e.from) === 'renderer' && e.target.kind === 'file' && e.target.file === 'src-main/api/contract.ts')).toBe(true);
  });

  it('has the Electron and HTTP adapters share the host layer instead of keeping their own copies', () => {
    const hostModules = ['dispatch', 'errors', 'images', 'events', 'static-assets'].map((name) => `src-main/host/${name}.ts`);
    for (const adapter of ['electron', 'server'] as const) {
      const used = new Set(edges.filter((e) => layerOf(e.from) === adapter && e.target.kind === 'file' && e.target.layer === 'host').map((e) => (e.target as { file: string }).file));
      expect([...used].sort(), adapter).toEqual(hostModules.sort());
    }
    // What host/ does once must not come back in an adapter: validating calls, checking a
    // requested path, sniffing image bytes, a code → status table, subscribing to every event.
    const copies = /\bvalidateRequest\(|\bcheckRequestPath\(|\bsniffFormat\(|Record<ErrorCode, number>|EVENT_NAMES\.(map|forEach)\(/;
    const offenders = Object.entries(files).filter(([file, text]) => /^src-main\/(electron|server)\//.test(file) && copies.test(text)).map(([file]) => file);
    expect(offenders).toEqual([]);
  });

  it('uses its one composition edge (the CLI executable composing serve), so the exception is not stale', () => {
    const adapterEdges = edges.filter(
      (e) => e.target.kind === 'file' && ['electron', 'server', 'cli', 'bench'].includes(layerOf(e.from)) && ['electron', 'server', 'cli', 'bench'].includes(e.target.layer) && e.target.layer !== layerOf(e.from),
    );
    expect(adapterEdges.map((e) => [e.from, (e.target as { file: string }).file])).toEqual(COMPOSITION_EDGES);
  });
});
