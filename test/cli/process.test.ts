/**
 * The built `retrain-studio` as a user runs it: a child process, real datasets in temp folders,
 * real pipes. Needs `npm run build:main` (npm test builds first).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { useWasm } from '../helpers/tf.js';
import { createRequire } from 'node:module';
import { assertBuilt, cli, collect, png, start, writeTree, type Result } from './helpers.js';

/** Where tfjs-node-gpu is installed, `--backend tensorflow-gpu` may work: exit 5 is then not provable this way. */
const hasGpuPackage = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
})();

let base: string;
let data: string;
let colours: string;
let model: string;
/** A runs folder holding one completed run, named with a newline and an ESC sequence. */
let namedRuns: string;
let named: Result;

/** retrain on the colour dataset with the tiny backbone; `extra` adds or overrides flags. */
const retrainArgs = (extra: string[]): string[] => [
  'retrain', '--image_dir', colours, '--model_dir', model, '--input_range=-1,1', '--data_dir', data, '--eval_step_interval', '50', ...extra,
];

beforeAll(async () => {
  assertBuilt();
  await useWasm();
  base = await tempDir('cli-process');
  data = path.join(base, 'data');
  colours = await makeColourDataset(path.join(base, 'colours'), 8);
  model = await makeTinyBackbone(path.join(base, 'model'));
  namedRuns = path.join(base, 'named-runs');
  named = await cli(retrainArgs(['--how_many_training_steps', '20', '--summaries_dir', namedRuns, '--name', 'two\nlines\u001b[31m']));
});

describe('a closed pipe (`retrain-studio … | head`)', () => {
  it.each([
    ['--help'],
    ['runs', '--data_dir', '<data>', '--summaries_dir', '<runs>'],
    ['models', '--data_dir', '<data>'],
    ['cache', '--data_dir', '<data>'],
    ['retrain', '--help'],
    ['label', '--help'],
    ['frobnicate'],
  ])('%s … exits 141 without a stack when the reader is gone before it prints', async (...args) => {
    const child = start(args.map((a) => (a === '<data>' ? data : a === '<runs>' ? namedRuns : a)));
    // Our end of its stdout closes at once: its first write fails with EPIPE.
    child.stdout?.destroy();
    if (args[0] === 'frobnicate') child.stderr?.destroy();
    const result = await collect(child);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(141);
  });

  it('`models | head -1` in a shell prints one line and no EPIPE', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI_BIN, cliEnv } = await import('./helpers.js');
    const child = spawn('sh', ['-c', `"${process.execPath}" "${CLI_BIN}" models --data_dir "${data}" | head -1; echo "status $?"`], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await collect(child);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([expect.stringMatching(/^id\s+input/), 'status 0', '']);
  });

  it('retrain whose reader leaves after one line stops quietly and does not train on', async () => {
    const runsDir = path.join(base, 'closed-runs');
    const child = start(retrainArgs(['--how_many_training_steps', '100000', '--summaries_dir', runsDir]));
    let first = '';
    await new Promise<void>((resolve) => {
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        first += d;
        if (first.includes('\n')) {
          child.stdout?.destroy();
          resolve();
        }
      });
    });
    const result = await collect(child);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(141);
    const runs = await cli(['runs', '--data_dir', data, '--summaries_dir', runsDir]);
    expect(runs.code).toBe(0);
    // Either no run started, or the one that did was cancelled: none trained 100000 steps.
    expect(runs.stdout).not.toMatch(/completed|running/);
  });
});

describe('names with control characters', () => {
  it('print escaped: one file, one line, no raw ESC', async () => {
    const red = await png([220, 30, 30]);
    const root = await writeTree(path.join(base, 'evil'), {
      'red/a.png': red,
      'red/b.png': await png([220, 30, 30], 1),
      'gre\nen/a.png': await png([30, 220, 30]),
      'gre\nen/b.png': await png([30, 220, 30], 1),
      // A copy of red/a.png under a hostile name: a DUPLICATE issue that names it.
      'red/copy\n\u001b[2Jcleared.png': red,
      'red/not\rimage\u009b31m.jpg': 'not an image',
    });
    const result = await cli(['retrain', '--image_dir', root, '--data_dir', data, '--model_dir', path.join(base, 'no-model')]);
    expect(result.code, result.stderr).toBe(4);
    const lines = result.stdout.split('\n');
    expect(result.stdout + result.stderr).not.toMatch(/[\u001b\r\u009b]/);
    expect(lines).toContainEqual(expect.stringMatching(/^Dataset .*\(gre\\nen 2, red 3\)\.$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}warning: red\/copy\\n\\u001b\[2Jcleared\.png: same content as red\/a\.png/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}skipped: red\/not\\rimage\\u009b31m\.jpg: /));
  });

  it('in a run name listed by `runs`', async () => {
    expect(named.code, named.stderr).toBe(0);
    const runs = await cli(['runs', '--data_dir', data, '--summaries_dir', namedRuns]);
    expect(runs.code).toBe(0);
    expect(runs.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/ completed .* two\\nlines\\u001b\[31m$/)]);
  });
});

