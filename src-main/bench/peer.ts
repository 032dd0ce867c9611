/**
 * The tuned PyTorch peer (bench/peers/torch_extract.py): found when a Python with torch and
 * torchvision is importable, run on the bench's own photos, its numbers parsed from the last
 * line it prints.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type PeerResult = {
  decodeOnly: number;
  forwardOnly: number;
  endToEnd: number;
  images: number;
  torch: string;
  weights: string;
};

/** bench/peers/torch_extract.py in the repository (found by walking up to package.json). */
export function peerScript(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const script = path.join(dir, 'bench', 'peers', 'torch_extract.py');
      return existsSync(script) ? script : undefined;
    }
    dir = path.dirname(dir);
  }
  return undefined;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout: String(stdout), stderr: String(stderr) || (error ? error.message : '') });
    });
  });
}

/**
 * A Python that imports torch and torchvision's models: `RETRAIN_BENCH_PYTHON`, then
 * /tmp/torchvenv/bin/python (ENVIRONMENT.md's recipe), then python3. Resolves to the reason when none.
 */
export async function findTorchPython(): Promise<{ python?: string; reason?: string }> {
  const script = peerScript();
  if (!script) return { reason: 'bench/peers/torch_extract.py not found beside the build' };
  const candidates = [process.env.RETRAIN_BENCH_PYTHON, '/tmp/torchvenv/bin/python', 'python3'].filter((c): c is string => !!c);
  const reasons: string[] = [];
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const check = await run(python, [script, '--check'], 180_000);
    if (check.ok && check.stdout.includes('torch-ok')) return { python };
    reasons.push(`${python}: ${(check.stderr.trim().split('\n').at(-1) ?? 'failed').slice(0, 160)}`);
  }
  return { reason: `no Python with torch + torchvision (${reasons.join('; ') || 'none found'}); e.g. python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch==2.13.0+cpu torchvision==0.28.0 pillow numpy` };
}

/** Runs the peer over `files` (decode only, forward only, end to end), batch 32, 2 loader workers. */
export async function runTorchPeer(python: string, files: readonly string[], options: { threads: number; workers: number; batch?: number }): Promise<PeerResult> {
  const script = peerScript();
  if (!script) throw new Error('bench/peers/torch_extract.py not found');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'retrain-bench-peer-'));
  try {
    const list = path.join(dir, 'images.txt');
    await writeFile(list, `${files.join('\n')}\n`);
    const args = [script, '--list', list, '--threads', String(options.threads), '--workers', String(options.workers), '--batch', String(options.batch ?? 32)];
    const result = await run(python, args, 20 * 60_000);
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    if (!result.ok || !last.startsWith('{')) throw new Error(`the PyTorch peer failed: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const parsed = JSON.parse(last) as Record<string, unknown>;
    return {
      decodeOnly: Number(parsed.decode_only),
      forwardOnly: Number(parsed.forward_only),
      endToEnd: Number(parsed.end_to_end),
      images: Number(parsed.images),
      torch: String(parsed.torch),
      weights: String(parsed.weights),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
