/** `retrain-studio label --image_dir`: the built CLI as a child process (flags, files written, exit codes, Ctrl-C). */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.js';
import { makeColourDataset, tempDir } from '../helpers/fixtures.js';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';
import { CORRUPT_JPEG, makeExport } from '../core/classify/folder-fixtures.js';
import { assertBuilt, cli, collect, start } from './helpers.js';

let base: string;
let exportDir: string;
let photos: string;

beforeAll(async () => {
  assertBuilt();
  await useWasm();
  base = await tempDir('cli-label-folder');
  exportDir = await makeExport('cli-label-folder');
  photos = await makeColourDataset(path.join(base, 'photos'), 3);
  await writeFile(path.join(photos, 'red', 'broken.jpg'), CORRUPT_JPEG);
});

describe('label --image_dir', () => {
  it('writes the CSV and JSON, sorts copies, shows progress, and agrees with label --image', async () => {
    const csv = path.join(base, 'out', 'labels.csv');
    const json = path.join(base, 'out', 'labels.json');
    const into = path.join(base, 'sorted');
    await mkdir(path.dirname(csv), { recursive: true });
    const result = await cli(['label', '--graph', exportDir, '--image_dir', photos, '--output_csv', csv, '--output_json', json, '--top_k', '2', '--sort_into', into, '--threshold', '0.5'], { RETRAIN_STUDIO_PROGRESS_INTERVAL_MS: '0' });
    expect(result.stderr).toMatch(/^Not labelled: red\/broken\.jpg: /m);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^labelling: 10\/10 images \(100%\), [\d.]+\/s/m);
    expect(result.stdout).toMatch(/9 of 10 images labelled, 1 unreadable, 9 copied into /);

    const table = parseCsv(await readFile(csv, 'utf8'));
    expect(table[0]).toEqual(['path', 'label_1', 'probability_1', 'label_2', 'probability_2', 'error', 'sorted_to']);
    expect(table.slice(1).map((r) => r[0])).toEqual(['blue/blue_0.jpg', 'blue/blue_1.png', 'blue/blue_2.jpg', 'green/green_0.jpg', 'green/green_1.png', 'green/green_2.jpg', 'red/broken.jpg', 'red/red_0.jpg', 'red/red_1.png', 'red/red_2.jpg']);
    const broken = table.find((r) => r[0] === 'red/broken.jpg') as string[];
    expect(broken.slice(1, 5)).toEqual(['', '', '', '']);
    expect(broken[5]).toMatch(/broken\.jpg/);
    expect(broken[6]).toBe('');
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({ complete: true, total: 10, labelled: 9, failed: 1, topK: 2, sort: { into, threshold: 0.5, move: false } });

    for (const row of table.slice(1).filter((r) => r[0] !== 'red/broken.jpg')) {
      // Sorted where the threshold says, as a copy.
      const folder = Number(row[2]) >= 0.5 ? row[1] : '_uncertain';
      expect(row[6]).toBe(`${folder}/${path.basename(row[0])}`);
      expect(await readFile(path.join(into, row[6]))).toEqual(await readFile(path.join(photos, row[0])));
    }
    // Top-1 as `label --image` prints it, for two photos.
    for (const file of ['green/green_0.jpg', 'red/red_1.png']) {
      const alone = await cli(['label', '--graph', exportDir, '--image', path.join(photos, file), '--top_k', '2', '--json']);
      expect(alone.code).toBe(0);
      const predictions = JSON.parse(alone.stdout).predictions as { label: string; probability: number }[];
      const row = table.find((r) => r[0] === file) as string[];
      expect(row[1]).toBe(predictions[0].label);
      expect(Math.abs(Number(row[2]) - predictions[0].probability)).toBeLessThan(1e-5);
    }
  });

  it('moves with --move and never overwrites: a second run into the same folder adds suffixed files', async () => {
    const inbox = path.join(base, 'inbox-move');
    await mkdir(inbox);
    for (const f of ['blue/blue_0.jpg', 'green/green_1.png']) await copyFile(path.join(photos, f), path.join(inbox, path.basename(f)));
    const into = path.join(base, 'sorted-move');
    const first = await cli(['label', '--graph', exportDir, '--image_dir', inbox, '--sort_into', into, '--threshold', '0', '--move']);
    expect(first.code, first.stderr).toBe(0);
    expect(await readdir(inbox)).toEqual([]);
    // The same names again: kept beside the first ones, as "name (1).ext".
    for (const f of ['blue/blue_0.jpg', 'green/green_1.png']) await copyFile(path.join(photos, f), path.join(inbox, path.basename(f)));
    const second = await cli(['label', '--graph', exportDir, '--image_dir', inbox, '--sort_into', into, '--threshold', '0', '--move']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/blue_0\.jpg: \S+ [\d.]+ → \S+\/blue_0 \(1\)\.jpg/);
    const sorted = (await readdir(into, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    expect(sorted).toEqual(['blue_0 (1).jpg', 'blue_0.jpg', 'green_1 (1).png', 'green_1.png']);
  });

  it.each([
    [2, ['--sort_into', 'OUT'], /--sort_into needs --threshold/],
    [2, ['--threshold', '0.5'], /--threshold goes with --sort_into/],
    [2, ['--move'], /--move goes with --sort_into/],
    [2, ['--sort_into', 'OUT', '--threshold', '1.5'], /--threshold must be a probability from 0 to 1/],
    [2, ['--sort_into', 'INSIDE', '--threshold', '0.5'], /Error \(INVALID_ARGUMENT\): --sort_into: The sort folder .* is inside the labelled folder/],
    [2, ['--image', 'x.jpg'], /--graph and one of --image or --image_dir are required/],
    [2, ['--batch_size', '0'], /--batch_size must be a whole number/],
  ])('exit %i for %j', async (code, extra, message) => {
    const args = extra.map((a) => (a === 'OUT' ? path.join(base, 'never') : a === 'INSIDE' ? path.join(photos, 'sorted') : a));
    const result = await cli(['label', '--graph', exportDir, '--image_dir', photos, ...args]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
    expect(existsSync(path.join(base, 'never'))).toBe(false);
    expect(existsSync(path.join(photos, 'sorted'))).toBe(false);
  });

  it('exit 2 for a folder flag with --image, 3 for a missing or imageless folder, 4 for a missing model', async () => {
    const withImage = await cli(['label', '--graph', exportDir, '--image', path.join(photos, 'red', 'red_0.jpg'), '--output_csv', path.join(base, 'x.csv')]);
    expect(withImage.stderr).toMatch(/--output_csv labels a folder: use it with --image_dir/);
    expect(withImage.code).toBe(2);
    const missing = await cli(['label', '--graph', exportDir, '--image_dir', path.join(base, 'no-such-dir')]);
    expect(missing.stderr).toMatch(/Error \(NOT_FOUND\): .*no-such-dir: no such folder/);
    expect(missing.code).toBe(3);
    const empty = path.join(base, 'empty');
    await mkdir(empty);
    const none = await cli(['label', '--graph', exportDir, '--image_dir', empty]);
    expect(none.stderr).toMatch(/Error \(DATASET_EMPTY\): .* holds no image files/);
    expect(none.code).toBe(3);
    const noFolder = await cli(['label', '--graph', exportDir, '--image_dir', photos, '--output_csv', path.join(base, 'no-such-out', 'x.csv')]);
    expect(noFolder.stderr).toMatch(/Error \(NOT_FOUND\): --output_csv .*x\.csv: the folder .*no-such-out does not exist/);
    expect(noFolder.stdout).not.toMatch(/labelling:/);
    expect(noFolder.code).toBe(3);
    const noModel = await cli(['label', '--graph', path.join(base, 'no-model'), '--image_dir', photos]);
    expect(noModel.code).toBe(4);
  });

  it('prints parseable JSON (and no progress) with --json and no output file', async () => {
    const result = await cli(['label', '--graph', exportDir, '--image_dir', photos, '--json', '--top_k', '1'], { RETRAIN_STUDIO_PROGRESS_INTERVAL_MS: '0' });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.rows).toHaveLength(10);
    expect(report.rows[0]).toEqual({ path: 'blue/blue_0.jpg', predictions: [{ label: expect.any(String), probability: expect.any(Number) }] });
  });
});

describe.skipIf(!hasShared)('label --image_dir cancelled by Ctrl-C (the real Darknet classifier, for a job long enough to interrupt)', () => {
  it('exits 130 and writes the rows done so far, with "complete": false', async () => {
    const inbox = path.join(base, 'many');
    await mkdir(inbox);
    const known = sharedPath('images', 'imagenet_known');
    const names = (await readdir(known)).filter((n) => n.endsWith('.jpg'));
    for (let copy = 0; copy < 4; copy++) for (const name of names) await copyFile(path.join(known, name), path.join(inbox, `${copy}-${name}`));
    const total = names.length * 4;
    const csv = path.join(base, 'many.csv');
    const json = path.join(base, 'many.json');
    const child = start(
      ['label', '--graph', sharedPath('models', 'darknet_tiny_imagenet'), '--labels', sharedPath('models', 'darknet_tiny_imagenet', 'labels_darknet_order.json'),
        '--input_mean', '0', '--input_std', '255', '--image_dir', inbox, '--batch_size', '1', '--output_csv', csv, '--output_json', json],
      { RETRAIN_STUDIO_PROGRESS_INTERVAL_MS: '0' },
    );
    let seen = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      seen += d;
      // Some images are done: Ctrl-C now.
      if (/^labelling: [1-9]\d*\//m.test(seen) && !child.killed) child.kill('SIGINT');
    });
    const result = await collect(child);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/^Cancelled: \d+ of \d+ images labelled .* hold those \d+ rows\./m);
    const rows = parseCsv(await readFile(csv, 'utf8')).slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThan(total);
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report).toMatchObject({ complete: false, total });
    expect(report.rows).toHaveLength(rows.length);
  });
});
