/**
 * scripts/install-tensorflow.mjs refuses bad input with its documented exit code and a message
 * that says what to do, before it touches an existing build. (The full build against the
 * tensorflow-cpu wheel runs in .ci/run; the `tensorflow` test project then uses it.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve(import.meta.dirname, '../../../scripts/install-tensorflow.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'install-tf-'));
const run = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
};

describe('engine:install-tensorflow', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('usage errors exit 2 and say what is expected', () => {
    expect(run([])).toMatchObject({ status: 2, stderr: expect.stringContaining('--from WHEEL_OR_DIR, or --pip') });
    expect(run(['--pip', '--from', 'x.whl'])).toMatchObject({ status: 2, stderr: expect.stringContaining('contradict') });
    expect(run(['--from', path.join(dir, 'missing.whl')])).toMatchObject({ status: 2, stderr: expect.stringContaining('no such file or folder') });
    expect(run(['--frm', 'x'])).toMatchObject({ status: 2, stderr: expect.stringContaining('Unknown argument "--frm"') });
  });

  it('a missing compiler exits 3 naming the package to install', () => {
    const r = run(['--pip'], { CXX: 'no-such-compiler-here' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('No C++ compiler: "no-such-compiler-here --version" failed. Install one (Debian/Ubuntu: apt-get install g++ make');
  });

  it('a file that is not a TensorFlow wheel, or a folder without the library, exits 4 and leaves deps/ as it was', () => {
    const pkgDir = path.resolve(import.meta.dirname, '../../../node_modules/@tensorflow/tfjs-node');
    const depsBefore = existsSync(path.join(pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'));
    const notZip = path.join(dir, 'fake.whl');
    writeFileSync(notZip, 'not a zip');
    expect(run(['--from', notZip])).toMatchObject({ status: 4, stderr: expect.stringContaining('as a wheel') });
    const empty = path.join(dir, 'empty');
    expect(spawnSync('mkdir', [empty]).status).toBe(0);
    expect(run(['--from', empty])).toMatchObject({ status: 4, stderr: expect.stringContaining('holds no libtensorflow_cc.so.2 and libtensorflow_framework.so.2') });
    expect(existsSync(path.join(pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'))).toBe(depsBefore);
    expect(existsSync(path.join(pkgDir, 'deps.staging'))).toBe(false);
  });
});
