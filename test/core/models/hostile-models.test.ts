/**
 * Hostile and broken models are refused at import with a specific code naming what is wrong
 * (never INTERNAL later), and nothing is remembered. The inputs are the rows of CORPUS.
 */
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelStore } from '../../../src-main/core/models/index.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { rejection } from '../../helpers/errors.js';
import { CORPUS } from './hostile-models.corpus.js';
import { makeGraphModel, makeLayersClassifier } from './fixtures.js';

let root: string;
const bases: Record<'layers' | 'graph', string> = { layers: '', graph: '' };

beforeAll(async () => {
  await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-hostile-'));
  bases.layers = path.join(root, 'base-layers');
  bases.graph = path.join(root, 'base-graph');
  (await makeLayersClassifier(bases.layers)).dispose();
  await makeGraphModel(bases.graph);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('hostile models are refused at import', () => {
  it.each(['layers', 'graph'] as const)('the untouched %s base imports (so each row fails for its own reason)', async (base) => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    await expect(store.importModel(bases[base])).resolves.toMatchObject({ origin: 'imported' });
  });

  it.each(CORPUS)('$name → $code', async (row) => {
    const dir = path.join(root, row.name.replace(/\W+/g, '-'));
    await cp(bases[row.base], dir, { recursive: true });
    await row.build(dir);
    const storeDir = await mkdtemp(path.join(root, 'store-'));
    const error = await rejection(createModelStore({ dir: storeDir }).importModel(dir));
    expect(error.code).toBe(row.code);
    if (typeof row.message === 'string') expect(error.message).toContain(row.message);
    else expect(error.message).toMatch(row.message);
    expect(error.message).toContain(dir);
    expect(await readdir(storeDir)).not.toContain('imports.json');
  });
});

describe.skipIf(!hasShared)('the real models still import', () => {
  it.each(['darknet_tiny_imagenet', 'inception_v3_nsfwjs_299', 'mobilenet_v2_0.35_224', 'mobilenet_v2_mid_nsfwjs_graph_224', 'mobilenet_v2_nsfwjs_224'])('%s', async (name) => {
    const store = createModelStore({ dir: await mkdtemp(path.join(root, 'store-')) });
    await expect(store.importModel(sharedPath('models', name))).resolves.toMatchObject({ origin: 'imported' });
  });
});
