import { it, expect } from 'vitest';
import os from 'node:os'; import path from 'node:path'; import { mkdtemp } from 'node:fs/promises';
import { useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeLayersClassifier, makeNestedFeatureModel } from './fixtures.js';
import { createModelStore, loadFeatureExtractor, loadClassifier, describeGraph } from '../../../src-main/core/models/index.js';
it('scratch', async () => {
  const tf = await useWasm();
  const root = await mkdtemp(path.join(os.tmpdir(), 'rs-'));
  const g = path.join(root, 'graph'); await makeGraphModel(g);
  const store = createModelStore({ dir: path.join(root, 'store') });
  const info = await store.importModel(g);
  console.log(info);
  const graph = await describeGraph(info);
  
  const ex = await loadFeatureExtractor(info);
  console.log(await ex.extract(new Float32Array(8*8*3).fill(0.5), 1));
  const l = path.join(root, 'layers'); (await makeLayersClassifier(l)).dispose();
  const li = await store.importModel(l); console.log(li);
  console.log(JSON.stringify(await describeGraph(li)).slice(0, 1500));
  const n = path.join(root, 'nested'); (await makeNestedFeatureModel(n)).dispose();
  const ni = await store.importModel(n); console.log(ni);
  console.log(JSON.stringify(await describeGraph(ni)).slice(0, 1500));
});
