/**
 * ONNX Runtime (onnxruntime-node) sessions for models made by the converter: one float32
 * NHWC input with a dynamic batch dimension, one float32 output.
 */
import * as ort from 'onnxruntime-node';
import { CoreError } from '../errors.js';
import { describeUnusedProviders, ONNX_PROVIDERS, planProviders, type OnnxProvider, type OnnxProviderPreference, type ProviderCandidate } from './providers.js';

/** The environment variable that forces an execution provider when `provider` is not given. */
export const ONNX_PROVIDER_ENV_VAR = 'RETRAIN_STUDIO_ONNX_PROVIDER';

function providerFromEnv(): OnnxProviderPreference | undefined {
  const value = process.env[ONNX_PROVIDER_ENV_VAR]?.trim();
  if (!value) return undefined;
  if (value !== 'auto' && !(ONNX_PROVIDERS as readonly string[]).includes(value)) {
    throw new CoreError('INVALID_ARGUMENT', `${ONNX_PROVIDER_ENV_VAR} is "${value}"; accepted values: auto, ${ONNX_PROVIDERS.join(', ')}.`);
  }
  return value as OnnxProviderPreference;
}

/** Options for {@link createOnnxSession}. */
export type OnnxSessionOptions = {
  /**
   * Threads for one inference (ONNX Runtime's intra-op pool). Default: ONNX Runtime's own
   * choice (the number of physical cores).
   */
  threads?: number;
  /**
   * Try the CUDA execution provider first and fall back to the CPU with a reason when it
   * cannot start (onnxruntime-node ships CUDA support as a separate download). Default false.
   */
  preferCuda?: boolean;
  /**
   * Execution provider: `auto` tries CUDA → DirectML → CoreML → CPU (providers.ts says why each
   * is skipped); a named one is used or fails with its reason. Default: `auto` with preferCuda, else `cpu`.
   */
  provider?: OnnxProviderPreference;
  /**
   * Whether idle ONNX Runtime worker threads busy-wait for the next piece of work. Spinning
   * lowers latency on an idle machine but burns the cores that image decoding and TF.js
   * share with it. Default false.
   */
  allowSpinning?: boolean;
};

/** A loaded ONNX model. Call dispose() when done. */
export interface OnnxSession {
  /** `cpu`, `cuda`, `dml` or `coreml`. */
  readonly executionProvider: OnnxProvider;
  /** Why the providers ahead of the chosen one were not used, if any were tried. */
  readonly fallbackReason?: string;
  /** Every provider considered, in order, with why it was not used. */
  readonly providers: readonly ProviderCandidate[];
  readonly inputName: string;
  readonly outputName: string;
  /** Per-image input shape without the batch dimension, e.g. `[224, 224, 3]`. */
  readonly imageShape: number[];
  /**
   * Runs `count` images packed as `[count, ...imageShape]` float32 (extra trailing values in
   * `pixels` are ignored). Resolves to the output, row-major, `[count, ...]`.
   * @throws CoreError `INPUT_MISMATCH` when `pixels` holds fewer than `count` images.
   */
  run(pixels: Float32Array, count: number): Promise<Float32Array>;
  /** Releases the native session; later run() calls reject. Safe to call twice. */
  dispose(): Promise<void>;
}

function sessionOptions(provider: OnnxProvider, options: OnnxSessionOptions): ort.InferenceSession.SessionOptions {
  const threads = options.threads;
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
    // 3 = errors only: ORT otherwise prints warnings (e.g. unused initializers) to stderr.
    logSeverityLevel: 3,
    // Session config keys (onnxruntime_session_options_config_keys.h); values must be strings.
    extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } },
  };
}

/**
 * Loads an ONNX model (bytes as written by the converter) into ONNX Runtime.
 * @throws CoreError `ENGINE_UNAVAILABLE` when ONNX Runtime cannot load the model on the CPU;
 *   `MODEL_INVALID` when the model does not have exactly one input and one output of fixed
 *   per-image shape.
 */
export async function createOnnxSession(onnxBytes: Uint8Array, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new CoreError('INVALID_ARGUMENT', `threads must be a whole number ≥ 1 (got ${options.threads}); leave it out to let ONNX Runtime choose.`);
  }
  let session: ort.InferenceSession | undefined;
  const preference = options.provider ?? providerFromEnv() ?? (options.preferCuda ? 'auto' : 'cpu');
  const providers = planProviders(preference);
  let provider: OnnxProvider = 'cpu';
  for (const candidate of providers) {
    if (candidate.reason) continue;
    try {
      session = await ort.InferenceSession.create(onnxBytes, sessionOptions(candidate.provider, options));
      provider = candidate.provider;
      break;
    } catch (error) {
      candidate.reason = `${candidate.provider} provider failed to start: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  if (!session) {
    const why = providers.map((c) => c.reason).join('; ');
    throw new CoreError('ENGINE_UNAVAILABLE', `ONNX Runtime could not load the model${preference === 'auto' ? '' : ` on the ${preference} provider`}: ${why}`);
  }
  const fallbackReason = describeUnusedProviders(providers, provider);

  const loaded = session;
  const fail = (why: string): never => {
    void loaded.release();
    throw new CoreError('MODEL_INVALID', `The ONNX model ${why}; Retrain Studio expects one image input and one output.`);
  };
  if (loaded.inputNames.length !== 1 || loaded.outputNames.length !== 1) {
    fail(`has ${loaded.inputNames.length} inputs and ${loaded.outputNames.length} outputs`);
  }
  const inputName = loaded.inputNames[0];
  const outputName = loaded.outputNames[0];
  const meta = loaded.inputMetadata[0];
  const imageShape = meta && meta.isTensor ? meta.shape.slice(1) : [];
  if (!meta?.isTensor || meta.shape.length < 2 || imageShape.some((d) => typeof d !== 'number' || d < 1)) {
    fail(`input '${inputName}' has no fixed per-image shape`);
  }
  const fixedShape = imageShape as number[];
  const imageSize = fixedShape.reduce((a, b) => a * b, 1);
  let disposed = false;

  return {
    executionProvider: provider,
    ...(fallbackReason ? { fallbackReason } : {}),
    providers,
    inputName,
    outputName,
    imageShape: fixedShape,
    async run(pixels: Float32Array, count: number): Promise<Float32Array> {
      if (disposed) throw new Error('OnnxSession.run called after dispose().');
      if (!Number.isInteger(count) || count < 1) {
        throw new CoreError('INVALID_ARGUMENT', `count must be a whole number ≥ 1 (got ${count}).`);
      }
      const needed = count * imageSize;
      if (pixels.length < needed) {
        throw new CoreError(
          'INPUT_MISMATCH',
          `Expected ${count} image(s) of [${fixedShape.join(', ')}] (${needed} floats) but got ${pixels.length} floats.`,
        );
      }
      const data = pixels.length === needed ? pixels : pixels.subarray(0, needed);
      const input = new ort.Tensor('float32', data, [count, ...fixedShape]);
      const results = await loaded.run({ [inputName]: input });
      const output = results[outputName];
      return output.data as Float32Array;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await loaded.release();
    },
  };
}
