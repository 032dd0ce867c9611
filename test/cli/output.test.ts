/** The CLI's output module on real streams: escaping, timed progress, the TTY line, a closed pipe. */
import { describe, expect, it } from 'vitest';
import { PassThrough, Writable } from 'node:stream';
import { createOutput, describeProgress, escapeControl } from '../../src-main/cli/output.js';
import { EXIT, exitCodeFor } from '../../src-main/cli/exit-codes.js';
import { summariseIssues } from '../../src-main/cli/issues.js';
import { CoreError, ERROR_CODES } from '../../src-main/core/errors.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** A stream that keeps what was written; `tty` makes it look like a terminal. */
function sink(tty = false): PassThrough & { isTTY?: boolean; columns?: number; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; text: () => string };
  const chunks: string[] = [];
  stream.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
  stream.text = () => chunks.join('');
  if (tty) {
    stream.isTTY = true;
    stream.columns = 100;
  }
  return stream;
}

describe('escapeControl', () => {
  it.each([
    ['a\nb', 'a\\nb'],
    ['tab\there', 'tab\\there'],
    ['\u001b[31mred\u001b[0m', '\\u001b[31mred\\u001b[0m'],
    ['csi\u009b2J', 'csi\\u009b2J'],
    ['bell\u0007 del\u007f nul\u0000', 'bell\\u0007 del\\u007f nul\\u0000'],
    ['line\u2028sep', 'line\\u2028sep'],
    ['rtl\u202eoverride', 'rtl\\u202eoverride'],
    ['plain: ü, 日本, emoji 🌷, back\\slash', 'plain: ü, 日本, emoji 🌷, back\\slash'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControl(input)).toBe(expected);
  });

  it('keeps JSON valid JSON with the same value', () => {
    const value = { name: 'a\u009bb\u2028c\u001bd' };
    expect(JSON.parse(escapeControl(JSON.stringify(value)))).toEqual(value);
  });

  it('is what every Output method prints', () => {
    const out = sink();
    const err = sink();
    const o = createOutput(out, err);
    o.line('one\nline\u001b');
    o.lines('two\nlines\r');
    o.error('bad\u001b]0;title\u0007\nsecond');
    o.progress('dl\n', { done: 1, total: 2, unit: 'bytes', note: 'f\u001bile' });
    expect(out.text()).toBe('one\\nline\\u001b\ntwo\nlines\\r\ndl\\n: 0.0/0.0 MB (50%), f\\u001bile\n');
    expect(err.text()).toBe('bad\\u001b]0;title\\u0007\nsecond\n');
  });
});

describe('progress without a terminal', () => {
  it('prints the first report, then one line per interval, and the last report once', () => {
    const out = sink();
    let t = 0;
    const o = createOutput(out, sink(), { progressIntervalMs: 5000, now: () => t });
    const report = (done: number): void => o.progress('bottlenecks', { done, total: 1000, unit: 'images' });
    report(0);
    for (let done = 1; done <= 12; done++) {
      t += 1000;
      report(done);
    }
    t += 1000;
    report(1000);
    report(1000);
    const lines = out.text().trimEnd().split('\n');
    // At 0 s, 5 s and 10 s, and the end: all four within the first 10 %, which deciles would not show.
    expect(lines).toEqual([
      'bottlenecks: 0/1000 images (0%)',
      'bottlenecks: 5/1000 images (0%), 1.0/s, ETA 16 min 35 s',
      'bottlenecks: 10/1000 images (1%), 1.0/s, ETA 16 min 30 s',
      'bottlenecks: 1000/1000 images (100%), 76.9/s',
    ]);
  });

  it('uses the rate and ETA the caller knows, and starts over when the count goes back', () => {
    const out = sink();
    let t = 0;
    const o = createOutput(out, sink(), { progressIntervalMs: 0, now: () => t });
    o.progress('bottlenecks', { done: 10, total: 40, unit: 'images', ratePerSecond: 2.5, etaMs: 12_000, note: '3 cached' });
    t += 10;
    o.progress('download', { done: 5e6, total: 0, unit: 'bytes', note: 'model.json' });
    t += 1000;
    o.progress('download', { done: 7e6, total: 0, unit: 'bytes' });
    o.progress('download', { done: 1e6, total: 0, unit: 'bytes' });
    expect(out.text().trimEnd().split('\n')).toEqual([
      'bottlenecks: 10/40 images (25%), 2.5/s, ETA 12 s, 3 cached',
      'download: 5.0 MB, model.json',
      'download: 7.0 MB, 2.0 MB/s',
      'download: 1.0 MB',
    ]);
  });

  it('formats hours', () => {
    expect(describeProgress({ done: 1, total: 100, unit: 'steps' }, 0.001, 2 * 3600_000 + 5 * 60_000)).toBe('1/100 steps (1%), 0.0/s, ETA 2 h 05 min');
  });
});

