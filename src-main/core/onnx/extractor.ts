/**
 * A FeatureExtractor on ONNX Runtime, built from a TF.js one: convert (or reuse the cached
 * conversion), then prove on real images that both engines give the same features.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import { modelFingerprint, NO_FILES_FINGERPRINT } from '../models/fingerprint.js';
import { inspectModelDir, requireNode } from '../models/inspect.js';
import type { FeatureExtractor, ModelInfo } from '../models/types.js';
import { readWeightData, writeAtomic } from '../tf/file-io.js';
import { CONVERTER_VERSION, DEFAULT_OPSET, convertPlan } from './convert.js';
import { convertTfGraphToOnnx } from './graph/convert.js';
import { parseTfGraph } from './graph/tf-graph.js';
import { compareOutputs, DEFAULT_PARITY_TOLERANCE, emptyParity, type ParityReport } from './parity.js';
import { fileIdentity, readParityRecord, sha256, writeParityRecord, type ParityRecord } from './parity-record.js';
import { fingerprintPlan, planModels } from './plan.js';
import { createOnnxSession, type OnnxSession, type OnnxSessionOptions } from './session.js';

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

/** What a model converts from: a fingerprint of everything that determines the graph, and the conversion. */
type ConversionSource = { fingerprint: string; convert: () => Uint8Array; imageShape: number[] };

const OPSET = DEFAULT_OPSET;

/** The conversion of `base`: its truncated layers model, or its graph model's files. A CoreError's message says why not. */
async function conversionSource(base: FeatureExtractor): Promise<ConversionSource> {
  const { info } = base;
  const metadata = { model_id: info.id };
  if (base.layersModel) {
    const model = base.layersModel;
    const imageShape = model.inputs[0].shape.slice(1);
    if (imageShape.some((d) => d == null)) throw new CoreError('INPUT_MISMATCH', `${info.name} has no fixed input size.`);
    const plan = planModels([model]);
    const options = { opset: OPSET, poolSpatialOutputs: true, metadata };
    return {
      fingerprint: fingerprintPlan(plan, `converter ${CONVERTER_VERSION} opset ${OPSET} pooled`),
      convert: () => convertPlan(plan, options).bytes,
      imageShape: imageShape as number[],
    };
  }
  if (info.format !== 'graph') throw new CoreError('UNSUPPORTED_LAYER', `${info.name} has no TF.js layers model to convert.`);
  // The node TF.js executes for the bottleneck (catalog feature vectors may name their output differently).
  const inspected = await inspectModelDir(info.dir);
  const node = requireNode(inspected, info.bottleneckNode).id;
  const graph = parseTfGraph(inspected.json, await readWeightData(info.dir, inspected.json), info.dir);
  const files = await modelFingerprint(info.dir);
  return {
    fingerprint: createHash('sha256').update(JSON.stringify(['graph', CONVERTER_VERSION, OPSET, files, node])).digest('hex'),
    convert: () =>
      convertTfGraphToOnnx(graph, { outputNode: node, opset: OPSET, poolSpatialOutputs: true, metadata, inputSize: [info.spec.heightPx, info.spec.widthPx] }).bytes,
    imageShape: [info.spec.heightPx, info.spec.widthPx, 3],
  };
}

/** The key of `info`'s parity record, or undefined when its files cannot be fingerprinted (a model built in memory). */
async function keyFor(info: ModelInfo) {
  const modelFiles = await modelFingerprint(info.dir).catch(() => NO_FILES_FINGERPRINT);
  if (modelFiles === NO_FILES_FINGERPRINT) return undefined;
  return { modelId: info.id, modelFiles, bottleneckNode: info.bottleneckNode, converter: CONVERTER_VERSION, opset: OPSET };
}

/** `session` as the FeatureExtractor of `info`. */
function onnxExtractor(info: ModelInfo, session: OnnxSession, layersModel: FeatureExtractor['layersModel']): FeatureExtractor {
  const featureSize = info.featureSize;
  return {
    info,
    engine: `onnxruntime-${session.executionProvider}`,
    ...(layersModel ? { layersModel } : {}),
    async extract(pixels: Float32Array, count: number): Promise<Float32Array> {
      const out = await session.run(pixels, count);
      if (featureSize > 0 && out.length !== count * featureSize) {
        throw new Error(`ONNX extractor produced ${out.length} values for ${count} image(s) of ${featureSize} features.`);
      }
      return out;
    },
    dispose(): void {
      void session.dispose();
    },
  };
}

/** What an earlier check of the same model files found, without loading TF.js. */
export type CheckedOnnx =
  /** Parity held: the cached ONNX model, loaded. */
  | { extractor: FeatureExtractor; parity: ParityReport; cacheFile: string }
  /** The conversion or the parity check failed for these files: use TF.js. */
  | { reason: string; parity: ParityReport };

/**
 * The ONNX extractor of `info` when an earlier {@link createOnnxFeatureExtractor} on the same
 * model files (fingerprint.ts), bottleneck, converter version and opset passed parity and its
 * `.onnx` file is unchanged (SHA-256): no TF.js model is loaded and no conversion or parity
 * check runs. A recorded failure is returned as `reason`. Undefined when nothing usable is
 * recorded (then call createOnnxFeatureExtractor).
 */
