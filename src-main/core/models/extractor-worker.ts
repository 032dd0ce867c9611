/**
 * Worker-thread entry of `loadThreadedFeatureExtractor`: runs a TF.js feature extractor off
 * the main thread, so a forward pass never blocks the app's event loop. Not public.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CoreError } from '../errors.js';
import { loadFeatureExtractor } from './extractor.js';
import type { FeatureExtractor } from './types.js';
import type { ThreadReply, ThreadRequest } from './extractor-thread.js';

const port = parentPort;
if (!port) throw new Error('extractor-worker.ts must run in a worker thread');

let extractor: FeatureExtractor | undefined;

async function handle(request: ThreadRequest): Promise<ThreadReply> {
  if (request.type === 'load') {
    // The same backend as the main thread; tfjs-node registers `tensorflow` when imported.
    if (request.backendPackage.startsWith('@tensorflow/tfjs-node')) await import(request.backendPackage);
    await tf.setBackend(request.backend);
    await tf.ready();
    if (tf.getBackend() !== request.backend) throw new CoreError('ENGINE_UNAVAILABLE', `The ${request.backend} backend did not start in a worker thread.`);
    extractor = await loadFeatureExtractor(request.info);
    return { id: request.id, ok: true, info: extractor.info, engine: extractor.engine };
  }
  if (!extractor) throw new Error('extract before load');
  const features = await extractor.extract(request.pixels, request.count);
  return { id: request.id, ok: true, features };
}

port.on('message', (request: ThreadRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply, 'features' in reply ? [reply.features.buffer as ArrayBuffer] : []),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        error: error instanceof CoreError ? error.toJSON() : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
      } satisfies ThreadReply),
  );
});
