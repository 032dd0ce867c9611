/**
 * Worker-thread entry of the decode pool: decodes one file per message, one at a time, and
 * transfers the float pixels back. Loaded by pool.ts; not part of the public surface.
 */
import { parentPort } from 'node:worker_threads';
import { CoreError } from '../errors.js';
import { decodeImage } from './decode.js';
import type { DecodeReply, DecodeRequest } from './pool.js';

if (!parentPort) throw new Error('decode-worker.ts must run in a worker thread');
const port = parentPort;

// One decode at a time per worker: the pool's thread budget is its number of workers. Requests
// that arrive meanwhile wait here (the pool sends a few ahead to hide the message round trip and
// a main thread busy in a forward pass), instead of all running at once on libuv's pool.
let chain: Promise<void> = Promise.resolve();

port.on('message', (request: DecodeRequest) => {
  chain = chain.then(() => decodeOne(request));
});

function decodeOne(request: DecodeRequest): Promise<void> {
  return decodeImage(request.file, request.spec, request.options).then(
    (image) => {
      const reply: DecodeReply = { id: request.id, ok: true, data: image.data, heightPx: image.heightPx, widthPx: image.widthPx };
      // Transfer, not copy: the array was allocated for this reply alone.
      port.postMessage(reply, [image.data.buffer as ArrayBuffer]);
    },
    (error: unknown) => {
      const reply: DecodeReply =
        error instanceof CoreError
          ? { id: request.id, ok: false, error: { isCoreError: true, ...error.toJSON() } }
          : { id: request.id, ok: false, error: { isCoreError: false, message: error instanceof Error ? error.message : String(error) } };
      port.postMessage(reply);
    },
  );
}
