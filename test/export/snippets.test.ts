/**
 * Every snippet Export offers, run as a user would run it, on real photos from ../shared:
 * the browser TF.js one in Chromium, the Node one with `node`, the Python/onnxruntime one in
 * a venv. Each must give the app's top-1 and probabilities close to the app's (service.classify).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';
import { tempDir } from '../helpers/fixtures.js';
import { hasChromium } from '../e2e/helpers.js';
import { createService, type Service } from '../../src-main/api/service.js';
import type { Classification, ExportResult, RunSummary } from '../../src-main/api/contract.js';
import type { PreprocessSpec } from '../../src-main/core/images/index.js';
import { exportSnippets, type ExportMetadata, type ExportSnippets } from '../../src-main/core/export/index.js';
import { PIP_TIMEOUT_MS, runBrowserSnippet, runNodeSnippet, runPythonSnippet, snippetPython, type SnippetTop } from './snippet-runners.js';

type Kind = 'node' | 'browser' | 'python';

/**
 * How far a snippet's class probability may be from the app's, on any one photo (`max`) and
 * averaged over the photos (`mean`).
 * - Node decodes with sharp exactly as the app does: only float rounding between TF.js
 *   backends is left (the export parity test holds 1e-5; measured 0.0000).
 * - The browser (Chromium's canvas scaling) and Pillow (Lanczos) resample with other kernels
 *   than libvips (Lanczos-3 when shrinking, with JPEG shrink-on-load; a bicubic shifted by half
 *   a pixel when enlarging, which the many 240-pixel photos here need): pixels differ by 1–6
 *   levels on average, and the trained softmax turns that into, measured here, max / mean
 *   0.158 / 0.022 (browser) and 0.089 / 0.010 (Python) on the layers model, 0.172 / 0.033
 *   (browser) on the graph model. The bugs these bounds must catch measured far above them:
 *   squashing a centre-crop export (the reported bug) 0.318 / 0.049 in the browser and
 *   0.311 / 0.049 in Python; centre-cropping a squash export 0.292 / 0.060; dropping alpha 0.59
 *   on the transparent photo; leaving out the normalisation's mean 0.85 / 0.18.
 */
const TOLERANCE: Record<Kind, { max: number; mean: number }> = {
  node: { max: 1e-4, mean: 1e-4 },
  browser: { max: 0.2, mean: 0.04 },
  python: { max: 0.2, mean: 0.04 },
};
/**
 * Below this lead of the app's top-1 over its runner-up, the two are tied within the kernels'
 * noise and either may come first from another resampler: the snippet's top-1 must then be one
 * of the app's two. Node, with the app's own pixels, must match top-1 everywhere.
 */
const NEAR_TIE = 0.05;

if (!hasShared) console.warn('snippets.test: ../shared is absent — snippet runs on real photos skipped.');

/** Asserts the snippet against the app on every photo: top-1, then the tolerance on the app's top-5 labels. */
function expectMatchesApp(kind: Kind, photos: string[], app: Classification[], snippet: SnippetTop[]): void {
  const rows = photos.map((photo, i) => {
    const got = new Map(snippet[i]);
    const [first, second] = app[i].predictions;
    const diff = Math.max(...app[i].predictions.map(({ label, probability }) => Math.abs((got.get(label) ?? Infinity) - probability)));
    const tie = kind !== 'node' && first.probability - (second?.probability ?? 0) < NEAR_TIE;
    const top1 = snippet[i][0][0];
    return {
      photo: path.basename(photo),
      app: `${first.label} ${first.probability.toFixed(3)} (next ${second?.probability.toFixed(3)})`,
      snippet: `${top1} ${snippet[i][0][1].toFixed(3)}`,
      diff: +diff.toFixed(4),
      ok: (top1 === first.label || (tie && top1 === second.label)) && diff < TOLERANCE[kind].max,
      tie,
    };
  });
  const mean = rows.reduce((sum, r) => sum + r.diff, 0) / rows.length;
  const ties = rows.filter((r) => r.tie).map((r) => r.photo);
  console.info(
    `${kind} snippet on ${photos.length} photos: max |Δp| ${Math.max(...rows.map((r) => r.diff)).toFixed(4)}, mean ${mean.toFixed(4)} ` +
      `(tolerance ${TOLERANCE[kind].max} / ${TOLERANCE[kind].mean})${ties.length ? `; near-ties (top-1 or runner-up accepted): ${ties.join(', ')}` : ''}`,
  );
  const wrong = rows.filter((r) => !r.ok);
  if (wrong.length) console.table(rows);
  expect(wrong, `${kind} snippet disagrees with the app`).toEqual([]);
  expect(mean, `${kind} snippet's mean |Δp|`).toBeLessThan(TOLERANCE[kind].mean);
  // The rule for near-ties must not become the rule: almost every photo has a clear top-1.
  expect(ties.length).toBeLessThanOrEqual(2);
}

/**
 * Variants of a real photo that the test split lacks, made in `dir`: EXIF orientation 6 (stored
 * sideways, shown upright); a PNG transparent but for its right quarter, with a photo of another class
 * stored under the transparent part (the app flattens it onto white: a snippet that drops alpha sees the other
 * flower); and a 4× enlargement (a big photo: JPEG shrink-on-load in the app, mipmaps in the browser).
 */
