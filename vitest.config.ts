import { existsSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that run a second time on the real TensorFlow backend (tfjs-node built by
 * `npm run engine:install-tensorflow`): engine choice, bottlenecks (main thread and worker),
 * training, export parity and labelling. RETRAIN_STUDIO_BACKEND=tensorflow makes
 * test/helpers/tf.ts, the CLI test helper and the service pick it.
 */
const TENSORFLOW_TESTS = [
  'test/core/engine/*.test.ts',
  'test/core/bottlenecks/compute.test.ts',
  'test/core/bottlenecks/feature-engine.test.ts',
  'test/core/models/extractor.test.ts',
  'test/core/training/trainer.test.ts',
  'test/core/onnx/export.test.ts',
  'test/core/classify/run-classifier.test.ts',
  'test/core/classify/folder.test.ts',
];

// The project exists only where the binding was built; elsewhere say why, once.
const tfjsNodeBuilt = existsSync('node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node');
if (!tfjsNodeBuilt && process.env.CI_TENSORFLOW_REASON !== 'quiet') {
  console.log('vitest: project "tensorflow" not run: tfjs-node\'s binding is not built (npm run engine:install-tensorflow -- --pip).');
}

const shared = {
  // tfjs-wasm work is CPU-bound; two forks match the two cores of CI.
  pool: 'forks' as const,
  maxWorkers: 2,
  testTimeout: 120_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      // Where tfjs-node works it would win the automatic choice: keep the main project on wasm.
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // Its own project runs it where it can; here it would only repeat that (or skip).
          ...(tfjsNodeBuilt ? { env: { RETRAIN_STUDIO_BACKEND: 'wasm' }, exclude: [...configDefaults.exclude, 'test/core/engine/tensorflow.test.ts'] } : {}),
          ...shared,
        },
      },
      ...(tfjsNodeBuilt
        ? [{ test: { name: 'tensorflow', include: TENSORFLOW_TESTS, env: { RETRAIN_STUDIO_BACKEND: 'tensorflow', TF_CPP_MIN_LOG_LEVEL: '2' }, ...shared } }]
        : []),
    ],
  },
});