describe('progress on a terminal', () => {
  it('redraws one line per bar and ends it before the next line', () => {
    const out = sink(true);
    let t = 0;
    const o = createOutput(out, sink(), { now: () => t });
    o.progress('training', { done: 1, total: 4, unit: 'steps' });
    t += 1000;
    o.progress('training', { done: 2, total: 4, unit: 'steps' });
    o.line('Step 2: done');
    const text = out.text();
    expect(text.startsWith('\rtraining [######------------------] 1/4 steps (25%)')).toBe(true);
    expect(text).toContain('\rtraining [############------------] 2/4 steps (50%), 1.0/s, ETA 2 s');
    expect(text.endsWith('\nStep 2: done\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(3);
  });
});

describe('a closed stream', () => {
  it('turns a write error into `closed`, tells the listeners once, and writes nothing more', async () => {
    let writes = 0;
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const o = createOutput(broken, sink());
    let told = 0;
    o.onClosed(() => told++);
    o.line('first');
    await o.flush();
    expect(o.closed).toBe(true);
    o.line('second');
    o.progress('x', { done: 1, total: 2, unit: 'steps' });
    await o.flush();
    expect(writes).toBe(1);
    expect(told).toBe(1);
    let late = 0;
    o.onClosed(() => late++);
    expect(late).toBe(1);
  });
});

describe('issue summary', () => {
  it('shows the first N of each kind, in order of first appearance, and counts the rest', () => {
    const issue = (code: string, i: number) => ({ path: `/d/${i}`, code, severity: 'warning' as const, message: `${code} ${i}` });
    const issues = [issue('FEW_IMAGES', 0), ...Array.from({ length: 25 }, (_, i) => issue('DUPLICATE', i)), issue('FEW_IMAGES', 1)];
    const { lines, omitted } = summariseIssues(issues, 3);
    expect(lines).toEqual(['  warning: FEW_IMAGES 0', '  warning: FEW_IMAGES 1', '  warning: DUPLICATE 0', '  warning: DUPLICATE 1', '  warning: DUPLICATE 2', '  … and 22 more DUPLICATE (warning)']);
    expect(omitted).toBe(22);
  });
});

describe('exit codes', () => {
  it('every code in the README table is one the CLI uses, and every code it uses is in the table', async () => {
    const readme = await readFile(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const table = [...readme.matchAll(/^\| `(\d+)` \| /gm)].map((m) => Number(m[1]));
    expect(table.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
    const used = new Set(ERROR_CODES.map((code) => exitCodeFor(new CoreError(code, 'x'))));
    for (const code of used) expect(table).toContain(code);
  });

  it('file errors a user can act on are data (3); anything else is unexpected (1)', () => {
    expect(exitCodeFor(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }))).toBe(3);
    expect(exitCodeFor(Object.assign(new Error('EACCES'), { code: 'EACCES' }))).toBe(3);
    expect(exitCodeFor(new TypeError('x is undefined'))).toBe(1);
    expect(exitCodeFor(new CoreError('DATASET_INVALID', 'one class'))).toBe(3);
    expect(exitCodeFor(new CoreError('INTERNAL', 'bug'))).toBe(1);
  });
});
