/**
 * Chooses the TF.js backend and explains the choice. Order: `tensorflow` via
 * `@tensorflow/tfjs-node-gpu` → `tensorflow` via `@tensorflow/tfjs-node` → `wasm` (SIMD) → `cpu`.
 * The tfjs-node packages are optional dependencies and are loaded only here, with their
 * failures turned into reasons a person can act on.
 */
import { BACKEND_IDS, type BackendId, type EngineCandidate, type EngineInfo } from './types.js';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';

export { BACKEND_IDS, type BackendId, type EngineCandidate, type EngineInfo } from './types.js';

/** The environment variable that forces a backend when `force` is not given. */
export const BACKEND_ENV_VAR = 'RETRAIN_STUDIO_BACKEND';

/** Optional sink for what the engine choice did (core never prints). */
export type EngineLogger = { info?(message: string): void; warn?(message: string): void };

/** Options for selectEngine. */
export type SelectEngineOptions = {
  /** Use exactly this backend; throws ENGINE_UNAVAILABLE if it cannot run. Default: RETRAIN_STUDIO_BACKEND, else automatic. */
  force?: BackendId;
  logger?: EngineLogger;
  /** Environment to read RETRAIN_STUDIO_BACKEND from (default process.env). */
  env?: Record<string, string | undefined>;
};

type CandidateSpec = { id: BackendId; package: string; backend: string; short: string };

const CANDIDATES: readonly CandidateSpec[] = [
  { id: 'tensorflow-gpu', package: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow', short: 'tfjs-node-gpu' },
  { id: 'tensorflow', package: '@tensorflow/tfjs-node', backend: 'tensorflow', short: 'tfjs-node' },
  { id: 'wasm', package: '@tensorflow/tfjs-backend-wasm', backend: 'wasm', short: 'wasm' },
  { id: 'cpu', package: '@tensorflow/tfjs', backend: 'cpu', short: 'cpu' },
];

const requireHere = createRequire(import.meta.url);

type Probe = { ok: true; device?: string; simd?: boolean; threads?: number } | { ok: false; reason: string };

/**
 * Turns a failure to load a tfjs-node package into a reason a person can act on.
 * Exported for tests; `id` is the candidate, `error` what `import()`/`require()` threw.
 */
export function explainLoadError(id: BackendId, error: unknown): string {
  const err = error as { code?: string; message?: string } | undefined;
  const message = String(err?.message ?? error);
  const pkg = CANDIDATES.find((c) => c.id === id)?.package ?? id;
  const firstLine = message.split('\n')[0];
  if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(message)) {
    const missing = message.match(/Cannot find (?:module|package) '([^']+)'/)?.[1];
    if (missing && /tfjs_binding|\.node$/.test(missing)) {
      return `installed without its native binding (${missing}): run \`npm rebuild ${pkg}\` on a machine with network`;
    }
    return (
      `not installed: npm could not install its native library (it downloads libtensorflow at install time); ` +
      `on a machine with network run \`npm install ${pkg}\`, or build it from a TensorFlow wheel: ` +
      `\`npm run engine:install-tensorflow -- --pip${id === 'tensorflow-gpu' ? ' --gpu' : ''}\``
    );
  }
  const library = message.match(/([\w.+-]+\.(?:so(?:\.[\d.]+)?|dylib|dll))\b[^\n]*?(?:cannot open shared object file|No such file|not found|image not found|could not be found)/i)?.[1];
  if (library) {
    if (/cud|cublas|cufft|curand|cusolver|cusparse|nvinfer/i.test(library)) {
      return `${library} not found — needs CUDA 11.2 + cuDNN 8.1 (libtensorflow 2.9.1); install them and add their lib folder to LD_LIBRARY_PATH`;
    }
    if (/tensorflow/i.test(library)) {
      return `${library} not found — the package's install script did not download libtensorflow; run \`npm rebuild ${pkg}\` on a machine with network`;
    }
    return `${library} not found — a native library ${pkg} needs is missing (${firstLine})`;
  }
  if (/GLIBC|GLIBCXX|version `/.test(message)) return `native library too new for this system's C library: ${firstLine}`;
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message)) {
    return `native binding was built for another Node.js version; run \`npm rebuild ${pkg}\``;
  }
  return `failed to load: ${firstLine}`;
}

