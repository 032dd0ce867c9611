/**
 * ONNX Runtime (onnxruntime-node) sessions for models made by the converter: one float32
 * NHWC input with a dynamic batch dimension, one float32 output.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { CoreError } from '../errors.js';

/**
 * Why CUDA cannot work, or undefined when its provider library is installed.
 * onnxruntime-node loads `bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node`, and the
 * CUDA provider must sit beside it (its install script downloads it); checking first avoids
 * ONNX Runtime printing a load error to stderr on every machine without it.
 */
function cudaUnavailableReason(): string | undefined {
  if (process.platform !== 'linux' && process.platform !== 'win32') return `CUDA is not available on ${process.platform}`;
  let binDir: string;
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    binDir = path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return 'onnxruntime-node could not be located';
  }
  const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (!existsSync(path.join(binDir, library))) {
    return `ONNX Runtime's CUDA provider (${library}) is not installed; onnxruntime-node's install script downloads it (CUDA 12)`;
  }
  return undefined;
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
   * Whether idle ONNX Runtime worker threads busy-wait for the next piece of work. Spinning
   * lowers latency on an idle machine but burns the cores that image decoding and TF.js
   * share with it. Default false.
   */
  allowSpinning?: boolean;
};

/** A loaded ONNX model. Call dispose() when done. */
export interface OnnxSession {
  /** `cpu` or `cuda`. */
  readonly executionProvider: 'cpu' | 'cuda';
  /** Why a preferred provider (CUDA) was not used, if one was asked for. */
  readonly fallbackReason?: string;
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

function sessionOptions(provider: 'cpu' | 'cuda', options: OnnxSessionOptions): ort.InferenceSession.SessionOptions {
  const threads = options.threads;
  return {
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
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
  let provider: 'cpu' | 'cuda' = 'cpu';
  let fallbackReason: string | undefined;
  if (options.preferCuda) fallbackReason = cudaUnavailableReason();
  if (options.preferCuda && !fallbackReason) {
    try {
      session = await ort.InferenceSession.create(onnxBytes, sessionOptions('cuda', options));
      provider = 'cuda';
    } catch (error) {
      fallbackReason = `CUDA execution provider unavailable: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  if (!session) {
    try {
      session = await ort.InferenceSession.create(onnxBytes, sessionOptions('cpu', options));
    } catch (error) {
      throw new CoreError('ENGINE_UNAVAILABLE', `ONNX Runtime could not load the model: ${(error as Error).message}`);
    }
  }

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
