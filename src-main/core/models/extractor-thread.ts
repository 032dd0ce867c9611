/**
 * A TF.js feature extractor in a worker thread. TF.js computes on the thread that calls it
 * (wasm and cpu backends are synchronous there), so a forward pass on the app's main thread
 * would stall IPC, cancellation and thumbnails for its whole duration; in a worker only the
 * pixels cross (transferred, not copied).
 */
import type { Worker } from 'node:worker_threads';
import { CoreError } from '../errors.js';
import { startModuleWorker } from '../workers.js';
import type { FeatureExtractor, ModelInfo } from './types.js';

export type ThreadRequest =
  | { id: number; type: 'load'; info: ModelInfo; backend: string; backendPackage: string }
  | { id: number; type: 'extract'; pixels: Float32Array; count: number };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export type ThreadReply =
  | { id: number; ok: true; info: ModelInfo; engine: string }
  | { id: number; ok: true; features: Float32Array }
  | { id: number; ok: false; error: { code: string; message: string } };

/**
 * Loads `info` in a new worker thread on the given TF.js backend (the main thread's, from
 * `selectEngine`). `extract` copies the pixels across (callers reuse their batch buffers).
 * @throws what loading the model throws (MODEL_INVALID, NODE_NOT_FOUND, INPUT_MISMATCH…).
 */
export async function loadThreadedFeatureExtractor(info: ModelInfo, engine: { backend: string; package: string }): Promise<FeatureExtractor> {
  const worker: Worker = startModuleWorker(import.meta.url, 'extractor-worker');
  const pending = new Map<number, { resolve: (reply: ThreadReply) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on('message', (reply: ThreadReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(CoreError.fromJSON(reply.error));
  });
  worker.on('error', (error) => failAll(new Error(`Feature extractor thread failed: ${error.message}`)));
  worker.on('exit', (code) => failAll(new Error(`Feature extractor thread exited (code ${code}).`)));
  // Nothing pending: the thread must not keep the process alive.
  worker.unref();

  const call = (request: WithoutId<ThreadRequest>, transfer: ArrayBuffer[] = []): Promise<ThreadReply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, {
        resolve: (reply) => {
          if (pending.size === 0) worker.unref();
          resolve(reply);
        },
        reject,
      });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  };

  let loaded: ThreadReply;
  try {
    loaded = await call({ type: 'load', info, backend: engine.backend, backendPackage: engine.package });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  if (!('engine' in loaded)) throw new Error('unexpected reply to load');
  return {
    info: loaded.info,
    engine: loaded.engine,
    extract: async (pixels, count) => {
      const copy = pixels.slice();
      const reply = await call({ type: 'extract', pixels: copy, count }, [copy.buffer as ArrayBuffer]);
      if (!('features' in reply)) throw new Error('unexpected reply to extract');
      return reply.features;
    },
    dispose: () => {
      void worker.terminate();
    },
  };
}
