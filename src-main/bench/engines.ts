/**
 * The engines the benchmark compares: TF.js backends (wasm, cpu, tensorflow via the optional
 * tfjs-node) and ONNX Runtime through `core/onnx` (loaded dynamically, so the benchmark
 * still runs where that module or onnxruntime-node is missing).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { FeatureExtractor, ModelInfo } from '../core/models/types.js';

/** `onnxruntime-1t` is ONNX Runtime limited to one intra-op thread (leaves a core to the decode workers). */
export type EngineId = 'tfjs-wasm' | 'tfjs-cpu' | 'tfjs-tensorflow' | 'onnxruntime' | 'onnxruntime-1t';

/** Command-line spellings accepted by `--engines`. */
export const ENGINE_ALIASES: Record<string, EngineId> = {
  wasm: 'tfjs-wasm',
  'tfjs-wasm': 'tfjs-wasm',
  cpu: 'tfjs-cpu',
  'tfjs-cpu': 'tfjs-cpu',
  tensorflow: 'tfjs-tensorflow',
  'tfjs-node': 'tfjs-tensorflow',
  'tfjs-tensorflow': 'tfjs-tensorflow',
  onnx: 'onnxruntime',
  ort: 'onnxruntime',
  onnxruntime: 'onnxruntime',
  'onnxruntime-cpu': 'onnxruntime',
  onnx1: 'onnxruntime-1t',
  'onnxruntime-1t': 'onnxruntime-1t',
};

export type EngineStatus = { id: EngineId; available: boolean; reason?: string };

type TfjsEngineId = 'tfjs-wasm' | 'tfjs-cpu' | 'tfjs-tensorflow';

const TFJS_BACKEND: Record<TfjsEngineId, string> = {
  'tfjs-wasm': 'wasm',
  'tfjs-cpu': 'cpu',
  'tfjs-tensorflow': 'tensorflow',
};

export function isTfjsEngine(id: EngineId): id is TfjsEngineId {
  return id in TFJS_BACKEND;
}

let tfjsNodeTried: Promise<string | undefined> | undefined;

/** Loads @tensorflow/tfjs-node once; resolves to the reason it is unavailable, or undefined. */
function loadTfjsNode(): Promise<string | undefined> {
  tfjsNodeTried ??= (async () => {
    try {
      const specifier = '@tensorflow/tfjs-node';
      await import(specifier);
      return tf.findBackend('tensorflow') ? undefined : 'tfjs-node loaded but registered no "tensorflow" backend';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return '@tensorflow/tfjs-node is not installed (npm run engine:install-tensorflow -- --pip)';
      return `@tensorflow/tfjs-node failed to load: ${(error as Error).message.split('\n')[0]}`;
    }
  })();
  return tfjsNodeTried;
}

/** Switches TF.js to the engine's backend; returns the reason when it cannot (a failed backend falls back silently, so check). */
export async function activateTfjs(id: TfjsEngineId): Promise<string | undefined> {
  if (id === 'tfjs-tensorflow') {
    const reason = await loadTfjsNode();
    if (reason) return reason;
  }
  const backend = TFJS_BACKEND[id];
  let ok = false;
  try {
    ok = await tf.setBackend(backend);
    await tf.ready();
  } catch (error) {
    return `tf.setBackend('${backend}') failed: ${(error as Error).message}`;
  }
  if (!ok || tf.getBackend() !== backend) return `tf.setBackend('${backend}') fell back to '${tf.getBackend()}'`;
  return undefined;
}

/** Minimal view of `core/onnx` used here (kept local so the bench compiles without it). */
type OnnxParity = { ok: boolean; maxRelativeError: number; maxAbsError: number; images: number };
export type OnnxModule = {
  createOnnxFeatureExtractor(
    base: FeatureExtractor,
    options: { cacheDir: string; parityPixels: Float32Array; parityCount: number; threads?: number },
  ): Promise<{ extractor?: FeatureExtractor; parity: OnnxParity; reason?: string; fromCache: boolean }>;
  convertLayersModelToOnnx(model: tf.LayersModel, options: { poolSpatialOutputs?: boolean }): Uint8Array;
  createOnnxSession(
    bytes: Uint8Array,
    options: { threads?: number },
  ): Promise<{ executionProvider: string; run(pixels: Float32Array, count: number): Promise<Float32Array>; dispose(): Promise<void> }>;
};

