/**
 * "Why this prediction": occlusion sensitivity (Zeiler & Fergus 2014). A grey square slides
 * over the model's input; each occluded variant is classified in one batch through the same
 * classifier (so it works for every model and engine), and the drop of the top class's
 * probability says how much that region drove the prediction.
 */
import { CoreError } from '../errors.js';
import { decodeImage, normalizationAffine, probeBytes, probeImage } from '../images/index.js';
import type { ImageClassifier } from './index.js';

export type OcclusionOptions = {
  /** Side of the grey square, as a fraction of the input side (default 1/4: 56 px at 224). */
  patchFraction?: number;
  /** Cells per side of the heat map; the square moves by one cell (default 8: stride 28 px at 224). */
  gridSize?: number;
  /** Explain this class instead of the top one. */
  classIndex?: number;
  /** Occluded variants per predict call (bounds memory). */
  batchSize?: number;
};

/** A heat map over the model's input, and where that input lies on the original photo. */
export type HeatMap = {
  method: 'occlusion';
  /** What the method did, for the screen. */
  methodText: string;
  label: string;
  classIndex: number;
  /** The class's probability on the whole image. */
  probability: number;
  rows: number;
  cols: number;
  /**
   * Row-major `rows × cols`: the mean drop of the class's probability when a square covering
   * the cell is greyed out. Positive = the region supported the class; negative = it argued against.
   */
  values: number[];
  /** The largest |value| (0 when occlusion changed nothing): a scale for colouring. */
  maxAbs: number;
  /** The part of the photo the model input shows (fractions of its oriented width/height): the centre crop, or all of it. */
  region: { x: number; y: number; width: number; height: number };
  /** Variants classified (occluded images + the original). */
  evaluations: number;
  durationMs: number;
};

const DEFAULT_PATCH_FRACTION = 1 / 4;
const DEFAULT_GRID = 8;
/** The grey that replaces an occluded region, in pixel values 0–255 (then normalised as the model expects). */
const OCCLUSION_GREY = 127.5;

/**
 * The occlusion heat map of `image` for the classifier's top class (or `classIndex`).
 * With the defaults that is 7 × 7 square positions + the original = 50 images in one or two batches.
 * @throws CoreError INVALID_ARGUMENT for options out of range; what decodeImage throws
 */
export async function occlusionHeatMap(classifier: ImageClassifier, image: string | Uint8Array, options: OcclusionOptions = {}, sourceName?: string): Promise<HeatMap> {
  const start = performance.now();
  const { heightPx: h, widthPx: w } = classifier.spec;
  const grid = options.gridSize ?? DEFAULT_GRID;
  const patchFraction = options.patchFraction ?? DEFAULT_PATCH_FRACTION;
  if (!Number.isInteger(grid) || grid < 2 || grid > Math.min(h, w)) throw new CoreError('INVALID_ARGUMENT', `The heat map grid must be a whole number from 2 to ${Math.min(h, w)} cells per side; got ${grid}.`);
  if (!(patchFraction > 0 && patchFraction <= 1)) throw new CoreError('INVALID_ARGUMENT', `The occlusion patch must be a fraction of the image above 0 and at most 1; got ${patchFraction}.`);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 32));

  const decoded = await decodeImage(image, classifier.spec, { sourceName });
  const pixels = decoded.data;
  const classes = classifier.labels.length;
  const base = await classifier.predict(pixels, 1);
  let target = options.classIndex ?? 0;
  if (options.classIndex === undefined) for (let c = 1; c < classes; c++) if (base[c] > base[target]) target = c;
  if (!Number.isInteger(target) || target < 0 || target >= classes) throw new CoreError('INVALID_ARGUMENT', `Class index ${target} is outside the model's ${classes} classes.`);
  const baseProbability = base[target];

  // Square positions: every `cell` pixels, the square spanning `patchCells` cells, kept inside the image.
  const cellH = h / grid;
  const cellW = w / grid;
  const patchCells = Math.max(1, Math.round(patchFraction * grid));
  const positions: { row: number; col: number }[] = [];
  for (let row = 0; row + patchCells <= grid; row++) for (let col = 0; col + patchCells <= grid; col++) positions.push({ row, col });

  const { scale, offset } = normalizationAffine(classifier.spec.normalization);
  const grey = [0, 1, 2].map((c) => OCCLUSION_GREY * scale[c] + offset[c]);
  const imageSize = h * w * 3;
  const drops = new Float64Array(positions.length);
  for (let first = 0; first < positions.length; first += batchSize) {
    const batch = positions.slice(first, first + batchSize);
    const variants = new Float32Array(batch.length * imageSize);
    batch.forEach(({ row, col }, b) => {
      const target = variants.subarray(b * imageSize, (b + 1) * imageSize);
      target.set(pixels);
      const y0 = Math.round(row * cellH);
      const y1 = Math.round((row + patchCells) * cellH);
      const x0 = Math.round(col * cellW);
      const x1 = Math.round((col + patchCells) * cellW);
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) target.set(grey, (y * w + x) * 3);
    });
    const probabilities = await classifier.predict(variants, batch.length);
    batch.forEach((_, b) => (drops[first + b] = baseProbability - probabilities[b * classes + target]));
  }

  // Each cell: the mean drop over the squares that covered it.
  const sum = new Float64Array(grid * grid);
  const count = new Uint32Array(grid * grid);
  positions.forEach(({ row, col }, i) => {
    for (let r = row; r < row + patchCells; r++) {
      for (let c = col; c < col + patchCells; c++) {
        sum[r * grid + c] += drops[i];
        count[r * grid + c]++;
      }
    }
  });
  const values = Array.from(sum, (s, i) => (count[i] ? s / count[i] : 0));
  const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const patchPx = Math.round(patchCells * cellW);
  return {
    method: 'occlusion',
    methodText: `Occlusion sensitivity: a grey ${patchPx}×${patchPx} px square slid over the ${w}×${h} input in ${Math.round(cellW)} px steps; red = the probability of "${classifier.labels[target]}" fell when that region was hidden.`,
    label: classifier.labels[target] ?? `class ${target}`,
    classIndex: target,
    probability: baseProbability,
    rows: grid,
    cols: grid,
    values,
    maxAbs,
    region: await inputRegion(image, classifier.spec.crop, w / h),
    evaluations: positions.length + 1,
    durationMs: performance.now() - start,
  };
}

/** The fraction of the (EXIF-oriented) photo the model's input covers: the centre crop, or the whole photo when squashed. */
async function inputRegion(image: string | Uint8Array, crop: 'center' | 'squash', inputAspect: number): Promise<HeatMap['region']> {
  if (crop === 'squash') return { x: 0, y: 0, width: 1, height: 1 };
  const probe = typeof image === 'string' ? await probeImage(image) : await probeBytes(image);
  // It was just decoded, so the probe only fails if the file changed since: then assume the whole photo.
  if (!probe.ok) return { x: 0, y: 0, width: 1, height: 1 };
  const { widthPx: width, heightPx: height } = probe;
  if (width / height > inputAspect) {
    const fraction = (height * inputAspect) / width;
    return { x: (1 - fraction) / 2, y: 0, width: fraction, height: 1 };
  }
  const fraction = width / inputAspect / height;
  return { x: 0, y: (1 - fraction) / 2, width: 1, height: fraction };
}
