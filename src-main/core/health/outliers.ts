/**
 * Outliers: images that look like no class. Each image is compared with every class
 * centroid (mean of the L2-normalised features, its own image left out of its own class's
 * centroid, so an outlier cannot pull its centroid towards itself).
 */
import type { HealthImage, Outlier } from './types.js';

/** Robust z below which an image is an outlier (median − 3.5 MADs of the best centroid similarity). */
export const OUTLIER_MAD_FACTOR = 3.5;
export const OUTLIER_RULE = `best class-centroid cosine similarity below median − ${OUTLIER_MAD_FACTOR} × 1.4826 × MAD over the dataset (own image left out of its centroid)`;

/** Per-image best centroid similarity and own-class similarity. */
export function centroidSimilarities(normalised: Float32Array, labels: Int32Array, featureSize: number, classCount: number): { best: Float32Array; own: Float32Array } {
  const count = labels.length;
  const sums = new Float64Array(classCount * featureSize);
  const sizes = new Float64Array(classCount);
  for (let i = 0; i < count; i++) {
    const base = labels[i] * featureSize;
    for (let k = 0; k < featureSize; k++) sums[base + k] += normalised[i * featureSize + k];
    sizes[labels[i]]++;
  }
  // ‖sum‖² per class, and each image's dot with every class sum: cos(x, c − x) follows without a second centroid.
  const sumNorm2 = new Float64Array(classCount);
  for (let c = 0; c < classCount; c++) for (let k = 0; k < featureSize; k++) sumNorm2[c] += sums[c * featureSize + k] ** 2;
  const best = new Float32Array(count);
  const own = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const x = i * featureSize;
    let xx = 0;
    for (let k = 0; k < featureSize; k++) xx += normalised[x + k] ** 2;
    let top = -1;
    for (let c = 0; c < classCount; c++) {
      let dot = 0;
      for (let k = 0; k < featureSize; k++) dot += normalised[x + k] * sums[c * featureSize + k];
      let sim: number;
      if (c === labels[i]) {
        // (x·(S − x)) / (‖x‖ ‖S − x‖), with ‖S − x‖² = ‖S‖² − 2 x·S + ‖x‖².
        if (sizes[c] < 2) {
          own[i] = 0;
          continue;
        }
        const restNorm = Math.sqrt(Math.max(0, sumNorm2[c] - 2 * dot + xx));
        sim = restNorm > 0 && xx > 0 ? (dot - xx) / (restNorm * Math.sqrt(xx)) : 0;
        own[i] = sim;
      } else {
        if (sizes[c] === 0) continue;
        sim = sumNorm2[c] > 0 && xx > 0 ? dot / (Math.sqrt(sumNorm2[c]) * Math.sqrt(xx)) : 0;
      }
      if (sim > top) top = sim;
    }
    best[i] = top;
  }
  return { best, own };
}

function median(values: Float32Array | number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Images whose best centroid similarity is a robust low outlier (OUTLIER_RULE), most isolated first. */
export function findOutliers(normalised: Float32Array, images: HealthImage[], classes: string[], featureSize: number): Outlier[] {
  if (images.length < 3) return [];
  const labels = Int32Array.from(images, (image) => image.label);
  const { best, own } = centroidSimilarities(normalised, labels, featureSize, classes.length);
  const m = median(best);
  const mad = median(Array.from(best, (b) => Math.abs(b - m)));
  const cut = m - OUTLIER_MAD_FACTOR * 1.4826 * mad;
  const out: Outlier[] = [];
  images.forEach((image, i) => {
    if (best[i] < cut) out.push({ path: image.path, label: classes[image.label], score: 1 - best[i], ownSimilarity: own[i], split: image.split });
  });
  return out.sort((a, b) => b.score - a.score || (a.path < b.path ? -1 : 1));
}
