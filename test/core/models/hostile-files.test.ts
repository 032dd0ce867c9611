import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useWasm } from '../../helpers/tf.js';
import { makeTinyBackbone, tempDir } from '../../helpers/fixtures.js';
import { createModelStore } from '../../../src-main/core/models/index.js';
import { fileLoadHandler } from '../../../src-main/core/tf/file-io.js';

const SECRET = 'root:x:0:0:top-secret-line';
let base: string;
let secret: string;

/** A copy of the tiny model whose model.json is changed by `edit`. */
async function variant(name: string, edit: (json: { weightsManifest: Array<{ paths: string[] }> }) => void): Promise<string> {
  const dir = await makeTinyBackbone(path.join(base, name));
  const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  edit(json);
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

beforeAll(async () => {
  await useWasm();
  base = await tempDir('hostile-models');
  secret = path.join(base, 'secret.txt');
  await writeFile(secret, `${SECRET}\n`.repeat(8));
});

describe('model files are read only inside the model folder', () => {
  it.each([
    ['a shard outside the folder', (json: { weightsManifest: Array<{ paths: string[] }> }) => (json.weightsManifest[0].paths = ['../secret.txt'])],
    ['an absolute shard path', (json: { weightsManifest: Array<{ paths: string[] }> }) => (json.weightsManifest[0].paths = ['/dev/zero'])],
    ['a shard of the wrong size', (json: { weightsManifest: Array<{ paths: string[] }> }) => json.weightsManifest[0].paths.push('model.json')],
  ])('refuses %s at load, without reading it', async (_name, edit) => {
    const dir = await variant(_name.replace(/\W+/g, '-'), edit);
    const error = (await fileLoadHandler(dir).load!().then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(error).toMatchObject({ code: 'MODEL_INVALID' });
    expect(error.message).not.toContain('top-secret');
  });

  it('refuses a shard that is a symlink out of the folder', async () => {
    const dir = await makeTinyBackbone(path.join(base, 'link-shard'));
    await symlink(secret, path.join(dir, 'evil.bin'));
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['evil.bin'];
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(fileLoadHandler(dir).load!()).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining('outside') });
  });

  it('refuses a model.json that links to a file outside, without echoing it', async () => {
    const dir = path.join(base, 'link-json');
    await mkdir(dir);
    await symlink(secret, path.join(dir, 'model.json'));
    const error = (await fileLoadHandler(dir).load!().then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).not.toContain('root:x');
  });

  it('does not echo a model.json that is not JSON', async () => {
    const dir = path.join(base, 'not-json');
    await mkdir(dir);
    await writeFile(path.join(dir, 'model.json'), SECRET);
    const error = (await fileLoadHandler(dir).load!().then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).not.toContain('root:x');
  });

  it('reads an import\'s labels file only inside the model folder', async () => {
    const dir = await makeTinyBackbone(path.join(base, 'labels-model'));
    const store = createModelStore({ dir: path.join(base, 'store') });
    for (const labelsFile of [secret, '/etc/passwd', '../secret.txt']) {
      const error = (await store.importModel(dir, { labelsFile }).then(() => null, (e: unknown) => e)) as Error & { code: string };
      expect(error, labelsFile).toMatchObject({ code: 'PATH_NOT_ALLOWED' });
      expect(error.message).not.toContain('top-secret');
      expect(error.message).not.toMatch(/has \d+ labels/);
    }
    await symlink(secret, path.join(dir, 'labels-link.txt'));
    await expect(store.importModel(dir, { labelsFile: 'labels-link.txt' })).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });
});
