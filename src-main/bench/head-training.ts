/**
 * Head training speed: retrain.py's loop (4,000 SGD steps × batch 100, evaluation every 10
 * steps on the batch and a validation batch) on 2,381 × 1,280 synthetic bottleneck-like
 * features, 5 classes — the app's trainer (fused step, and today's TF.js path once) against
 * the same loop in PyTorch and numpy (bench/peers/head_training.py), in interleaved rounds,
 * medians. PyTorch runs at 1 thread and at its default; the faster median is the peer.
 *
 * `npm run bench` prints this section first; alone: `node dist/main/bench/head-training.js`
 * (or `npx tsx src-main/bench/head-training.ts`) with --rounds n, --steps n, --quick,
 * --python PATH (default $RETRAIN_BENCH_PYTHON, else python3), --no-tfjs.
 * The last line: `head training, fused vs PyTorch: N× its time (goal ≤ 2×)`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRandom } from '../core/random.js';
import { resolveConfig, trainHead, type SplitFeatures } from '../core/training/index.js';
import { activateTfjs } from './engines.js';
import { formatRate, median, renderTable } from './measure.js';

export type HeadTrainingBenchOptions = {
  steps: number;
  batch: number;
  rows: number;
  features: number;
  classes: number;
  rounds: number;
  /** A Python with torch (and numpy); null = skip the peers. */
  python: string | null;
  tfjs: boolean;
  log: (message: string) => void;
};

export const HEAD_BENCH_DEFAULTS: HeadTrainingBenchOptions = {
  steps: 4000,
  batch: 100,
  rows: 2381,
  features: 1280,
  classes: 5,
  rounds: 3,
  python: process.env.RETRAIN_BENCH_PYTHON ?? 'python3',
  tfjs: true,
  log: (message) => process.stderr.write(`· ${message}\n`),
};

/** Non-negative features with one noisy centre per class, as bench/peers/head_training.py makes. */
function syntheticSplit(count: number, features: number, classes: number, seed: number): SplitFeatures {
  const centreRandom = createRandom(12345);
  const centres = Array.from({ length: classes }, () => Float32Array.from({ length: features }, () => Math.max(0, centreRandom() * 2 - 0.8)));
  const random = createRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const x = new Float32Array(count * features);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % classes;
    for (let k = 0; k < features; k++) x[i * features + k] = Math.max(0, centres[labels[i]][k] + gaussian());
  }
  return { features: x, labels, count };
}

function peerScript(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'bench', 'peers', 'head_training.py');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return null;
}

type Peer = { id: string; label: string; args: string[]; env: Record<string, string> };
const ONE_THREAD = { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
const PEERS: Peer[] = [
  { id: 'torch-1', label: 'PyTorch', args: ['--engine', 'torch', '--threads', '1'], env: ONE_THREAD },
  { id: 'torch', label: 'PyTorch, its default threads', args: ['--engine', 'torch'], env: {} },
  { id: 'numpy', label: 'numpy (1 BLAS thread)', args: ['--engine', 'numpy'], env: ONE_THREAD },
];

const PEER_TIMEOUT_MS = 240_000;

/** Runs one peer; its seconds, or why not. */
function runPeer(python: string, script: string, peer: Peer, o: HeadTrainingBenchOptions): { seconds?: number; version?: string; threads?: number; reason?: string } {
  const args = [script, ...peer.args, '--steps', String(o.steps), '--batch', String(o.batch), '--rows', String(o.rows), '--features', String(o.features), '--classes', String(o.classes)];
  // PyTorch on all cores of a busy machine can take minutes (threads wait on each other): cap it.
  const result = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, ...peer.env }, timeout: PEER_TIMEOUT_MS });
  if (result.error) return { reason: (result.error as { code?: string }).code === 'ETIMEDOUT' ? `did not finish in ${PEER_TIMEOUT_MS / 1000} s` : `${python}: ${result.error.message}` };
  if (result.status !== 0) return { reason: (result.stderr || result.stdout).trim().split('\n').at(-1) ?? `exit ${result.status}` };
  try {
    const line = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '') as { seconds: number; version: string; threads: number | null };
    return { seconds: line.seconds, version: line.version, threads: line.threads ?? undefined };
  } catch {
    return { reason: `unreadable output: ${result.stdout.slice(0, 200)}` };
  }
}