function cpuDevice(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model?.trim() || os.arch();
  return `${model} (${cpus.length} core${cpus.length === 1 ? '' : 's'})`;
}

/** NVIDIA GPU names from the Linux driver's /proc files; [] when there is no driver or GPU. */
async function nvidiaGpus(): Promise<string[]> {
  const root = '/proc/driver/nvidia/gpus';
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    try {
      const text = await readFile(`${root}/${entry}/information`, 'utf8');
      names.push(text.match(/^Model:\s*(.+)$/m)?.[1]?.trim() ?? `NVIDIA GPU ${entry}`);
    } catch {
      names.push(`NVIDIA GPU ${entry}`);
    }
  }
  return names;
}

async function activate(backend: string): Promise<string | null> {
  try {
    const ok = await tf.setBackend(backend);
    await tf.ready();
    // A backend that fails to initialise falls back silently: always check.
    if (!ok || tf.getBackend() !== backend) return `tf.setBackend('${backend}') did not take effect (active backend: ${tf.getBackend()})`;
    return null;
  } catch (error) {
    return `initialisation failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

async function probeTfjsNode(spec: CandidateSpec): Promise<Probe> {
  try {
    requireHere.resolve(spec.package);
  } catch (error) {
    return { ok: false, reason: explainLoadError(spec.id, error) };
  }
  let device = cpuDevice();
  if (spec.id === 'tensorflow-gpu') {
    if (process.platform !== 'linux' && process.platform !== 'win32') {
      return { ok: false, reason: `no CUDA on ${process.platform}: tfjs-node-gpu supports Linux and Windows with NVIDIA GPUs` };
    }
    if (process.platform === 'linux') {
      const gpus = await nvidiaGpus();
      if (gpus.length === 0) return { ok: false, reason: 'no CUDA device: no NVIDIA driver or GPU found (/proc/driver/nvidia/gpus is empty or missing)' };
      device = gpus.join(', ');
    } else {
      device = 'NVIDIA GPU';
    }
  }
  try {
    await import(spec.package);
  } catch (error) {
    return { ok: false, reason: explainLoadError(spec.id, error) };
  }
  if (!tf.findBackendFactory(spec.backend)) {
    return {
      ok: false,
      reason: `loaded, but its '${spec.backend}' backend registered with another copy of @tensorflow/tfjs-core (versions must match ${tf.version.tfjs})`,
    };
  }
  const problem = await activate(spec.backend);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, device, threads: os.cpus().length };
}

async function probeWasm(): Promise<Probe> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    return { ok: false, reason: `failed to load @tensorflow/tfjs-backend-wasm: ${(error as Error).message.split('\n')[0]}` };
  }
  const problem = await activate('wasm');
  if (problem) return { ok: false, reason: problem };
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  return { ok: true, device: cpuDevice(), simd, threads: wasm.getThreadsCount() };
}

async function probeCpu(): Promise<Probe> {
  const problem = await activate('cpu');
  return problem ? { ok: false, reason: problem } : { ok: true, device: cpuDevice(), threads: 1 };
}

function probe(spec: CandidateSpec): Promise<Probe> {
  if (spec.id === 'wasm') return probeWasm();
  if (spec.id === 'cpu') return probeCpu();
  return probeTfjsNode(spec);
}

function parseBackendId(value: string, source: string): BackendId {
  const id = value.trim() as BackendId;
  if (!(BACKEND_IDS as readonly string[]).includes(id)) {
    throw new CoreError('INVALID_ARGUMENT', `${source} is "${value}"; accepted values: ${BACKEND_IDS.join(', ')}.`);
  }
  return id;
}

/**
 * Activates the best TF.js backend that works here (or the forced one) and reports the
 * device and why each better backend was not used.
 * @throws CoreError ENGINE_UNAVAILABLE when the forced backend cannot run (message: the reason);
 *   INVALID_ARGUMENT for an unknown RETRAIN_STUDIO_BACKEND value.
 */
export async function selectEngine(options: SelectEngineOptions = {}): Promise<EngineInfo> {
  const env = options.env ?? process.env;
  const fromEnv = env[BACKEND_ENV_VAR]?.trim();
  const forcedId = options.force
    ? parseBackendId(options.force, 'The forced backend')
    : fromEnv
      ? parseBackendId(fromEnv, BACKEND_ENV_VAR)
      : undefined;

  const candidates: EngineCandidate[] = CANDIDATES.map((c) => ({ id: c.id, package: c.package, available: false, active: false }));
  let chosen: { spec: CandidateSpec; result: Extract<Probe, { ok: true }> } | undefined;

  if (forcedId) {
    const spec = CANDIDATES.find((c) => c.id === forcedId)!;
    const result = await probe(spec);
    if (!result.ok) {
      throw new CoreError('ENGINE_UNAVAILABLE', `Backend ${forcedId} (${spec.package}) is unavailable: ${result.reason}.`, {
        backend: forcedId,
        reason: result.reason,
      });
    }
    chosen = { spec, result };
    for (const candidate of candidates) {
      if (candidate.id !== forcedId) candidate.reason = `not tried: backend forced to ${forcedId}`;
    }
  } else {
    for (const [index, spec] of CANDIDATES.entries()) {
      const result = await probe(spec);
      if (result.ok) {
        chosen = { spec, result };
        for (const later of candidates.slice(index + 1)) later.reason = `not tried: ${spec.id} is preferred`;
        break;
      }
      candidates[index].reason = result.reason;
      options.logger?.info?.(`TF.js backend ${spec.id} not used: ${result.reason}`);
    }
    if (!chosen) throw new CoreError('ENGINE_UNAVAILABLE', 'No TF.js backend could be initialised, not even cpu.');
  }

  const active = candidates.find((c) => c.id === chosen!.spec.id)!;
  active.available = true;
  active.active = true;
  delete active.reason;
  const info: EngineInfo = {
    backend: tf.getBackend(),
    package: chosen.spec.package,
    device: chosen.result.device ?? cpuDevice(),
    forced: !!forcedId,
    ...(chosen.spec.id === 'wasm' ? { simd: chosen.result.simd ?? false } : {}),
    ...(chosen.result.threads !== undefined ? { threads: chosen.result.threads } : {}),
    candidates,
  };
  options.logger?.info?.(describeEngine(info));
  return info;
}

/**
 * One line: active backend, its mode, the device, and why better engines were not used, e.g.
 * "wasm (SIMD, 1 thread) on AMD EPYC (2 cores); better engines not used: tfjs-node-gpu: …; tfjs-node: …".
 */
export function describeEngine(info: EngineInfo): string {
  const activeIndex = info.candidates.findIndex((c) => c.active);
  const spec = CANDIDATES.find((c) => c.id === info.candidates[activeIndex]?.id);
  const details: string[] = [];
  if (spec?.id === 'tensorflow-gpu') details.push('GPU');
  if (info.simd !== undefined) details.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined) details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  const name = spec && spec.backend !== spec.short ? `${info.backend} via ${spec.short}` : info.backend;
  let line = `${name}${details.length ? ` (${details.join(', ')})` : ''} on ${info.device}`;
  if (info.forced) line += ' (forced)';
  const better = info.candidates.slice(0, Math.max(0, activeIndex)).filter((c) => c.reason && !c.reason.startsWith('not tried'));
  if (better.length > 0) {
    line += `; better engines not used: ${better
      .map((c) => `${CANDIDATES.find((s) => s.id === c.id)?.short ?? c.id}: ${c.reason}`)
      .join('; ')}`;
  }
  return line;
}
