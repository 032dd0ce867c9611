/**
 * Ready-to-copy code that labels images with an export exactly as the app does
 * (core/images/decode.ts): EXIF orientation applied, alpha flattened onto white, sRGB,
 * centre crop to the input's aspect ratio ('center') or the whole image ('squash'), resized,
 * then normalised per the spec. Each snippet is run by test/export/snippets.test.ts.
 */
import type { ExportMetadata } from './index.js';

/** What a snippet needs: the export's metadata.json. */
type SnippetMetadata = Pick<
  ExportMetadata,
  'inputName' | 'inputShape' | 'normalization' | 'normalizationText' | 'crop' | 'outputName' | 'classes' | 'graphBackbone'
>;

/** The snippets an export offers: `python` only when an ONNX model was written. */
export type ExportSnippets = { browser: string; node: string; python?: string };

export function exportSnippets(metadata: SnippetMetadata, options: { onnxFile?: string } = {}): ExportSnippets {
  return {
    browser: browserSnippet(metadata),
    node: nodeSnippet(metadata),
    ...(options.onnxFile ? { python: pythonSnippet(metadata, options.onnxFile) } : {}),
  };
}

const num = (v: number): string => String(+v.toFixed(6));

/**
 * label_image.py's (pixel - mean) / std for the whole normalisation, per channel when the
 * channels differ; `null` for a step that changes nothing (mean 0, std 1).
 */
function meanStd(n: ExportMetadata['normalization']): { mean: string | null; std: string | null } {
  const fmt = (values: number[], identity: number): string | null =>
    values.every((v) => v === values[0]) ? (values[0] === identity ? null : num(values[0])) : `[${values.map(num).join(', ')}]`;
  if (n.kind === 'range') {
    // [0, 255] → [min, max]: pixel * (max - min) / 255 + min = (pixel - mean) / std.
    const std = 255 / (n.max - n.min);
    return { mean: fmt([-n.min * std], 0), std: fmt([std], 1) };
  }
  const three = (v: number | number[]): number[] => (typeof v === 'number' ? [v, v, v] : v);
  return { mean: fmt(three(n.mean), 0), std: fmt(three(n.std), 1) };
}

function size(metadata: SnippetMetadata): { height: number; width: number } {
  const [, height, width] = metadata.inputShape;
  return { height: height ?? 224, width: width ?? 224 };
}

/** One comment line: how pixels are prepared, in words. */
function preprocessComment(metadata: SnippetMetadata, resize: string): string {
  const { height, width } = size(metadata);
  const crop = metadata.crop === 'center' ? `centre crop to the input's aspect ratio, ${resize} resize to ${width}×${height}` : `${resize} resize of the whole image to ${width}×${height} (no crop)`;
  return `EXIF rotation, alpha onto white, ${crop}, then ${metadata.normalizationText}.`;
}

/** `.sub(m).div(s)` for TF.js, leaving out steps that change nothing. */
function tfjsNormalize(metadata: SnippetMetadata): string {
  const { mean, std } = meanStd(metadata.normalization);
  return `${mean ? `.sub(${mean})` : ''}${std ? `.div(${std})` : ''}`;
}

const TOP5 = `[...p].map((v, i) => [labels[i], v]).sort((a, b) => b[1] - a[1]).slice(0, 5)`;

/** Loading lines and a `predict(x)` for both export layouts (one model, or graph backbone + head). */
function tfjsLoad(metadata: SnippetMetadata, load: (file: string) => string): string[] {
  const graph = metadata.graphBackbone;
  if (!graph) return [`const model = await tf.loadLayersModel(${load('model.json')});`, `const predict = (x) => model.predict(x);`];
  return [
    `const backbone = await tf.loadGraphModel(${load(`${graph.dir}/model.json`)});`,
    `const head = await tf.loadLayersModel(${load(`${graph.head}/model.json`)});`,
    `// The head reads '${graph.node}', averaged over height and width when it is a feature map.`,
    `const predict = (x) => tf.tidy(() => { const f = backbone.execute(x, '${graph.node}'); return head.predict(f.rank === 4 ? f.mean([1, 2]) : f); });`,
  ];
}

/** TF.js in a browser: `classify(img)` for a loaded <img>, <canvas> or ImageBitmap. */
export function browserSnippet(metadata: SnippetMetadata): string {
  const { height, width } = size(metadata);
  const draw =
    metadata.crop === 'center'
      ? [
          `  // As the app (sharp's 'cover'): scale to cover ${width}×${height}, sides rounded, then cut out the centre.`,
          `  const s = Math.max(${width} / w, ${height} / h), sw = Math.round(w * s), sh = Math.round(h * s);`,
          `  ctx.drawImage(img, -Math.floor((sw - ${width} + 1) / 2), -Math.floor((sh - ${height} + 1) / 2), sw, sh);`,
        ]
      : [`  ctx.drawImage(img, 0, 0, ${width}, ${height});`];
  return [
    `import * as tf from '@tensorflow/tfjs';`,
    ``,
    `// In a module (<script type="module"> or a bundler). URLs are relative to the page: serve the export folder beside it.`,
    ...tfjsLoad(metadata, (file) => `'${file}'`),
    `const labels = ${JSON.stringify(metadata.classes)};`,
    ``,
    `// Top 5 [label, probability] for a loaded <img>, <canvas> or ImageBitmap, prepared as Retrain Studio does:`,
    `// ${preprocessComment(metadata, 'smooth')}`,
    `async function classify(img) {`,
    ...(metadata.crop === 'center' ? [`  const w = img.naturalWidth || img.width, h = img.naturalHeight || img.height;`] : []),
    `  const ctx = new OffscreenCanvas(${width}, ${height}).getContext('2d');`,
    `  ctx.fillStyle = 'white';`,
    `  ctx.fillRect(0, 0, ${width}, ${height});`,
    `  ctx.imageSmoothingQuality = 'high'; // smooth scaling, as the app's; tf.image.resizeBilinear aliases big photos`,
    ...draw,
    `  const x = tf.tidy(() => tf.browser.fromPixels(ctx.getImageData(0, 0, ${width}, ${height})).toFloat()${tfjsNormalize(metadata)}.expandDims(0));`,
    `  const y = predict(x); // input '${metadata.inputName}' [1, ${height}, ${width}, 3], output '${metadata.outputName}'`,
    `  const p = await y.data();`,
    `  tf.dispose([x, y]);`,
    `  return ${TOP5};`,
    `}`,
    `// e.g. console.log(await classify(document.querySelector('img')));`,
  ].join('\n');
}