describe('repeated dataset issues', () => {
  it('2,000 duplicates print a bounded number of lines; the full list is in a file', async () => {
    const files: Record<string, Buffer> = {};
    const a = await png([200, 20, 20]);
    const b = await png([20, 20, 200]);
    for (let i = 0; i < 1000; i++) {
      files[`a/${i}.png`] = a;
      files[`b/${i}.png`] = b;
    }
    const root = await writeTree(path.join(base, 'dups'), files);
    const result = await cli(['retrain', '--image_dir', root, '--data_dir', data, '--model_dir', path.join(base, 'no-model')]);
    expect(result.code, result.stderr).toBe(4);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(lines.filter((l) => l.startsWith('  warning: ') && l.includes('same content as'))).toHaveLength(10);
    expect(lines).toContain('  … and 1988 more DUPLICATE (warning)');
    const listed = /^ {2}Full list of (\d+) issues: (.+\.tsv)$/.exec(lines.find((l) => l.startsWith('  Full list')) ?? '');
    expect(listed).not.toBeNull();
    const file = (await readFile(listed![2], 'utf8')).trimEnd().split('\n');
    expect(file.length - 2).toBe(Number(listed![1]));
    expect(file.filter((l) => l.startsWith('warning\tDUPLICATE\t'))).toHaveLength(1998);
    expect(file).toContainEqual(expect.stringContaining(`${path.join(root, 'b', '999.png')}\t`));
  });
});

describe('progress without a terminal', () => {
  it('prints timed lines with done/total, rate and ETA, not only every 10 %', async () => {
    const result = await cli(retrainArgs(['--how_many_training_steps', '300', '--summaries_dir', path.join(base, 'progress-runs')]), { RETRAIN_STUDIO_PROGRESS_INTERVAL_MS: '0' });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const training = lines.filter((l) => l.startsWith('training: '));
    for (const line of training) expect(line).toMatch(/^training: \d+\/300 steps \(\d+%\)(, \d+\.\d\/s)?(, ETA \d+( s| min \d\d s))?$/);
    // Core reports steps at most every 200 ms; with an interval of 0 each report is a line, so a
    // job of a few seconds shows several (that lines come every interval, not every 10 %, is output.test.ts's).
    expect(training.length).toBeGreaterThan(1);
    expect(training.some((l) => !l.startsWith('training: 300/300'))).toBe(true);
    expect(training.at(-1)).toMatch(/^training: 300\/300 steps \(100%\)/);
    const bottlenecks = lines.filter((l) => l.startsWith('bottlenecks: '));
    expect(bottlenecks.length).toBeGreaterThan(0);
    for (const line of bottlenecks) expect(line).toMatch(/^bottlenecks: \d+\/24 images \(\d+%\)(, \d+\.\d\/s)?(, ETA [^,]+)?, \d+ cached$/);
  });
});

// More flag values the validator refuses are checked in-process in cli.test.ts (same code, no process start each).
describe('exit codes (the README table)', () => {
  it('an untrainable dataset (one class) exits 3 with the reason, not 1', async () => {
    const root = await writeTree(path.join(base, 'one-class'), { 'only/a.png': await png([1, 2, 3]), 'only/b.png': await png([1, 2, 3], 1) });
    const result = await cli(['retrain', '--image_dir', root, '--data_dir', data, '--model_dir', model]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^Error \(DATASET_INVALID\): The dataset in .* cannot be trained:\n- .*only one class folder \("only"\)/);
  });

  it.each([
    [2, ['runs', '--backend', 'gpu'], /--backend=gpu: updateSettings: invalid backend: Invalid option: expected one of "auto"\|"tensorflow-gpu"\|"tensorflow"\|"wasm"\|"cpu"/],
    [2, ['retrain', '--image_dir', '.', '--learning_rate', '0'], /--learning_rate=0: startTraining: invalid config\.learningRate: Too small/],
    [2, ['label', '--graph', '.', '--image', 'x.jpg', '--top_k', '0'], /--top_k=0: classify: invalid topK: Too small/],
    [2, ['frobnicate'], /Unknown command "frobnicate"/],
    [3, ['retrain', '--image_dir', '/nonexistent-rs-dir'], /Error \(NOT_FOUND\): \/nonexistent-rs-dir does not exist/],
    [4, ['label', '--graph', '/nonexistent-rs-model', '--image', 'x.jpg'], /Error \(MODEL_NOT_FOUND\): --graph \/nonexistent-rs-model: no such folder/],
    ...(hasGpuPackage ? [] : [[5, ['runs', '--backend', 'tensorflow-gpu'], /Error \(ENGINE_UNAVAILABLE\)/] as [number, string[], RegExp]]),
  ] as [number, string[], RegExp][])('exit %i for %j', async (code, args, message) => {
    const result = await cli(args[0] === 'label' ? args : [...args, '--data_dir', data]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  it('exit 0 for a listing, 4 for an unknown architecture', async () => {
    expect((await cli(['runs', '--data_dir', data])).code).toBe(0);
    const unknown = await cli(['retrain', '--image_dir', colours, '--architecture', 'no_such_net', '--data_dir', data]);
    expect(unknown.stderr).toMatch(/Error \(MODEL_NOT_FOUND\): Unknown --architecture "no_such_net"/);
    expect(unknown.code).toBe(4);
  });

  it('exit 130 when Ctrl-C cancels a training run', async () => {
    const runsDir = path.join(base, 'sigint-runs');
    const child = start(retrainArgs(['--how_many_training_steps', '100000', '--summaries_dir', runsDir]), { RETRAIN_STUDIO_PROGRESS_INTERVAL_MS: '0' });
    let seen = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      // Training has started (a step was reported): Ctrl-C now cancels the run.
      if (/^training: /m.test(seen) && !child.killed) child.kill('SIGINT');
    });
    const result = await collect(child);
    expect(result.stderr).toMatch(/Error \(CANCELLED\): Training was cancelled\./);
    expect(result.code).toBe(130);
    const runs = await cli(['runs', '--data_dir', data, '--summaries_dir', runsDir]);
    expect(runs.stdout).toMatch(/ cancelled /);
  });
});
