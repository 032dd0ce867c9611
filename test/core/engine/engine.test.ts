import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKEND_ENV_VAR, describeEngine, explainLoadError, selectEngine, type EngineInfo } from '../../../src-main/core/engine/index.js';
import { rejection } from '../../helpers/errors.js';

const requireHere = createRequire(import.meta.url);
const isInstalled = (pkg: string): boolean => {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const tfjsNodeInstalled = isInstalled('@tensorflow/tfjs-node') || isInstalled('@tensorflow/tfjs-node-gpu');


describe('selectEngine', () => {
  const savedEnv = process.env[BACKEND_ENV_VAR];
  afterEach(() => {
    if (savedEnv === undefined) delete process.env[BACKEND_ENV_VAR];
    else process.env[BACKEND_ENV_VAR] = savedEnv;
  });

  it.skipIf(tfjsNodeInstalled)('picks wasm here and says why each tfjs-node package is not used', async () => {
    const info = await selectEngine({ env: {} });
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.package).toBe('@tensorflow/tfjs-backend-wasm');
    expect(info.forced).toBe(false);
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(1);
    expect(info.device.length).toBeGreaterThan(0);
    expect(info.candidates.map((c) => c.id)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    const [gpu, node, wasm, cpu] = info.candidates;
    expect(gpu).toMatchObject({ package: '@tensorflow/tfjs-node-gpu', available: false, active: false });
    expect(gpu.reason).toMatch(/^not installed: .*npm install @tensorflow\/tfjs-node-gpu/);
    expect(node).toMatchObject({ package: '@tensorflow/tfjs-node', available: false, active: false });
    expect(node.reason).toMatch(/downloads libtensorflow at install time.*`npm install @tensorflow\/tfjs-node`/);
    expect(wasm).toEqual({ id: 'wasm', package: '@tensorflow/tfjs-backend-wasm', available: true, active: true });
    expect(cpu.active).toBe(false);

    const line = describeEngine(info);
    expect(line).toMatch(/^wasm \(SIMD, 1 thread\) on .+; better engines not used: tfjs-node-gpu: not installed: .+; tfjs-node: not installed: /);
    expect(line).not.toContain('cpu:');
  });

  it('forcing cpu activates cpu and marks it forced', async () => {
    const info = await selectEngine({ force: 'cpu', env: {} });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.forced).toBe(true);
    expect(info.candidates.find((c) => c.active)?.id).toBe('cpu');
    expect(info.candidates.filter((c) => c.active)).toHaveLength(1);
    expect(describeEngine(info)).toMatch(/^cpu \(1 thread\) on .+ \(forced\)$/);
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await x.square().data())).toEqual([1, 4, 9]);
    tf.dispose(x);
  });

  it.skipIf(tfjsNodeInstalled)('forcing tensorflow throws ENGINE_UNAVAILABLE with the reason', async () => {
    const error = await rejection(selectEngine({ force: 'tensorflow', env: {} }));
    expect(error.code).toBe('ENGINE_UNAVAILABLE');
    expect(error.message).toContain('@tensorflow/tfjs-node');
    expect(error.message).toContain('not installed');
    expect(error.details?.backend).toBe('tensorflow');
  });

  it('honours RETRAIN_STUDIO_BACKEND, and force wins over it', async () => {
    process.env[BACKEND_ENV_VAR] = 'cpu';
    const fromEnv = await selectEngine();
    expect(fromEnv.backend).toBe('cpu');
    expect(fromEnv.forced).toBe(true);
    const forced = await selectEngine({ force: 'wasm' });
    expect(forced.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown RETRAIN_STUDIO_BACKEND value, listing the accepted ones', async () => {
    const error = await rejection(selectEngine({ env: { [BACKEND_ENV_VAR]: 'cuda' } }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('tensorflow-gpu, tensorflow, wasm, cpu');
  });
});

describe('explainLoadError', () => {
  it('turns loader failures into actionable reasons', () => {
    const missing = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'"), { code: 'MODULE_NOT_FOUND' });
    expect(explainLoadError('tensorflow', missing)).toBe(
      'not installed: npm could not install its native library (it downloads libtensorflow at install time); ' +
        'on a machine with network run `npm install @tensorflow/tfjs-node`, or build it from a TensorFlow wheel: ' +
        '`npm run engine:install-tensorflow -- --pip`',
    );
    expect(explainLoadError('tensorflow-gpu', new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory'))).toMatch(
      /^libcudart\.so\.11\.0 not found — needs CUDA 11\.2 \+ cuDNN 8\.1/,
    );
    expect(explainLoadError('tensorflow', new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory'))).toMatch(
      /^libtensorflow\.so\.2 not found — .*npm rebuild @tensorflow\/tfjs-node/,
    );
    const binding = Object.assign(new Error("Cannot find module '/x/lib/napi-v8/tfjs_binding.node'"), { code: 'MODULE_NOT_FOUND' });
    expect(explainLoadError('tensorflow', binding)).toMatch(/native binding .*npm rebuild @tensorflow\/tfjs-node/);
    expect(explainLoadError('tensorflow', new Error('something odd\nstack'))).toBe('failed to load: something odd');
  });

  it('describes an engine line from its info', () => {
    const info: EngineInfo = {
      backend: 'tensorflow',
      package: '@tensorflow/tfjs-node',
      device: 'AMD EPYC (2 cores)',
      forced: false,
      threads: 2,
      candidates: [
        { id: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', available: false, active: false, reason: 'no CUDA device: none found' },
        { id: 'tensorflow', package: '@tensorflow/tfjs-node', available: true, active: true },
        { id: 'wasm', package: '@tensorflow/tfjs-backend-wasm', available: false, active: false, reason: 'not tried: tensorflow is preferred' },
        { id: 'cpu', package: '@tensorflow/tfjs', available: false, active: false, reason: 'not tried: tensorflow is preferred' },
      ],
    };
    expect(describeEngine(info)).toBe('tensorflow via tfjs-node (2 threads) on AMD EPYC (2 cores); better engines not used: tfjs-node-gpu: no CUDA device: none found');
  });
});
