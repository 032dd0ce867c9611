/** settings.json: defaults, partial updates, and no lost update when processes share the data folder. */
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSettingsStore } from '../../../src-main/core/settings/index.js';
import { tempDir } from '../../helpers/fixtures.js';

const WRITER = path.join(import.meta.dirname, 'settings-writer.fixture.ts');

/** Runs the writer fixture in its own Node process; resolves with its exit code and stderr. */
function writer(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

type Settings = { backend: string; featureEngine: string };
const defaults: Settings = { backend: 'auto', featureEngine: 'auto' };

describe('the settings store', () => {
  it('gives the defaults for a missing or damaged file, and the stored values over them', async () => {
    const dir = await tempDir('settings');
    const file = path.join(dir, 'settings.json');
    const store = createSettingsStore({ file, defaults });
    expect(await store.load()).toEqual(defaults);
    await writeFile(file, '{"backend": "cpu"');
    expect(await store.load()).toEqual(defaults);
    await writeFile(file, '["cpu"]');
    expect(await store.load()).toEqual(defaults);
    await writeFile(file, JSON.stringify({ backend: 'cpu' }));
    expect(await store.load()).toEqual({ backend: 'cpu', featureEngine: 'auto' });
  });

  it('writes only the keys it is given: a second writer keeps the first one\'s change', async () => {
    const file = path.join(await tempDir('settings'), 'settings.json');
    // Two processes' stores, each having loaded the defaults at start.
    const app = createSettingsStore({ file, defaults });
    const serve = createSettingsStore({ file, defaults });
    await app.update({ backend: 'cpu' });
    expect(await serve.update({ featureEngine: 'tfjs', backend: undefined })).toEqual({ backend: 'cpu', featureEngine: 'tfjs' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ backend: 'cpu', featureEngine: 'tfjs' });
    expect(await app.load()).toEqual({ backend: 'cpu', featureEngine: 'tfjs' });
  });

  it('loses no update when two processes and this one update at once', async () => {
    const dir = await tempDir('settings');
    const file = path.join(dir, 'settings.json');
    const here = createSettingsStore<Record<string, number>>({ file, defaults: {} });
    const [a, b] = await Promise.all([
      writer([file, '20', 'a']),
      writer([file, '20', 'b']),
      Promise.all(Array.from({ length: 20 }, (_, i) => here.update({ [`here-${i}`]: i }))),
    ]);
    expect([a, b]).toEqual([{ code: 0, stderr: '' }, { code: 0, stderr: '' }]);
    const stored = await here.load();
    for (const tag of ['a', 'b', 'here']) {
      expect(Object.keys(stored).filter((k) => k.startsWith(`${tag}-`)), tag).toHaveLength(20);
    }
    // The lock and every temporary file are gone.
    expect(await readdir(dir)).toEqual(['settings.json']);
  });
});
