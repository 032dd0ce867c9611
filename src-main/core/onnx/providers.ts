/**
 * Which ONNX Runtime execution providers to try, best first — CUDA (Linux/Windows) → DirectML
 * (Windows) → CoreML (macOS) → CPU — and the exact reason each one ahead of the CPU cannot be
 * used here, found without asking ONNX Runtime to load a provider it would fail on (it prints
 * load errors to stderr).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Every execution provider Retrain Studio knows, best first. */
export const ONNX_PROVIDERS = ['cuda', 'dml', 'coreml', 'cpu'] as const;
export type OnnxProvider = (typeof ONNX_PROVIDERS)[number];
/** `auto` (the best that works) or one provider forced. */
export type OnnxProviderPreference = 'auto' | OnnxProvider;

/** One provider considered: usable (`reason` absent) or why not. */
export type ProviderCandidate = { provider: OnnxProvider; reason?: string };

/** What the plan depends on; tests pass another platform or binary folder. */
export type ProviderEnvironment = {
  platform: NodeJS.Platform;
  arch: string;
  /** onnxruntime-node's bin/napi-v6/<platform>/<arch> folder, or undefined if not found. */
  binDir: string | undefined;
  /** Linux: NVIDIA driver present (/proc/driver/nvidia/gpus has entries). */
  nvidiaDriver: boolean;
};

export function currentProviderEnvironment(): ProviderEnvironment {
  let binDir: string | undefined;
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    binDir = path.join(path.dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    binDir = undefined;
  }
  let nvidiaDriver = false;
  try {
    nvidiaDriver = readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    nvidiaDriver = false;
  }
  return { platform: process.platform, arch: process.arch, binDir, nvidiaDriver };
}

function reasonFor(provider: OnnxProvider, env: ProviderEnvironment): string | undefined {
  const has = (file: string): boolean => env.binDir !== undefined && existsSync(path.join(env.binDir, file));
  switch (provider) {
    case 'cuda': {
      if (env.platform !== 'linux' && env.platform !== 'win32') return `CUDA provider: not available on ${env.platform} (Linux and Windows only)`;
      const library = env.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
      if (!has(library)) {
        return `CUDA provider not installed (${library}): onnxruntime-node's install script fetches it (CUDA 12); run \`npm rebuild onnxruntime-node\` with network`;
      }
      if (env.platform === 'linux' && !env.nvidiaDriver) return 'CUDA provider installed, but no NVIDIA driver or GPU (/proc/driver/nvidia/gpus is empty or missing)';
      return undefined;
    }
    case 'dml':
      if (env.platform !== 'win32') return `DirectML provider: Windows only (this is ${env.platform})`;
      if (!has('DirectML.dll')) return 'DirectML provider: DirectML.dll is missing beside onnxruntime-node\'s binding; reinstall onnxruntime-node';
      return undefined;
    case 'coreml':
      if (env.platform !== 'darwin') return `CoreML provider: macOS only (this is ${env.platform})`;
      return undefined;
    case 'cpu':
      return env.binDir === undefined ? 'onnxruntime-node could not be located' : undefined;
  }
}

/**
 * The providers in order with why each is unusable. `auto`: all four; a forced provider: that
 * one only (no silent fallback — the caller reports its reason as an error).
 */
export function planProviders(preference: OnnxProviderPreference = 'auto', env: ProviderEnvironment = currentProviderEnvironment()): ProviderCandidate[] {
  const order = preference === 'auto' ? ONNX_PROVIDERS : [preference];
  return order.map((provider) => {
    const reason = reasonFor(provider, env);
    return reason ? { provider, reason } : { provider };
  });
}

/** "cuda: …; dml: …" for the providers ahead of `chosen` that were not used. */
export function describeUnusedProviders(candidates: readonly ProviderCandidate[], chosen: OnnxProvider): string | undefined {
  const ahead = candidates.slice(0, candidates.findIndex((c) => c.provider === chosen)).filter((c) => c.reason);
  return ahead.length ? ahead.map((c) => c.reason).join('; ') : undefined;
}
