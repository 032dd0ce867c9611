import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModelToOnnx, createOnnxSession } from '../../../src-main/core/onnx/index.js';
import { rejection } from '../../helpers/errors.js';
import { useWasm } from '../../helpers/tf.js';
import { currentProviderEnvironment, describeUnusedProviders, planProviders, type ProviderEnvironment } from '../../../src-main/core/onnx/providers.js';

describe('ONNX Runtime execution providers', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(path.join(os.tmpdir(), 'ort-bin-'));
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });
  const env = (over: Partial<ProviderEnvironment>): ProviderEnvironment => ({ platform: 'linux', arch: 'x64', binDir: bin, nvidiaDriver: false, ...over });

  it('on this machine: CUDA → DirectML → CoreML are each explained, the CPU is usable', () => {
    const plan = planProviders('auto', currentProviderEnvironment());
    expect(plan.map((c) => c.provider)).toEqual(['cuda', 'dml', 'coreml', 'cpu']);
    expect(plan[3]).toEqual({ provider: 'cpu' });
    if (process.platform === 'linux') {
      expect(plan[0].reason).toMatch(/^CUDA provider (not installed \(libonnxruntime_providers_cuda\.so\): onnxruntime-node's install script fetches it \(CUDA 12\); run `npm rebuild onnxruntime-node` with network|installed, but no NVIDIA driver)/);
      expect(plan[1].reason).toBe('DirectML provider: Windows only (this is linux)');
      expect(plan[2].reason).toBe('CoreML provider: macOS only (this is linux)');
    }
    expect(describeUnusedProviders(plan, 'cpu')).toBe(plan.slice(0, 3).map((c) => c.reason).join('; '));
  });

  it('Linux: a CUDA provider library with a driver is usable; without a driver it says so', async () => {
    await writeFile(path.join(bin, 'libonnxruntime_providers_cuda.so'), '');
    expect(planProviders('cuda', env({ nvidiaDriver: true }))).toEqual([{ provider: 'cuda' }]);
    expect(planProviders('cuda', env({ nvidiaDriver: false }))[0].reason).toMatch(/no NVIDIA driver or GPU/);
    await rm(path.join(bin, 'libonnxruntime_providers_cuda.so'));
  });

  it('Windows: DirectML ships with the package; macOS: CoreML, and no CUDA', async () => {
    expect(planProviders('dml', env({ platform: 'win32' }))[0].reason).toMatch(/DirectML\.dll is missing/);
    await writeFile(path.join(bin, 'DirectML.dll'), '');
    const windows = planProviders('auto', env({ platform: 'win32' }));
    expect(windows.map((c) => [c.provider, c.reason === undefined])).toEqual([
      ['cuda', false],
      ['dml', true],
      ['coreml', false],
      ['cpu', true],
    ]);
    expect(windows[0].reason).toMatch(/onnxruntime_providers_cuda\.dll/);
    const mac = planProviders('auto', env({ platform: 'darwin' }));
    expect(mac.find((c) => c.provider === 'coreml')).toEqual({ provider: 'coreml' });
    expect(mac[0].reason).toBe('CUDA provider: not available on darwin (Linux and Windows only)');
  });

  it('forcing one provider plans that one only (no silent fallback)', () => {
    expect(planProviders('cpu', env({}))).toEqual([{ provider: 'cpu' }]);
    expect(planProviders('coreml', env({}))).toEqual([{ provider: 'coreml', reason: 'CoreML provider: macOS only (this is linux)' }]);
  });
});

describe('createOnnxSession with a provider preference', () => {
  it('forcing an unusable provider fails with its reason; auto falls back to the CPU and says why', async () => {
    const tf = await useWasm();
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    const bytes = convertLayersModelToOnnx(model);
    model.dispose();
    const forced = await rejection(createOnnxSession(bytes, { provider: 'coreml' }));
    expect(forced.code).toBe('ENGINE_UNAVAILABLE');
    if (process.platform !== 'darwin') expect(forced.message).toContain(`CoreML provider: macOS only (this is ${process.platform})`);
    const session = await createOnnxSession(bytes, { provider: 'auto' });
    expect(session.providers.map((c) => c.provider)).toEqual(['cuda', 'dml', 'coreml', 'cpu']);
    if (process.platform === 'linux' && !existsSync('/proc/driver/nvidia/gpus')) {
      expect(session.executionProvider).toBe('cpu');
      expect(session.fallbackReason).toMatch(/^CUDA provider .*; DirectML provider: Windows only \(this is linux\); CoreML provider: macOS only \(this is linux\)$/);
    }
    expect(Array.from(await session.run(new Float32Array(4), 1))).toHaveLength(2);
    await session.dispose();
  });
});
