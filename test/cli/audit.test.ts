/** `retrain-studio audit` as a child process of the built CLI, on real photos when ../shared has them. */
import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cli } from './helpers.js';
import { hasShared, sharedPath } from '../helpers/tf.js';

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(path.join(tmpdir(), 'rs-cli-audit-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('retrain-studio audit', () => {
  it('refuses a missing --image_dir and contradicting model flags with exit code 2', async () => {
    const missing = await cli(['audit', '--architecture', 'x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--image_dir is required');
    const both = await cli(['audit', '--image_dir', root, '--architecture', 'x', '--model_dir', root]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--architecture or --model_dir, not both');
    const bad = await cli(['audit', '--image_dir', root, '--folds', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--folds must be a whole number from 2 to 20');
  });

  const SKIPPED = hasShared ? '' : ' (skipped: ../shared with the MobileNetV2 0.35 model and flower photos is absent)';
  it.skipIf(!hasShared)(`writes the report as JSON and reuses the bottleneck cache on a second run${SKIPPED}`, async () => {
    const data = path.join(root, 'flowers');
    await cp(sharedPath('datasets', 'flower_photos_small'), data, { recursive: true });
    await rm(path.join(data, 'LICENSE.txt'), { force: true });
    const daisies = (await readdir(path.join(data, 'daisy'))).sort();
    // Three daisies filed under tulips, and a re-compressed copy of a rose.
    const moved = [daisies[3], daisies[11], daisies[25]];
    for (const name of moved) {
      await copyFile(path.join(data, 'daisy', name), path.join(data, 'tulips', name));
      await rm(path.join(data, 'daisy', name));
    }
    const roses = (await readdir(path.join(data, 'roses'))).sort();
    const rose = path.join(data, 'roses', roses[20]);
    await writeFile(path.join(data, 'roses', `copy-${roses[20]}`), await sharp(rose).resize(Math.round(((await sharp(rose).metadata()).width ?? 320) * 0.75)).jpeg({ quality: 75 }).toBuffer());

    const args = ['audit', '--image_dir', data, '--model_dir', sharedPath('models', 'mobilenet_v2_0.35_224'), '--input_range=-1,1', '--data_dir', path.join(root, 'app'), '--output_json', path.join(root, 'report.json')];
    const first = await cli(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Bottlenecks: 0 from cache, 201 computed');
    expect(first.stdout).toContain('=== MISLABEL SUSPECTS');
    const report = JSON.parse(await readFile(path.join(root, 'report.json'), 'utf8'));
    expect(report.images).toBe(201);
    expect(report.settings).toMatchObject({ folds: 5, seed: 0, duplicateThreshold: 0.85 });
    type Suspect = { path: string; label: string; suggested: string; split: string };
    const found = (report.suspects as Suspect[]).slice(0, 15).filter((s) => moved.some((name) => s.path === `tulips/${name}`));
    console.log(`moved daisies in the top 15 suspects: ${found.length}/3`);
    // Recall on real photos is the core test's (test/core/health/real-photos.test.ts): here the
    // CLI must carry a moved photo to the top of its JSON (measured 1–2 of these 3 in the top 15).
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const s of found) expect(s).toMatchObject({ label: 'tulips', suggested: 'daisy', split: expect.stringMatching(/^(train|validation|test)$/) });
    for (let i = 1; i < report.suspects.length; i++) expect(report.suspects[i - 1].score).toBeGreaterThanOrEqual(report.suspects[i].score);
    const copy = report.duplicates.find((g: { paths: string[] }) => g.paths.includes(`roses/${roses[20]}`));
    expect(copy).toMatchObject({ paths: [`roses/${roses[20]}`, `roses/copy-${roses[20]}`].sort(), labels: ['roses', 'roses'], kind: expect.stringMatching(/^(leakage|redundant)$/) });
    expect(copy.similarity).toBeGreaterThanOrEqual(0.85);
    expect(report.balance.classes.map((c: { name: string }) => c.name)).toEqual(['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);

    const second = await cli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Bottlenecks: 201 from cache, 0 computed');
    // Same seed, same cache: the same report.
    expect(JSON.parse(await readFile(path.join(root, 'report.json'), 'utf8'))).toEqual(report);
  }, 300_000);
});
