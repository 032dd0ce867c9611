/** Test setup for tensor code: the wasm backend (fast, always installed). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

export async function useWasm(): Promise<typeof tf> {
  if (tf.getBackend() !== 'wasm') {
    await tf.setBackend('wasm');
    await tf.ready();
  }
  return tf;
}

/**
 * ../shared beside the project (real models and photos); tests skip with a reason when absent.
 * Its real path: the service reports real paths, so a linked ../shared must compare equal.
 */
const sharedBeside = path.resolve(import.meta.dirname, '../../../shared');
export const SHARED_DIR = existsSync(sharedBeside) ? realpathSync(sharedBeside) : sharedBeside;
export const hasShared = existsSync(path.join(SHARED_DIR, 'models', 'mobilenet_v2_0.35_224', 'model.json'));
export const sharedPath = (...parts: string[]): string => path.join(SHARED_DIR, ...parts);