/** Why the peers cannot run with `python`, or null. */
function peerUnavailable(python: string | null, script: string | null): string | null {
  if (!python) return 'no Python given';
  if (!script) return 'bench/peers/head_training.py not found';
  const probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error) return `${python}: ${probe.error.message}`;
  if (probe.status !== 0) return `${python} cannot import torch and numpy (${(probe.stderr || '').trim().split('\n').at(-1)}); make a venv: python3 -m venv /tmp/v && /tmp/v/bin/pip install torch==2.13.0+cpu numpy, then --python /tmp/v/bin/python`;
  return null;
}

async function timeTrainer(o: HeadTrainingBenchOptions, train: SplitFeatures, validation: SplitFeatures, trainer: 'auto' | 'tfjs'): Promise<{ seconds: number; engine: string }> {
  const config = resolveConfig({ howManyTrainingSteps: o.steps, trainBatchSize: o.batch, validationBatchSize: o.batch, evalStepInterval: 10, learningRate: 0.01, optimizer: 'sgd' });
  const started = performance.now();
  const result = await trainHead({ config, featureSize: o.features, classCount: o.classes, train, validation, trainer });
  const seconds = (performance.now() - started) / 1000;
  result.head.dispose();
  return { seconds, engine: result.trainer };
}

/** The section's text (ending with the ratio line). Uses the tfjs-wasm backend for the TF.js run. */
export async function headTrainingReport(partial: Partial<HeadTrainingBenchOptions> = {}): Promise<string> {
  const o: HeadTrainingBenchOptions = { ...HEAD_BENCH_DEFAULTS, ...partial };
  const train = syntheticSplit(o.rows, o.features, o.classes, 1);
  const validation = syntheticSplit(Math.max(o.batch, Math.floor(o.rows / 8)), o.features, o.classes, 2);
  const script = peerScript();
  const unavailable = peerUnavailable(o.python, script);
  if (unavailable) o.log(`head training peers skipped: ${unavailable}`);

  const times = new Map<string, number[]>();
  const push = (id: string, seconds: number): void => void times.set(id, [...(times.get(id) ?? []), seconds]);
  const notes: string[] = [];
  const versions = new Map<string, string>();
  let fusedEngine = 'fused';

  // The head is a TF.js model either way (initial weights, the result): wasm as in the app.
  const reason = await activateTfjs('tfjs-wasm');
  if (reason) {
    notes.push(`TF.js path not measured: ${reason}`);
    o.tfjs = false;
    await activateTfjs('tfjs-cpu');
  }
  // Warm-up (JIT, wasm compile) outside the timed rounds.
  await timeTrainer({ ...o, steps: Math.min(200, o.steps) }, train, validation, 'auto');
  for (let round = 0; round < o.rounds; round++) {
    // Rotate the order each round so no one always runs first on a busy machine.
    const tasks: Array<{ id: string; run: () => Promise<void> }> = [
      {
        id: 'fused',
        run: async () => {
          const r = await timeTrainer(o, train, validation, 'auto');
          fusedEngine = r.engine;
          push('fused', r.seconds);
        },
      },
      ...(unavailable
        ? []
        : PEERS.map((peer) => ({
            id: peer.id,
            run: async () => {
              const r = runPeer(o.python!, script!, peer, o);
              if (r.seconds !== undefined) push(peer.id, r.seconds);
              else notes.push(`${peer.label}: ${r.reason}`);
              if (r.version) versions.set(peer.id, `${r.version}${r.threads ? `, ${r.threads} thread${r.threads > 1 ? 's' : ''}` : ''}`);
            },
          }))),
      // Today's TF.js path: once (it is the slow one).
      ...(o.tfjs && round === 0 ? [{ id: 'tfjs', run: async () => push('tfjs', (await timeTrainer(o, train, validation, 'tfjs')).seconds) }] : []),
    ];
    const order = tasks.map((_, i) => tasks[(i + round) % tasks.length]);
    for (const task of order) {
      o.log(`head training round ${round + 1}/${o.rounds}: ${task.id}`);
      await task.run();
    }
  }

  const seconds = (id: string): number | undefined => (times.has(id) ? median(times.get(id)!) : undefined);
  const torch = [seconds('torch-1'), seconds('torch')].filter((s): s is number => s !== undefined);
  const torchBest = torch.length ? Math.min(...torch) : undefined;
  const fused = seconds('fused')!;
  const rows: Array<[string, number | undefined, number]> = [
    [`Retrain Studio, fused step (${fusedEngine})`, fused, times.get('fused')?.length ?? 0],
    ['Retrain Studio, TF.js wasm (the path before the fused step)', seconds('tfjs'), times.get('tfjs')?.length ?? 0],
    ...PEERS.map((p): [string, number | undefined, number] => [`${p.label}${versions.has(p.id) ? ` (${versions.get(p.id)})` : ''}`, seconds(p.id), times.get(p.id)?.length ?? 0]),
  ];
  const out: string[] = [];
  out.push(`Head training: ${o.steps} steps × batch ${o.batch} on ${o.rows} × ${o.features} synthetic features, ${o.classes} classes, SGD 0.01, eval every 10 steps (interleaved rounds, medians)`);
  out.push(
    renderTable(
      ['trainer', 'runs', 'seconds', 'steps/s', 'time vs PyTorch', 'time vs numpy'],
      rows
        .filter(([, s]) => s !== undefined)
        .map(([label, s, n]) => [label, String(n), s!.toFixed(2), formatRate(o.steps / s!), torchBest ? `${(s! / torchBest).toFixed(2)}×` : '—', seconds('numpy') ? `${(s! / seconds('numpy')!).toFixed(2)}×` : '—']),
    ),
  );
  if (unavailable) notes.push(`PyTorch/numpy peers skipped: ${unavailable}`);
  for (const note of notes) out.push(`note: ${note}`);
  out.push('time vs PyTorch: against the faster of PyTorch at 1 thread and at its default (the app trains on one thread).');
  out.push(
    torchBest
      ? `\nhead training, fused vs PyTorch: ${(fused / torchBest).toFixed(2)}× its time (${formatRate(o.steps / fused)} vs ${formatRate(o.steps / torchBest)} steps/s; goal ≤ 2×)`
      : `head training, fused vs PyTorch: n/a (${unavailable ?? 'no PyTorch run finished'}); fused ${formatRate(o.steps / fused)} steps/s`,
  );
  return `${out.join('\n')}\n`;
}

function parseOptions(argv: string[]): Partial<HeadTrainingBenchOptions> {
  const { values } = parseArgs({
    args: argv,
    options: { rounds: { type: 'string' }, steps: { type: 'string' }, python: { type: 'string' }, quick: { type: 'boolean' }, 'no-tfjs': { type: 'boolean' } },
    strict: true,
  });
  const positive = (value: string | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got ${value}).`);
    return n;
  };
  const quick = values.quick ?? false;
  return {
    ...(quick ? { rounds: 1, steps: 1000 } : {}),
    ...(positive(values.rounds, 'rounds') ? { rounds: positive(values.rounds, 'rounds') } : {}),
    ...(positive(values.steps, 'steps') ? { steps: positive(values.steps, 'steps') } : {}),
    ...(values.python ? { python: values.python } : {}),
    ...(values['no-tfjs'] ? { tfjs: false } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  headTrainingReport(parseOptions(process.argv.slice(2)))
    .then((text) => process.stdout.write(text))
    .catch((error: unknown) => {
      process.stderr.write(`head training bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}