export async function loadCheckedOnnxExtractor(
  info: ModelInfo,
  options: { cacheDir: string; tolerance?: number; session?: OnnxSessionOptions },
): Promise<CheckedOnnx | undefined> {
  const key = await keyFor(info);
  if (!key) return undefined;
  const record = await readParityRecord(options.cacheDir, key);
  if (!record) return undefined;
  const tolerance = options.tolerance ?? DEFAULT_PARITY_TOLERANCE;
  if (!record.parity.ok || !(record.parity.maxRelativeError <= tolerance)) {
    // A failure checked against a looser tolerance than asked now says nothing: check again.
    if (record.parity.ok || record.parity.tolerance < tolerance) return undefined;
    return { reason: record.reason ?? 'parity check failed', parity: record.parity };
  }
  if (!record.onnxFile || !record.onnxSha256) return undefined;
  const cacheFile = path.join(options.cacheDir, path.basename(record.onnxFile));
  // Hashing a 90 MB Inception takes a second: the bytes are hashed only when the file's identity changed.
  const unchanged = record.onnxIdentity !== undefined && (await fileIdentity(cacheFile)) === record.onnxIdentity;
  const bytes = await readFile(cacheFile).catch(() => undefined);
  if (!bytes || (!unchanged && sha256(bytes) !== record.onnxSha256)) return undefined;
  const session = await createOnnxSession(bytes, options.session).catch(() => undefined);
  if (!session) return undefined;
  const checkedInfo = { ...info, inputShape: record.inputShape, featureSize: record.featureSize };
  return { extractor: onnxExtractor(checkedInfo, session, undefined), parity: record.parity, cacheFile };
}

/**
 * Builds an ONNX Runtime FeatureExtractor equivalent to `base`.
 *
 * Converts `base.layersModel` (input → features) or, for a graph model, the graph in
 * `base.info.dir` up to its bottleneck node (graph/). The converted model is cached in
 * `cacheDir` under a name keyed by a SHA-256 of what determines it (layers: layers, wiring,
 * weights; graph: the model's files and node; both: the converter version), so the next run
 * loads it without converting. The extractor is returned only when its features on
 * `parityPixels` match `base.extract` within `tolerance` (see {@link ParityReport}); otherwise
 * `reason` says why and the caller keeps using `base`. When `base.info.dir` holds the model's
 * files, the outcome is recorded (parity-record.ts) for {@link loadCheckedOnnxExtractor}.
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
  const key = await keyFor(base.info);
  const record = async (fields: Pick<ParityRecord, 'converted' | 'parity' | 'reason' | 'onnxFile' | 'onnxSha256' | 'onnxIdentity'>): Promise<void> => {
    if (!key) return;
    const info = base.info;
    await writeParityRecord(options.cacheDir, { ...key, ...fields, inputShape: info.inputShape, featureSize: info.featureSize });
  };

  let source: ConversionSource;
  try {
    source = await conversionSource(base);
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    return { parity: emptyParity(tolerance), fromCache: false, reason: error.message };
  }
  const imageSize = source.imageShape.reduce((a, b) => a * b, 1);
  const { parityPixels, parityCount } = options;
  if (!Number.isInteger(parityCount) || parityCount < 1 || parityPixels.length < parityCount * imageSize) {
    throw new CoreError(
      'INVALID_ARGUMENT',
      `ONNX parity check needs at least one preprocessed image of [${source.imageShape.join(', ')}]: got parityCount ${parityCount} and ${parityPixels.length} floats.`,
    );
  }
  const cacheFile = path.join(options.cacheDir, cacheFileName(base.info.id, source.fingerprint));

  const sessionOptions = { threads: options.threads, preferCuda: options.preferCuda };
  let session: OnnxSession | undefined;
  let fromCache = false;
  let bytes: Uint8Array | undefined = await readFile(cacheFile).catch(() => undefined);
  if (bytes) {
    // A damaged cache entry is discarded and rebuilt below.
    session = await createOnnxSession(bytes, sessionOptions).catch(() => undefined);
    if (session) fromCache = true;
    else await rm(cacheFile, { force: true });
  }
  if (!session) {
    try {
      bytes = source.convert();
    } catch (error) {
      if (!(error instanceof CoreError)) throw error;
      const parity = emptyParity(tolerance);
      await record({ converted: source.fingerprint, parity, reason: error.message });
      return { parity, fromCache: false, reason: error.message };
    }
    try {
      session = await createOnnxSession(bytes, sessionOptions);
    } catch (error) {
      return { parity: emptyParity(tolerance), fromCache: false, reason: (error as Error).message };
    }
    await mkdir(options.cacheDir, { recursive: true });
    await writeAtomic(cacheFile, bytes);
  }
  const onnxBytes = bytes as Uint8Array;

  let parity: ParityReport;
  try {
    const reference = await base.extract(parityPixels.subarray(0, parityCount * imageSize), parityCount);
    const candidate = await session.run(parityPixels, parityCount);
    parity = compareOutputs(reference, candidate, parityCount, tolerance);
  } catch (error) {
    await session.dispose();
    throw error;
  }
  const identity = await fileIdentity(cacheFile);
  const checked = {
    converted: source.fingerprint,
    parity,
    onnxFile: path.basename(cacheFile),
    onnxSha256: sha256(onnxBytes),
    ...(identity ? { onnxIdentity: identity } : {}),
  };
  if (!parity.ok) {
    await session.dispose();
    const reason =
      `ONNX Runtime and TF.js disagree on ${parity.images} image(s): max relative error ${parity.maxRelativeError.toExponential(2)} ` +
      `(tolerance ${tolerance.toExponential(1)}), max absolute error ${parity.maxAbsError.toExponential(2)}.`;
    await record({ ...checked, reason });
    return { parity, cacheFile, fromCache, reason };
  }
  await record(checked);
  return { extractor: onnxExtractor(base.info, session, base.layersModel), parity, cacheFile, fromCache };
}
