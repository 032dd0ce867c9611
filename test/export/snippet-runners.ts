/**
 * Runs an export's copy-paste snippets as a user would: the browser one in Chromium on a page
 * served next to the export, the Node one with `node`, the Python one in a venv with
 * onnxruntime + Pillow. Each returns, per photo, the snippet's own top-5 [label, probability].
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, REPO_ROOT } from '../e2e/helpers.js';

const run = promisify(execFile);

/** A snippet's answer for one photo: its top 5, most likely first. */
export type SnippetTop = Array<[string, number]>;

/** Parses the `<photo> <json top-5>` lines the Node and Python scripts print (other lines, e.g. tfjs's banner, ignored). */
function parseLines(stdout: string, photos: string[]): SnippetTop[] {
  const byPhoto = new Map<string, SnippetTop>();
  for (const line of stdout.split('\n')) {
    const photo = photos.find((p) => line.startsWith(`${p} [`));
    if (photo) byPhoto.set(photo, JSON.parse(line.slice(photo.length + 1)) as SnippetTop);
  }
  return photos.map((p) => {
    const top = byPhoto.get(p);
    if (!top) throw new Error(`The snippet printed nothing for ${p}. Its output:\n${stdout.slice(0, 4000)}`);
    return top;
  });
}

/**
 * `node classify.mjs photo…` in the export folder. The script lives in a temp folder whose
 * node_modules links to the project's, so that it imports @tensorflow/tfjs and sharp as an
 * `npm install` would give them.
 */
export async function runNodeSnippet(snippet: string, exportDir: string, photos: string[]): Promise<SnippetTop[]> {
  const project = await mkdtemp(path.join(os.tmpdir(), 'rs-node-snippet-'));
  try {
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
    const script = path.join(project, 'classify.mjs');
    await writeFile(script, snippet);
    const { stdout } = await run(process.execPath, [script, ...photos], { cwd: exportDir, maxBuffer: 16 << 20 });
    return parseLines(stdout, photos);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.js': 'text/javascript', '.html': 'text/html', '.bin': 'application/octet-stream' };

/**
 * The browser snippet in a module script on a page served in the export folder (its relative
 * URLs load the model), `@tensorflow/tfjs` mapped to the ESM bundle in node_modules; each
 * photo is loaded into an <img> and passed to the snippet's `classify`.
 */
export async function runBrowserSnippet(snippet: string, exportDir: string, photos: string[]): Promise<SnippetTop[]> {
  const page = `<!doctype html><meta charset="utf-8"><title>snippet</title>
<script type="importmap">{ "imports": { "@tensorflow/tfjs": "/__test/tfjs.js" } }</script>
<script type="module">
${snippet}
window.classify = classify;
window.tfBackend = tf.getBackend();
</script>`;
  const tfjsBundle = path.join(REPO_ROOT, 'node_modules/@tensorflow/tfjs/dist/tf.fesm.min.js');
  const server = createServer((req, res) => {
    void (async () => {
      const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let body: Buffer | string;
      let type = 'application/octet-stream';
      if (url === '/snippet-test.html') [body, type] = [page, 'text/html'];
      else if (url === '/__test/tfjs.js') [body, type] = [await readFile(tfjsBundle), 'text/javascript'];
      else if (url.startsWith('/__test/photo/')) [body, type] = [await readFile(photos[Number(url.slice('/__test/photo/'.length))]), 'image/jpeg'];
      else {
        const file = path.resolve(exportDir, `.${url}`);
        if (!file.startsWith(exportDir + path.sep)) throw new Error(`outside the export: ${url}`);
        body = await readFile(file);
        type = CONTENT_TYPES[path.extname(file)] ?? type;
      }
      res.writeHead(200, { 'content-type': type }).end(body);
    })().catch((error: unknown) => res.writeHead(404).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  try {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (error) => errors.push(error.message));
    tab.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await tab.goto(`${origin}/snippet-test.html`);
    await tab.waitForFunction(() => 'classify' in window, undefined, { timeout: 60_000 }).catch(() => {
      throw new Error(`The browser snippet did not load: ${errors.join('\n') || 'no error reported'}`);
    });
    const results: SnippetTop[] = [];
    for (let i = 0; i < photos.length; i++) {
      results.push(
        await tab.evaluate(async (src) => {
          const img = new Image();
          img.src = src;
          await img.decode();
          return (window as unknown as { classify(img: HTMLImageElement): Promise<SnippetTop> }).classify(img);
        }, `/__test/photo/${i}`),
      );
    }
    console.info(`browser snippet ran on TF.js backend '${await tab.evaluate(() => (window as unknown as { tfBackend: string }).tfBackend)}'`);
    return results;
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Where .ci/run creates the venv; tests create it there too when missing. */
export const SNIPPET_VENV = path.join(os.tmpdir(), 'retrain-studio-snippet-venv');
const PYTHON_PACKAGES = ['onnxruntime', 'numpy', 'pillow'];
/** Longest wait for `pip install` (a local index takes about a minute); the test allows for it. */
export const PIP_TIMEOUT_MS = 300_000;

/**
 * A Python with onnxruntime, numpy and Pillow: the venv's when it already has them, else one
 * made now with pip from the configured index. Returns the reason instead when that fails.
 */
export async function snippetPython(): Promise<{ python: string } | { reason: string }> {
  const python = path.join(SNIPPET_VENV, 'bin', 'python');
  const ready = async (): Promise<boolean> =>
    run(python, ['-c', 'import onnxruntime, numpy, PIL'], { timeout: 60_000 }).then(() => true, () => false);
  if (existsSync(python) && (await ready())) return { python };
  try {
    await mkdir(path.dirname(SNIPPET_VENV), { recursive: true });
    await run('python3', ['-m', 'venv', '--clear', SNIPPET_VENV], { timeout: 120_000 });
    await run(python, ['-m', 'pip', 'install', '--quiet', '--retries', '1', '--timeout', '30', ...PYTHON_PACKAGES], { timeout: PIP_TIMEOUT_MS });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { reason: `could not make a venv with ${PYTHON_PACKAGES.join(', ')} at ${SNIPPET_VENV}: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}` };
  }
  return (await ready()) ? { python } : { reason: `${SNIPPET_VENV} was made but cannot import ${PYTHON_PACKAGES.join(', ')}` };
}

/** `python classify.py photo…` in the export folder. */
export async function runPythonSnippet(python: string, snippet: string, exportDir: string, photos: string[]): Promise<SnippetTop[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-py-snippet-'));
  try {
    const script = path.join(dir, 'classify.py');
    await writeFile(script, snippet);
    const { stdout } = await run(python, [script, ...photos], { cwd: exportDir, maxBuffer: 16 << 20 });
    return parseLines(stdout, photos);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
