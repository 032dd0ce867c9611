/**
 * The real TensorFlow backend (tfjs-node built by `npm run engine:install-tensorflow`): the engine
 * line, and bottleneck features of ../shared's MobileNetV2 on real photos in the main thread and
 * in a worker thread, compared with wasm. Skips with a reason where the binding is not built.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { describeEngine, selectEngine } from '../../../src-main/core/engine/index.js';
import { decodeImage } from '../../../src-main/core/images/decode.js';
import { loadFeatureExtractor } from '../../../src-main/core/models/extractor.js';
import { loadThreadedFeatureExtractor } from '../../../src-main/core/models/extractor-thread.js';
import { createOnnxSession, exportOnnxClassifier } from '../../../src-main/core/onnx/index.js';
import { predictProbabilities, resolveConfig, trainHead } from '../../../src-main/core/training/index.js';
import { hasShared, SHARED_MOBILENET, sharedPath } from '../../helpers/tf.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';

const requireHere = createRequire(import.meta.url);
let bindingBuilt = false;
try {
  const pkgDir = path.dirname(requireHere.resolve('@tensorflow/tfjs-node/package.json'));
  bindingBuilt = existsSync(path.join(pkgDir, 'lib', 'napi-v8', 'tfjs_binding.node'));
} catch {
  bindingBuilt = false;
}
if (!bindingBuilt) console.log('tensorflow backend tests skipped: tfjs-node is not built (npm run engine:install-tensorflow -- --pip)');

/**
 * Features (ReLU6 outputs averaged over 7×7, values 0…6) may differ between TensorFlow's
 * oneDNN kernels and XNNPACK in wasm by float32 summation order only: 1e-4 absolute, and a
 * relative L2 distance under 1e-5 (measured on 5 flower photos: 1.0e-5 and 1.5e-6).
 */
const FEATURE_ABS_TOLERANCE = 1e-4;
const FEATURE_REL_L2_TOLERANCE = 1e-5;

async function photos(count: number): Promise<Float32Array> {
  const root = sharedPath('datasets', 'flower_photos_small');
  const files = readdirSync(root)
    .filter((d) => !d.endsWith('.txt'))
    .flatMap((d) => readdirSync(path.join(root, d)).slice(0, 1).map((f) => path.join(root, d, f)))
    .slice(0, count);
  const size = 224 * 224 * 3;
  const pixels = new Float32Array(files.length * size);
  for (const [i, file] of files.entries()) pixels.set((await decodeImage(file, SHARED_MOBILENET.spec)).data, i * size);
  return pixels;
}

function compare(a: Float32Array, b: Float32Array): { maxAbs: number; relL2: number } {
  let maxAbs = 0;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    diff += d * d;
    norm += a[i] * a[i];
  }
  return { maxAbs, relL2: Math.sqrt(diff / norm) };
}

describe.runIf(bindingBuilt)('tensorflow backend (tfjs-node against a TensorFlow wheel)', () => {
  it('is the automatic choice, and the engine line names it and its device', async () => {
    const info = await selectEngine({ env: {} });
    expect(info.backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info.package).toBe('@tensorflow/tfjs-node');
    expect(info.forced).toBe(false);
    expect(info.candidates.find((c) => c.active)?.id).toBe('tensorflow');
    // No NVIDIA driver here: tfjs-node-gpu is explained, not tried silently.
    expect(info.candidates[0].reason).toBeTruthy();
    expect(describeEngine(info)).toMatch(/^tensorflow via tfjs-node \(\d+ threads?\) on .+ \(\d+ cores?\); better engines not used: tfjs-node-gpu: /);
  });

  it.runIf(hasShared)('computes MobileNetV2 features on real photos that agree with wasm, in the main thread and in a worker thread', async () => {
    const pixels = await photos(5);
    const count = pixels.length / (224 * 224 * 3);
    expect(count).toBe(5);

    await selectEngine({ force: 'wasm', env: {} });
    const onWasm = await loadFeatureExtractor(SHARED_MOBILENET);
    const wasmFeatures = await onWasm.extract(pixels, count);
    onWasm.dispose();

    const engine = await selectEngine({ force: 'tensorflow', env: {} });
    expect(tf.getBackend()).toBe('tensorflow');
    const onTf = await loadFeatureExtractor(SHARED_MOBILENET);
    expect(onTf.engine).toBe('tfjs-tensorflow');
    const tfFeatures = await onTf.extract(pixels, count);
    onTf.dispose();
    expect(tfFeatures.length).toBe(count * 1280);
    const vsWasm = compare(wasmFeatures, tfFeatures);
    console.log(`tensorflow vs wasm features: max |Δ| ${vsWasm.maxAbs.toExponential(2)}, relative L2 ${vsWasm.relL2.toExponential(2)}`);
    expect(vsWasm.maxAbs).toBeLessThan(FEATURE_ABS_TOLERANCE);
    expect(vsWasm.relL2).toBeLessThan(FEATURE_REL_L2_TOLERANCE);

    const threaded = await loadThreadedFeatureExtractor(SHARED_MOBILENET, engine);
    try {
      expect(threaded.engine).toBe('tfjs-tensorflow');
      const workerFeatures = await threaded.extract(pixels, count);
      // Same library, same kernels: the worker thread reproduces the main thread.
      expect(compare(tfFeatures, workerFeatures).maxAbs).toBeLessThan(1e-5);
    } finally {
      threaded.dispose();
    }
  });

  it.runIf(hasShared)('a head trained on tensorflow features exports to ONNX predicting what the app predicts (< 1e-5)', async () => {
    await selectEngine({ force: 'tensorflow', env: {} });
    const pixels = await photos(5);
    const count = 5;
    const extractor = await loadFeatureExtractor(SHARED_MOBILENET);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tf-export-'));
    try {
      const features = await extractor.extract(pixels, count);
      const labels = Int32Array.from([0, 1, 2, 3, 4]);
      const config = resolveConfig({ howManyTrainingSteps: 40, learningRate: 0.05, evalStepInterval: 20, trainBatchSize: 5, validationBatchSize: -1 });
      const { head } = await trainHead({ config, featureSize: 1280, classCount: 5, train: { features, labels, count }, validation: { features, labels, count } });
      expect(tf.getBackend()).toBe('tensorflow');
      // What the app predicts: backbone features on tensorflow, then the head.
      const app = predictProbabilities(head, features, count, 1280);
      const file = path.join(dir, 'model.onnx');
      await exportOnnxClassifier({ backbone: extractor.layersModel!, head, file });
      const session = await createOnnxSession(new Uint8Array(await readFile(file)), { provider: 'cpu' });
      const exported = await session.run(pixels, count);
      await session.dispose();
      head.dispose();
      let maxAbs = 0;
      for (let i = 0; i < app.length; i++) maxAbs = Math.max(maxAbs, Math.abs(app[i] - exported[i]));
      console.log(`exported ONNX vs app (trained on tensorflow): max |Δp| ${maxAbs.toExponential(2)}`);
      expect(maxAbs).toBeLessThan(1e-5);
    } finally {
      extractor.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
