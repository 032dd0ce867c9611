/** A scanned dataset and its bottlenecks as the checks' input. */
import { CoreError } from '../errors.js';
import type { Dataset } from '../dataset/types.js';
import type { HealthImage, HealthInput } from './types.js';

/**
 * `vectors[i]` is the bottleneck of the i-th image in class order (`dataset.classes.flatMap(c => c.images)`),
 * or undefined when it could not be read: those images are left out.
 */
export function healthInputFromDataset(dataset: Dataset, vectors: ReadonlyArray<Float32Array | undefined>, featureSize: number): HealthInput {
  const all = dataset.classes.flatMap((c, label) => c.images.map((image) => ({ image, label })));
  if (vectors.length !== all.length) throw new CoreError('INVALID_ARGUMENT', `Data health: ${vectors.length} vectors for ${all.length} images of ${dataset.root}.`);
  const images: HealthImage[] = [];
  const kept: Float32Array[] = [];
  all.forEach(({ image, label }, i) => {
    const v = vectors[i];
    if (!v || v.length !== featureSize) return;
    images.push({ path: image.relativePath, label, split: image.split, contentHash: image.contentHash });
    kept.push(v);
  });
  const features = new Float32Array(kept.length * featureSize);
  kept.forEach((v, i) => features.set(v, i * featureSize));
  return { images, classes: dataset.classes.map((c) => c.name), features, featureSize };
}