async function variantsOf(source: string, other: string, dir: string): Promise<string[]> {
  const rotated = path.join(dir, 'rotated-exif6.jpg');
  await sharp(source).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toFile(rotated);
  const { data, info } = await sharp(source).removeAlpha().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const hidden = await sharp(other).resize(info.width, info.height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < (info.width * 3) / 4; x++) {
      const i = y * info.width + x;
      data.set([hidden[i * 3], hidden[i * 3 + 1], hidden[i * 3 + 2], 0], i * 4);
    }
  }
  const transparent = path.join(dir, 'transparent-mostly.png');
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toFile(transparent);
  const large = path.join(dir, 'enlarged-4x.jpg');
  await sharp(source).resize(info.width * 4).jpeg({ quality: 92 }).toFile(large);
  return [rotated, transparent, large];
}

type Case = {
  name: string;
  model: string;
  spec: Pick<PreprocessSpec, 'crop' | 'normalization'>;
  bottleneckNode?: string;
  onnx: boolean;
  /** How many of the run's test photos to label. */
  testPhotos: number;
};

const CASES: Case[] = [
  {
    name: 'MobileNetV2 0.35, a layers model: centre crop, [-1, 1], ONNX too',
    model: 'mobilenet_v2_0.35_224',
    spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    onnx: true,
    testPhotos: 30,
  },
  {
    name: 'MobileNetV2 as a TF Hub graph model (backbone/ + head/): whole image squashed, [0, 1]',
    model: 'mobilenet_v2_mid_nsfwjs_graph_224',
    spec: { crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 } },
    bottleneckNode: 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze',
    onnx: false,
    testPhotos: 15,
  },
];

describe.skipIf(!hasShared).each(CASES)('export snippets on real photos: $name', (c) => {
  let service: Service;
  let base: string;
  let exported: ExportResult;
  let metadata: ExportMetadata;
  let snippets: ExportSnippets;
  let photos: string[];
  let app: Classification[];

  beforeAll(async () => {
    await useWasm();
    base = await tempDir('snippets');
    service = await createService({ dataDir: path.join(base, 'data') });
    const dataset = await service.openDataset({ path: sharedPath('datasets', 'flower_photos_small'), testPercent: 20 });
    const model = await service.importModel({ path: sharedPath('models', c.model), spec: c.spec, ...(c.bottleneckNode ? { bottleneckNode: c.bottleneckNode } : {}) });
    let runId: string | undefined;
    const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (r) => r.id === runId && resolve(r)));
    ({ runId } = await service.startTraining({ datasetId: dataset.id, config: { architecture: model.id, howManyTrainingSteps: 300, learningRate: 0.05, evalStepInterval: 100 } }));
    const run = await done;
    expect(run.status, run.error).toBe('completed');
    exported = await service.exportRun({ runId: run.id, onnx: c.onnx });
    if (c.onnx) expect(exported.onnx, JSON.stringify(exported.onnx)).toHaveProperty('file', path.join(exported.dir, 'model.onnx'));
    metadata = JSON.parse(await readFile(path.join(exported.dir, 'metadata.json'), 'utf8')) as ExportMetadata;
    // What the service offers the user: the snippets run below are the ones the Export view shows.
    snippets = exported.snippets;

    // The run's test photos (mostly 4:3 and 3:4, some smaller than the input, so cropping and
    // enlarging matter) and variants of a landscape one. Flowers only: on photos of other things
    // the head's answer is a guess that any resampling difference can change.
    const test = (await service.listDatasetImages({ datasetId: dataset.id, split: 'test', limit: c.testPhotos })).images.map((i) => i.path);
    const landscape = test.find((p) => !p.endsWith('_m.jpg')) ?? test[0];
    const otherClass = test.find((p) => path.dirname(p) !== path.dirname(landscape))!;
    photos = [...test, ...(await variantsOf(landscape, otherClass, base))];
    app = [];
    // As bytes: the service reads files by path only inside the opened dataset and models.
    for (const photo of photos) {
      app.push(await service.classify({ runId: run.id, image: { dataBase64: (await readFile(photo)).toString('base64'), name: path.basename(photo) }, topK: 5 }));
    }
  });
  afterAll(async () => {
    await service?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('offers the browser snippet as the export result, and Python only with an ONNX file', () => {
    expect(exported.tfjsSnippet).toBe(snippets.browser);
    expect(snippets).toEqual(exportSnippets(metadata, c.onnx ? { onnxFile: 'model.onnx' } : {}));
    expect(snippets.python !== undefined).toBe(c.onnx);
    expect(metadata.crop).toBe(c.spec.crop);
  });

  it('Node snippet: the app\'s pixels, so the app\'s top-1 and probabilities', async () => {
    expectMatchesApp('node', photos, app, await runNodeSnippet(snippets.node, exported.dir, photos));
  });

  it.skipIf(!hasChromium)('browser snippet in Chromium: the app\'s top-1, probabilities within the kernels\' noise', async () => {
    expectMatchesApp('browser', photos, app, await runBrowserSnippet(snippets.browser, exported.dir, photos));
  });

  it.runIf(c.onnx)('Python snippet with onnxruntime: the app\'s top-1, probabilities within the kernels\' noise', async (context) => {
    const python = await snippetPython();
    if ('reason' in python) {
      console.warn(`snippets.test: Python snippet not run: ${python.reason}`);
      context.skip();
      return;
    }
    expectMatchesApp('python', photos, app, await runPythonSnippet(python.python, snippets.python!, exported.dir, photos));
  }, PIP_TIMEOUT_MS + 120_000);
});
