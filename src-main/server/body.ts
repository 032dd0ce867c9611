/**
 * Reading request bodies within two bounds: each body at most `maxBytes`, and all bodies
 * being received or handled at once at most the shared budget's `limitBytes`, so many
 * concurrent uploads cannot add up to unbounded memory.
 */
import type http from 'node:http';
import { CoreError } from '../api/contract.js';

/** Bytes of request bodies held at once, across all requests of one server. */
export type BodyBudget = {
  readonly limitBytes: number;
  /** Bytes held now. */
  inUse(): number;
  /** Takes `bytes` when they fit; false (nothing taken) when they do not. */
  take(bytes: number): boolean;
  give(bytes: number): void;
};

export function createBodyBudget(limitBytes: number): BodyBudget {
  let used = 0;
  return {
    limitBytes,
    inUse: () => used,
    take(bytes) {
      if (used + bytes > limitBytes) return false;
      used += bytes;
      return true;
    },
    give(bytes) {
      used = Math.max(0, used - bytes);
    },
  };
}

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;

/** A body read within the budget; `release` gives its bytes back (call it once the request is handled). */
export type ReadBody = { bytes: Buffer; release(): void };

/**
 * Reads a request body. A declared `Content-Length` is taken from the budget up front; a
 * chunked body chunk by chunk. Stops reading (buffering nothing more) once a bound is passed.
 * @throws CoreError PAYLOAD_TOO_LARGE (this body over `maxBytes`), BUSY (other bodies hold the
 *   budget: try again), INVALID_ARGUMENT (the client went away mid-body).
 */
export function readBody(req: http.IncomingMessage, maxBytes: number, budget: BodyBudget): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    let held = 0;
    const release = () => {
      budget.give(held);
      held = 0;
    };
    const tooLarge = () => new CoreError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes (${mib(maxBytes)}); send a smaller image.`, { maxBytes });
    const busy = () =>
      new CoreError('BUSY', `The server is receiving other large requests (${mib(budget.inUse())} of its ${mib(budget.limitBytes)} for request bodies at once); try again when they finish.`, {
        limitBytes: budget.limitBytes,
      });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return reject(tooLarge());
    const upFront = Number.isFinite(declared) && declared > 0 ? declared : 0;
    if (upFront > 0) {
      if (!budget.take(upFront)) return reject(busy());
      held = upFront;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (error: Error) => {
      cleanup();
      req.pause();
      release();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', fail);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge());
      if (size > held) {
        if (!budget.take(size - held)) return fail(busy());
        held = size;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ bytes: Buffer.concat(chunks, size), release });
    };
    const onClose = () => fail(new CoreError('INVALID_ARGUMENT', 'The client closed the connection before sending the whole request.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', fail);
    req.on('close', onClose);
  });
}
