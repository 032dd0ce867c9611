/**
 * Which engine computes a run's bottlenecks: ONNX Runtime when it is allowed, the backbone
 * (TF.js layers or graph model) converts, and its features match TF.js on real photos of the
 * dataset; otherwise TF.js in a worker thread. The outcome is recorded with the model files'
 * fingerprint, so a later run over the same files loads the checked ONNX model (or goes to
 * TF.js) without loading the TF.js model on this thread. Every choice comes with a note.
 */
import type { Dataset } from '../dataset/index.js';
import { decodeImage } from '../images/index.js';
import type { ExtractorCache, WorkerEngine } from '../models/extractor-cache.js';
import { loadThreadedFeatureExtractor } from '../models/extractor-thread.js';
import type { FeatureExtractor, ModelInfo } from '../models/types.js';
import { createOnnxFeatureExtractor, loadCheckedOnnxExtractor } from '../onnx/index.js';

/** Photos of the dataset both engines must agree on before ONNX Runtime is trusted. */
export const PARITY_IMAGES = 4;

/** The extractor chosen for a run and why. */
export type FeatureEngineChoice = { extractor: FeatureExtractor; note: string };

export type FeatureEngineOptions = {
  extractors: ExtractorCache;
  /** Folder for converted `.onnx` files. */
  onnxCacheDir: string;
  /** The TF.js backend worker threads load (read at each choice: the backend can change). */
  engine: () => WorkerEngine;
  warn?: (message: string) => void;
};

export interface FeatureEngine {
  /**
   * The bottleneck extractor for `info` on `dataset`. With `allowOnnx` false it is TF.js in
   * a worker. Owned by the extractor cache: callers never dispose it.
   */
  choose(info: ModelInfo, dataset: Dataset, allowOnnx: boolean): Promise<FeatureEngineChoice>;
}

/**
 * Up to `count` photos of `dataset` preprocessed for `info` and packed NHWC: the first of
 * each class, then the second, and so on. Unreadable photos are passed over.
 */
export async function parityPixels(dataset: Dataset, info: ModelInfo, count = PARITY_IMAGES): Promise<{ pixels: Float32Array; count: number }> {
  const imageSize = info.spec.heightPx * info.spec.widthPx * 3;
  const pixels = new Float32Array(count * imageSize);
  let found = 0;
  const rounds = Math.max(0, ...dataset.classes.map((c) => c.images.length));
  for (let round = 0; round < rounds && found < count; round++) {
    for (const c of dataset.classes) {
      const image = c.images[round];
      if (!image || found === count) continue;
      const decoded = await decodeImage(image.path, info.spec).catch(() => null);
      if (decoded) pixels.set(decoded.data, found++ * imageSize);
    }
  }
  return { pixels: pixels.subarray(0, found * imageSize), count: found };
}

/** Creates the chooser. ONNX conversions and their parity checks are cached with the extractors. */
export function createFeatureEngine(options: FeatureEngineOptions): FeatureEngine {
  const { extractors } = options;
  // Why each cached ONNX-or-fallback extractor is what it is (a cache hit has no new reason).
  const notes = new WeakMap<FeatureExtractor, string>();

  const fallback = async (info: ModelInfo, note: string): Promise<FeatureExtractor> => {
    const threaded = await loadThreadedFeatureExtractor(info, options.engine());
    notes.set(threaded, note);
    return threaded;
  };

  const onnxOrFallback = async (info: ModelInfo, dataset: Dataset): Promise<FeatureExtractor> => {
    // A conversion already checked on these model files: no TF.js model on this thread at all.
    const checked = await loadCheckedOnnxExtractor(info, { cacheDir: options.onnxCacheDir });
    if (checked && 'extractor' in checked) {
      const { extractor, parity } = checked;
      notes.set(extractor, `${extractor.engine} (parity with TF.js: max relative error ${parity.maxRelativeError.toExponential(1)} on ${parity.images} images, checked on an earlier run)`);
      return extractor;
    }
    if (checked) {
      const note = `tfjs-${options.engine().backend} in a worker thread: ONNX Runtime not used — ${checked.reason} (checked on an earlier run)`;
      options.warn?.(note);
      return fallback(info, note);
    }
    const base = await extractors.tfjs(info);
    const parity = await parityPixels(dataset, info);
    if (parity.count === 0) return fallback(info, `${base.engine} in a worker thread: no readable image to check ONNX Runtime's parity with`);
    const result = await createOnnxFeatureExtractor(base, { cacheDir: options.onnxCacheDir, parityPixels: parity.pixels, parityCount: parity.count });
    if (result.extractor) {
      notes.set(result.extractor, `${result.extractor.engine} (parity with TF.js: max relative error ${result.parity.maxRelativeError.toExponential(1)} on ${result.parity.images} images)`);
      return result.extractor;
    }
    const note = `${base.engine} in a worker thread: ONNX Runtime not used — ${result.reason ?? 'parity check failed'}`;
    options.warn?.(note);
    return fallback(info, note);
  };

  return {
    async choose(info, dataset, allowOnnx) {
      if (!allowOnnx) {
        const threaded = await extractors.threaded(info, options.engine());
        return { extractor: threaded, note: `${threaded.engine} in a worker thread (TF.js chosen in settings)` };
      }
      const extractor = await extractors.other('onnx', info, () => onnxOrFallback(info, dataset));
      return { extractor, note: notes.get(extractor) ?? extractor.engine };
    },
  };
}
