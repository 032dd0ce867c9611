import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../workers.js';
// sharp must be loaded by the main thread before workers load it: on glibc Linux this keeps
// libvips in memory until every thread has finished (sharp's documented worker-thread rule).
import 'sharp';
import { CoreError, type ErrorCode } from '../errors.js';
import type { DecodedImage, DecodeOptions } from './decode.js';
import type { PreprocessSpec } from './spec.js';

/** Options of `createDecodePool`. */
export type DecodePoolOptions = {
  /** Worker threads. Default: max(1, min(4, os.availableParallelism())). */
  workers?: number;
  /**
   * Decodes handed to each worker at once (it runs them one after another, so this buffers,
   * it does not add threads). Default 2. A consumer that blocks the main thread (a forward
   * pass) should hand over enough to keep the workers busy meanwhile.
   */
  inFlightPerWorker?: number;
};

/** `decodeImage` options that can cross into a worker (`output` cannot: the result is transferred). */
export type PoolDecodeOptions = Omit<DecodeOptions, 'output'>;

/**
 * Decodes images in worker threads so decoding overlaps other work (the forward pass).
 * Keep at least `size + 1` decodes in flight to keep every worker busy.
 */
export interface DecodePool {
  /** Number of worker threads. */
  readonly size: number;
  /**
   * Same result as `decodeImage(file, spec, options)` (byte-identical), computed in a worker.
   * @throws the same CoreError as decodeImage (code, message, details); CANCELLED if the pool
   *   is closed before the decode finishes.
   */
  decode(file: string, spec: PreprocessSpec, options?: PoolDecodeOptions): Promise<DecodedImage>;
  /** Cancels queued and running decodes (they reject with CANCELLED) and stops the workers. */
  close(): Promise<void>;
}

/** @internal message to a worker */
export type DecodeRequest = { id: number; file: string; spec: PreprocessSpec; options: PoolDecodeOptions };
/** @internal message from a worker */
export type DecodeReply =
  | { id: number; ok: true; data: Float32Array; heightPx: number; widthPx: number }
  | {
      id: number;
      ok: false;
      error:
        | { isCoreError: true; code: ErrorCode; message: string; details?: Record<string, unknown> }
        | { isCoreError: false; message: string };
    };

type Task = {
  request: DecodeRequest;
  resolve: (image: DecodedImage) => void;
  reject: (error: Error) => void;
};

type Slot = { worker: Worker; running: Map<number, Task>; failed: boolean };

/** Requests sent to one worker before it answers; 2 hides the message round trip. */
const DEFAULT_IN_FLIGHT_PER_WORKER = 2;

/** Starts one decode worker (decode-worker.ts next to this file). */
function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'decode-worker');
}

/**
 * Creates a pool of decode workers (started lazily on first use).
 * @throws CoreError INVALID_ARGUMENT if `workers` is not a whole number from 1 to 64.
 */
export function createDecodePool(options: DecodePoolOptions = {}): DecodePool {
  const size = options.workers ?? Math.max(1, Math.min(4, os.availableParallelism()));
  if (!Number.isInteger(size) || size < 1 || size > 64) {
    throw new CoreError('INVALID_ARGUMENT', `Decode pool workers must be a whole number from 1 to 64; got ${size}.`);
  }
  const inFlightPerWorker = options.inFlightPerWorker ?? DEFAULT_IN_FLIGHT_PER_WORKER;
  if (!Number.isInteger(inFlightPerWorker) || inFlightPerWorker < 1) {
    throw new CoreError('INVALID_ARGUMENT', `Decode pool inFlightPerWorker must be a whole number ≥ 1; got ${inFlightPerWorker}.`);
  }
  const slots: Slot[] = [];
  const queue: Task[] = [];
  let nextId = 1;
  let closed = false;

  const failSlot = (slot: Slot, error: Error): void => {
    if (slot.failed) return;
    slot.failed = true;
    slots.splice(slots.indexOf(slot), 1);
    for (const task of slot.running.values()) task.reject(error);
    slot.running.clear();
    void slot.worker.terminate();
    pump();
  };

  const addSlot = (): Slot => {
    const slot: Slot = { worker: startWorker(), running: new Map(), failed: false };
    slot.worker.unref();
    slot.worker.on('message', (reply: DecodeReply) => {
      const task = slot.running.get(reply.id);
      if (!task) return;
      slot.running.delete(reply.id);
      if (slot.running.size === 0) slot.worker.unref();
      if (reply.ok) {
        task.resolve({ data: reply.data, heightPx: reply.heightPx, widthPx: reply.widthPx });
      } else if (reply.error.isCoreError) {
        task.reject(new CoreError(reply.error.code, reply.error.message, reply.error.details));
      } else {
        task.reject(new Error(reply.error.message));
      }
      pump();
    });
    slot.worker.on('error', (error) => failSlot(slot, new Error(`Image decode worker failed: ${error.message}`)));
    slot.worker.on('exit', (code) => {
      if (!closed) failSlot(slot, new Error(`Image decode worker exited unexpectedly (code ${code}).`));
    });
    slots.push(slot);
    return slot;
  };

  function pump(): void {
    while (!closed && queue.length > 0) {
      let slot = slots.reduce<Slot | undefined>((best, s) => (!best || s.running.size < best.running.size ? s : best), undefined);
      // Start another worker while all existing ones are busy and the pool is not full.
      if ((!slot || slot.running.size > 0) && slots.length < size) slot = addSlot();
      if (!slot || slot.running.size >= inFlightPerWorker) return;
      const task = queue.shift()!;
      slot.running.set(task.request.id, task);
      slot.worker.ref();
      slot.worker.postMessage(task.request);
    }
  }

  return {
    size,
    decode(file, spec, decodeOptions = {}) {
      if (closed) return Promise.reject(new CoreError('CANCELLED', 'The image decode pool is closed.'));
      const { distortion, seed, sourceName, maxBytes, within } = decodeOptions;
      const request: DecodeRequest = { id: nextId++, file, spec, options: { distortion, seed, sourceName, maxBytes, within } };
      return new Promise<DecodedImage>((resolve, reject) => {
        queue.push({ request, resolve, reject });
        pump();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const cancelled = new CoreError('CANCELLED', 'Image decoding was cancelled (the decode pool was closed).');
      for (const task of queue.splice(0)) task.reject(cancelled);
      const stopping = slots.splice(0).map((slot) => {
        for (const task of slot.running.values()) task.reject(cancelled);
        slot.running.clear();
        return slot.worker.terminate();
      });
      await Promise.all(stopping);
    },
  };
}