/** TF.js in Node with sharp (the app's own image library, so the same pixels): a script. */
export function nodeSnippet(metadata: SnippetMetadata): string {
  const { height, width } = size(metadata);
  const fit = metadata.crop === 'center' ? 'cover' : 'fill';
  return [
    `// classify.mjs: npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm sharp`,
    `// then, in the export folder: node classify.mjs photo.jpg …`,
    `import { readFile } from 'node:fs/promises';`,
    `import path from 'node:path';`,
    `import * as tf from '@tensorflow/tfjs';`,
    `import '@tensorflow/tfjs-backend-wasm';`,
    `import sharp from 'sharp';`,
    ``,
    `await tf.setBackend('wasm'); // far faster than the default pure-JS backend`,
    `// Plain @tensorflow/tfjs reads no files (tfjs-node adds file:// URLs): hand it model.json and its weights.`,
    `async function files(file) {`,
    `  const json = JSON.parse(await readFile(file, 'utf8'));`,
    `  const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(path.join(path.dirname(file), p))));`,
    `  return tf.io.fromMemory({ ...json, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: new Uint8Array(Buffer.concat(shards)).buffer });`,
    `}`,
    ...tfjsLoad(metadata, (file) => `await files('${file}')`),
    `const labels = ${JSON.stringify(metadata.classes)};`,
    ``,
    `// Top 5 [label, probability] for an image file, prepared exactly as Retrain Studio does:`,
    `// ${preprocessComment(metadata, 'Lanczos')}`,
    `async function classify(file) {`,
    `  const pixels = await sharp(file).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha()`,
    `    .resize(${width}, ${height}, { fit: '${fit}' }).raw().toBuffer();`,
    `  const x = tf.tidy(() => tf.tensor(pixels, [1, ${height}, ${width}, 3], 'float32')${tfjsNormalize(metadata)});`,
    `  const y = predict(x); // input '${metadata.inputName}', output '${metadata.outputName}'`,
    `  const p = await y.data();`,
    `  tf.dispose([x, y]);`,
    `  return ${TOP5};`,
    `}`,
    ``,
    `for (const file of process.argv.slice(2)) console.log(file, JSON.stringify(await classify(file)));`,
  ].join('\n');
}

/** Python with onnxruntime and Pillow: a script reading `onnxFile` and labels.txt. */
export function pythonSnippet(metadata: SnippetMetadata, onnxFile = 'model.onnx'): string {
  const { height, width } = size(metadata);
  const { mean, std } = meanStd(metadata.normalization);
  const py = (v: string): string => (v.startsWith('[') ? `np.array(${v}, np.float32)` : v);
  const pixels = 'np.asarray(image, np.float32)';
  const centred = mean ? `${std ? '(' : ''}${pixels} - ${py(mean)}${std ? ')' : ''}` : pixels;
  const normalized = std ? `${centred} / ${py(std)}` : centred;
  const resize =
    metadata.crop === 'center'
      ? [
          `    # As the app (sharp's 'cover'): scale to cover ${width}x${height}, sides rounded, then cut out the centre.`,
          `    s = max(${width} / image.width, ${height} / image.height)`,
          `    sw, sh = round(image.width * s), round(image.height * s)`,
          `    left, top = (sw - ${width} + 1) // 2, (sh - ${height} + 1) // 2`,
          `    image = image.resize((sw, sh), Image.LANCZOS).crop((left, top, left + ${width}, top + ${height}))`,
        ]
      : [`    image = image.resize((${width}, ${height}), Image.LANCZOS)  # the whole image, no crop`];
  return [
    `# classify.py: pip install onnxruntime numpy pillow; then, in the export folder: python classify.py photo.jpg ...`,
    `import json, sys`,
    `import numpy as np`,
    `import onnxruntime as ort`,
    `from PIL import Image, ImageOps`,
    ``,
    `session = ort.InferenceSession('${onnxFile}')`,
    `labels = open('labels.txt', encoding='utf-8').read().splitlines()`,
    ``,
    `def classify(path):`,
    `    """Top 5 (label, probability), prepared as Retrain Studio does:`,
    `    ${preprocessComment(metadata, 'Lanczos')}"""`,
    `    image = ImageOps.exif_transpose(Image.open(path)).convert('RGBA')`,
    `    image = Image.alpha_composite(Image.new('RGBA', image.size, 'white'), image).convert('RGB')`,
    ...resize,
    `    x = ${normalized}`,
    `    p = session.run(None, {session.get_inputs()[0].name: x[None]})[0][0]  # '${metadata.outputName}'`,
    `    return sorted(zip(labels, p.tolist()), key=lambda t: -t[1])[:5]`,
    ``,
    `for path in sys.argv[1:]:`,
    `    print(path, json.dumps(classify(path)))`,
  ].join('\n');
}
