/**
 * Loaded networks, kept while they are used. Loading a backbone takes seconds and holds
 * memory, so the last few are kept (a model can be loaded three ways: TF.js on this thread,
 * TF.js in a worker, ONNX Runtime) and the least recently used one is disposed.
 */
import { modelFingerprint } from './fingerprint.js';
import { loadThreadedFeatureExtractor } from './extractor-thread.js';
import { loadFeatureExtractor } from './extractor.js';
import type { FeatureExtractor, ModelInfo } from './types.js';

/** Anything that holds memory until disposed (models, sessions, workers). */
export type Disposable = { dispose(): void };

/** A least-recently-used map of things being loaded or loaded. */
export interface LoadedCache<T extends Disposable> {
  /**
   * The value for `key`, loading it with `load` when absent. A load that fails is
   * forgotten (the next call tries again); the entry beyond `keep` used longest ago is
   * disposed once it has loaded.
   */
  get(key: string, load: () => Promise<T>): Promise<T>;
  /** Disposes every entry (e.g. the backend changed, or the process closes). */
  clear(): void;
  readonly size: number;
}

const disposeWhenLoaded = <T extends Disposable>(value: Promise<T>): void => {
  void value.then((v) => v.dispose(), () => {});
};

/** An LRU of loaded things; `keep` (default 4) is how many stay. */
export function createLoadedCache<T extends Disposable>(keep = 4): LoadedCache<T> {
  const entries = new Map<string, Promise<T>>();
  return {
    get(key, load) {
      const existing = entries.get(key);
      if (existing) {
        // Map order is insertion order: re-inserting makes this the most recently used.
        entries.delete(key);
        entries.set(key, existing);
        return existing;
      }
      const loading = load();
      entries.set(key, loading);
      loading.catch(() => {
        if (entries.get(key) === loading) entries.delete(key);
      });
      while (entries.size > keep) {
        const [oldest, value] = entries.entries().next().value as [string, Promise<T>];
        entries.delete(oldest);
        disposeWhenLoaded(value);
      }
      return loading;
    },
    clear() {
      for (const value of entries.values()) disposeWhenLoaded(value);
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

/** The TF.js backend a worker thread loads (from `selectEngine`). */
export type WorkerEngine = { backend: string; package: string };

/** Feature extractors per model, reloaded when the model's files change in place. */
export interface ExtractorCache {
  /** TF.js on this thread: the layers model for export and ONNX conversion, and labelling one image. */
  tfjs(info: ModelInfo): Promise<FeatureExtractor>;
  /** TF.js in a worker thread on `engine`: bottlenecks for a dataset without stalling this event loop. */
  threaded(info: ModelInfo, engine: WorkerEngine): Promise<FeatureExtractor>;
  /** Any other extractor of `info` (e.g. ONNX Runtime), keyed by `kind` and the model's files. */
  other(kind: string, info: ModelInfo, load: () => Promise<FeatureExtractor>): Promise<FeatureExtractor>;
  /** Disposes every loaded extractor. */
  clear(): void;
}

/**
 * Creates the cache. Keys are kind + model id + bottleneck node + the fingerprint of the
 * model's files (see fingerprint.ts), so new weights under the same id load again.
 */
export function createExtractorCache(options: { keep?: number } = {}): ExtractorCache {
  const loaded = createLoadedCache<FeatureExtractor>(options.keep ?? 4);
  const other: ExtractorCache['other'] = async (kind, info, load) =>
    loaded.get(`${kind}|${info.id}|${info.bottleneckNode}|${await modelFingerprint(info.dir)}`, load);
  return {
    tfjs: (info) => other('tfjs', info, () => loadFeatureExtractor(info)),
    threaded: (info, engine) => other(`thread|${engine.backend}`, info, () => loadThreadedFeatureExtractor(info, engine)),
    other,
    clear: () => loaded.clear(),
  };
}
