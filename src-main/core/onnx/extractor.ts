/**
 * A FeatureExtractor on ONNX Runtime, built from a TF.js one: convert (or reuse the cached
 * conversion), then prove on real images that both engines give the same features.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import type { FeatureExtractor } from '../models/types.js';
import { writeAtomic } from '../tf/file-io.js';
import { CONVERTER_VERSION, DEFAULT_OPSET, convertPlan } from './convert.js';
import { compareOutputs, DEFAULT_PARITY_TOLERANCE, emptyParity, type ParityReport } from './parity.js';
import { fingerprintPlan, planModels } from './plan.js';
import { createOnnxSession, type OnnxSession } from './session.js';

/** Options for {@link createOnnxFeatureExtractor}. */
export type OnnxExtractorOptions = {
  /** Folder for converted `.onnx` files (created if needed). */
  cacheDir: string;
  /**
   * Real images, preprocessed with `base.info.spec`, packed `[parityCount, h, w, 3]` NHWC.
   * Both engines run on them and must agree before the ONNX extractor is used.
   */
  parityPixels: Float32Array;
  parityCount: number;
  /** Largest accepted {@link ParityReport.maxRelativeError}. Default 1e-4. */
  tolerance?: number;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's choice. */
  threads?: number;
  /** Try CUDA first (see createOnnxSession). Default false. */
  preferCuda?: boolean;
};

/** The outcome of {@link createOnnxFeatureExtractor}. */
export type OnnxExtractorResult = {
  /** Present only when conversion worked and parity holds. Owns its ONNX session. */
  extractor?: FeatureExtractor;
  parity: ParityReport;
  /** Why there is no extractor (unsupported layer, parity numbers, load failure). */
  reason?: string;
  /** The `.onnx` file used, when conversion succeeded. */
  cacheFile?: string;
  /** True when the `.onnx` file came from the cache (no conversion ran). */
  fromCache: boolean;
};

function cacheFileName(id: string, fingerprint: string): string {
  const safeId = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'model';
  return `${safeId}-${fingerprint.slice(0, 24)}.onnx`;
}

/**
 * Builds an ONNX Runtime FeatureExtractor equivalent to `base`.
 *
 * Needs `base.layersModel` (input → features). The converted model is cached in
 * `cacheDir` under a name keyed by a SHA-256 of the model's layers, wiring, weights and the
 * converter version, so the next run loads it without converting. The extractor is returned
 * only when its features on `parityPixels` match `base.extract` within `tolerance` (see
 * {@link ParityReport} for the exact definition); otherwise `reason` says why and the caller
 * keeps using `base`.
 *
 * The returned extractor has `engine: 'onnxruntime-cpu'` (or `onnxruntime-cuda`), the same
 * `info` and `layersModel` as `base`, and its dispose() releases only the ONNX session:
 * `base` stays owned by the caller.
 *
 * Never throws for a model that cannot be converted; throws CoreError `INVALID_ARGUMENT` when
 * the parity images are missing or have the wrong size.
 */
export async function createOnnxFeatureExtractor(
  base: FeatureExtractor,
  options: OnnxExtractorOptions,
): Promise<OnnxExtractorResult> {
  const tolerance = options.tolerance ?? DEFAULT_PARITY_TOLERANCE;
  const model = base.layersModel;
  if (!model) {
    return {
      parity: emptyParity(tolerance),
      fromCache: false,
      reason: `${base.info.name} is a graph model; only TF.js layers models can be converted to ONNX.`,
    };
  }
  const imageShape = model.inputs[0].shape.slice(1);
  if (imageShape.some((d) => d == null)) {
    return { parity: emptyParity(tolerance), fromCache: false, reason: `${base.info.name} has no fixed input size.` };
  }
  const imageSize = (imageShape as number[]).reduce((a, b) => a * b, 1);
  const { parityPixels, parityCount } = options;
  if (!Number.isInteger(parityCount) || parityCount < 1 || parityPixels.length < parityCount * imageSize) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `ONNX parity check needs at least one preprocessed image of [${imageShape.join(', ')}]: got parityCount ${parityCount} and ${parityPixels.length} floats.`,
    );
  }

  let plan;
  try {
    plan = planModels([model]);
  } catch (error) {
    if (error instanceof CoreError) return { parity: emptyParity(tolerance), fromCache: false, reason: error.message };
    throw error;
  }
  const convertOptions = { opset: DEFAULT_OPSET, poolSpatialOutputs: true, metadata: { model_id: base.info.id } };
  const fingerprint = fingerprintPlan(plan, `converter ${CONVERTER_VERSION} opset ${convertOptions.opset} pooled`);
  const cacheFile = path.join(options.cacheDir, cacheFileName(base.info.id, fingerprint));

  const sessionOptions = { threads: options.threads, preferCuda: options.preferCuda };
  let session: OnnxSession | undefined;
  let fromCache = false;
  const cached = await readFile(cacheFile).catch(() => undefined);
  if (cached) {
    // A damaged cache entry is discarded and rebuilt below.
    session = await createOnnxSession(cached, sessionOptions).catch(() => undefined);
    if (session) fromCache = true;
    else await rm(cacheFile, { force: true });
  }
  if (!session) {
    let bytes: Uint8Array;
    try {
      bytes = convertPlan(plan, convertOptions).bytes;
    } catch (error) {
      if (error instanceof CoreError) return { parity: emptyParity(tolerance), fromCache: false, reason: error.message };
      throw error;
    }
    try {
      session = await createOnnxSession(bytes, sessionOptions);
    } catch (error) {
      return { parity: emptyParity(tolerance), fromCache: false, reason: (error as Error).message };
    }
    await mkdir(options.cacheDir, { recursive: true });
    await writeAtomic(cacheFile, bytes);
  }

  let parity: ParityReport;
  try {
    const reference = await base.extract(parityPixels.subarray(0, parityCount * imageSize), parityCount);
    const candidate = await session.run(parityPixels, parityCount);
    parity = compareOutputs(reference, candidate, parityCount, tolerance);
  } catch (error) {
    await session.dispose();
    throw error;
  }
  if (!parity.ok) {
    await session.dispose();
    return {
      parity,
      cacheFile,
      fromCache,
      reason:
        `ONNX Runtime and TF.js disagree on ${parity.images} image(s): max relative error ${parity.maxRelativeError.toExponential(2)} ` +
        `(tolerance ${tolerance.toExponential(1)}), max absolute error ${parity.maxAbsError.toExponential(2)}.`,
    };
  }

  const onnxSession = session;
  const featureSize = base.info.featureSize;
  const extractor: FeatureExtractor = {
    info: base.info,
    engine: `onnxruntime-${onnxSession.executionProvider}`,
    layersModel: base.layersModel,
    async extract(pixels: Float32Array, count: number): Promise<Float32Array> {
      const out = await onnxSession.run(pixels, count);
      if (featureSize > 0 && out.length !== count * featureSize) {
        throw new Error(`ONNX extractor produced ${out.length} values for ${count} image(s) of ${featureSize} features.`);
      }
      return out;
    },
    dispose(): void {
      void onnxSession.dispose();
    },
  };
  return { extractor, parity, cacheFile, fromCache };
}
