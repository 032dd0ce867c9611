/** Test setup for tensor code: the wasm backend (fast, always installed). */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { ModelInfo } from '../../src-main/core/models/types.js';

/**
 * The test backend: wasm, or `tensorflow` (tfjs-node) when RETRAIN_STUDIO_BACKEND says so —
 * vitest.config.ts's `tensorflow` project sets it to run the same tests on the real TensorFlow.
 */
export const TEST_BACKEND = process.env.RETRAIN_STUDIO_BACKEND === 'tensorflow' ? 'tensorflow' : 'wasm';
/** The extractor engine name on the test backend (`tfjs-wasm` or `tfjs-tensorflow`). */
export const TEST_ENGINE = `tfjs-${TEST_BACKEND}`;

export async function useWasm(): Promise<typeof tf> {
  if (tf.getBackend() !== TEST_BACKEND) {
    const tfjsNode = '@tensorflow/tfjs-node'; // a variable: not installed everywhere, so no static resolution
    if (TEST_BACKEND === 'tensorflow') await import(tfjsNode);
    await tf.setBackend(TEST_BACKEND);
    await tf.ready();
    if (tf.getBackend() !== TEST_BACKEND) throw new Error(`test backend ${TEST_BACKEND} did not start (active: ${tf.getBackend()})`);
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

/** ../shared's MobileNetV2 0.35 as core loads it: pooled out_relu features (1280), [-1, 1], centre crop. */
export const SHARED_MOBILENET: ModelInfo = {
  id: 'mobilenet_v2_0.35_224',
  name: 'MobileNetV2 0.35 (shared)',
  origin: 'imported',
  format: 'layers',
  dir: sharedPath('models', 'mobilenet_v2_0.35_224'),
  spec: { heightPx: 224, widthPx: 224, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
  inputName: 'input',
  inputShape: [null, 224, 224, 3],
  bottleneckNode: 'out_relu',
  featureSize: 1280,
  outputNode: 'out_relu',
};
