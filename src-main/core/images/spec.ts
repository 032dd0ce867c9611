/**
 * How a model wants its input pixels. One spec is used identically for bottlenecks,
 * labelling and export, and its `specKey` is part of every bottleneck cache key.
 */
export type Normalization =
  /** Map [0, 255] linearly onto [min, max], e.g. [-1, 1] for MobileNet, [0, 1] for TF Hub models. */
  | { kind: 'range'; min: number; max: number }
  /** (pixel - mean) / std per channel (or one value for all), label_image.py's --input_mean/--input_std. */
  | { kind: 'meanStd'; mean: number | [number, number, number]; std: number | [number, number, number] };

export type CropRule =
  /** Centre-crop to a square, then resize (keeps the aspect ratio). */
  | 'center'
  /** Resize the whole image to the input size (distorts the aspect ratio), as retrain.py did. */
  | 'squash';

export type PreprocessSpec = {
  heightPx: number;
  widthPx: number;
  crop: CropRule;
  normalization: Normalization;
};

/** Bump when decoding or resizing changes in a way that changes pixel values. */
export const PREPROCESS_VERSION = 1;

/** A stable string for a spec; part of the bottleneck cache key and of export metadata. */
export function specKey(spec: PreprocessSpec): string {
  const n = spec.normalization;
  const norm = n.kind === 'range' ? `range(${n.min},${n.max})` : `meanStd(${String(n.mean)};${String(n.std)})`;
  return `v${PREPROCESS_VERSION}:${spec.heightPx}x${spec.widthPx}:${spec.crop}:${norm}`;
}

/** Per-channel scale and offset so that normalised = pixel * scale + offset. */
export function normalizationAffine(n: Normalization): { scale: [number, number, number]; offset: [number, number, number] } {
  if (n.kind === 'range') {
    const s = (n.max - n.min) / 255;
    return { scale: [s, s, s], offset: [n.min, n.min, n.min] };
  }
  const mean = typeof n.mean === 'number' ? [n.mean, n.mean, n.mean] : n.mean;
  const std = typeof n.std === 'number' ? [n.std, n.std, n.std] : n.std;
  return {
    scale: [1 / std[0], 1 / std[1], 1 / std[2]],
    offset: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}

/** Human-readable normalisation, e.g. "[-1, 1] (pixel / 127.5 - 1)". */
export function describeNormalization(n: Normalization): string {
  if (n.kind === 'meanStd') return `(pixel - ${String(n.mean)}) / ${String(n.std)}`;
  const { scale, offset } = normalizationAffine(n);
  const divisor = +(1 / scale[0]).toFixed(4);
  const off = offset[0] === 0 ? '' : offset[0] > 0 ? ` + ${offset[0]}` : ` - ${-offset[0]}`;
  return `[${n.min}, ${n.max}] (pixel / ${divisor}${off})`;
}