let onnxTried: Promise<{ module?: OnnxModule; reason?: string }> | undefined;

/** Loads `core/onnx` once; resolves to the module or the reason it is unavailable. */
export function loadOnnx(): Promise<{ module?: OnnxModule; reason?: string }> {
  onnxTried ??= (async () => {
    try {
      // A computed specifier: TypeScript does not resolve it, so the bench builds without core/onnx.
      const specifier = ['..', 'core', 'onnx', 'index.js'].join('/');
      const module = (await import(specifier)) as Partial<OnnxModule>;
      if (typeof module.createOnnxFeatureExtractor !== 'function') return { reason: 'core/onnx has no createOnnxFeatureExtractor' };
      return { module: module as OnnxModule };
    } catch (error) {
      return { reason: `core/onnx could not be loaded: ${(error as Error).message.split('\n')[0]}` };
    }
  })();
  return onnxTried;
}

/** Which engines can run here, in the order given. */
export async function probeEngines(ids: readonly EngineId[]): Promise<EngineStatus[]> {
  const out: EngineStatus[] = [];
  for (const id of ids) {
    if (!isTfjsEngine(id)) {
      const { reason } = await loadOnnx();
      out.push({ id, available: !reason, ...(reason ? { reason } : {}) });
    } else {
      const reason = await activateTfjs(id);
      out.push({ id, available: !reason, ...(reason ? { reason } : {}) });
    }
  }
  await activateTfjs('tfjs-wasm');
  return out;
}

/**
 * A TF.js FeatureExtractor over an in-memory layers model (input → features; a 4-D output is
 * globally average-pooled). Runs on whatever backend is active when extract() is called.
 * dispose() disposes the model.
 */
export function createTfjsExtractor(model: tf.LayersModel, info: ModelInfo): FeatureExtractor {
  const { heightPx, widthPx } = info.spec;
  return {
    info,
    get engine() {
      return `tfjs-${tf.getBackend()}`;
    },
    layersModel: model,
    async extract(pixels, count) {
      const out = tf.tidy(() => {
        let y = model.predict(tf.tensor4d(pixels, [count, heightPx, widthPx, 3])) as tf.Tensor;
        if (y.rank === 4) y = tf.mean(y, [1, 2]);
        return y;
      });
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose() {
      model.dispose();
    },
  };
}

/**
 * An ONNX Runtime extractor for `base` through core/onnx, with its parity against TF.js.
 * When parity fails the model is still timed (so the speed is known) through a plain
 * session, and `parityFailure` says why it would not be used by the app.
 */
export async function createOnnxExtractor(
  onnx: OnnxModule,
  base: FeatureExtractor,
  options: { cacheDir: string; parityPixels: Float32Array; parityCount: number; threads?: number },
): Promise<{ extractor?: FeatureExtractor; parity?: OnnxParity; parityFailure?: string; reason?: string }> {
  const result = await onnx.createOnnxFeatureExtractor(base, options);
  if (result.extractor) return { extractor: result.extractor, parity: result.parity };
  if (!base.layersModel || !(result.parity?.images > 0)) {
    return { reason: result.reason ?? 'conversion failed' };
  }
  // Converted, but parity failed: time it anyway, flagged.
  const bytes = onnx.convertLayersModelToOnnx(base.layersModel, { poolSpatialOutputs: true });
  const session = await onnx.createOnnxSession(bytes, options.threads ? { threads: options.threads } : {});
  return {
    parity: result.parity,
    parityFailure: result.reason,
    extractor: {
      info: base.info,
      engine: `onnxruntime-${session.executionProvider}`,
      extract: (pixels, count) => session.run(pixels, count),
      dispose: () => void session.dispose(),
    },
  };
}

/** Versions of the libraries involved, for the machine line. */
export function libraryVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string> = { tfjs: tf.version.tfjs };
  const tryVersion = (name: string, read: () => string): void => {
    try {
      versions[name] = read();
    } catch {
      // absent: leave it out
    }
  };
  tryVersion('onnxruntime-node', () => (require('onnxruntime-node/package.json') as { version: string }).version);
  tryVersion('sharp', () => {
    const v = (require('sharp') as { versions: Record<string, string> }).versions;
    return `${v.sharp ?? '?'} (libvips ${v.vips})`;
  });
  return versions;
}
