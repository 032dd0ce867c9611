/** A finished run on disk made without training: a tiny imported backbone and a seeded head with real weights. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createModelStore, type ModelInfo } from '../../../src-main/core/models/index.js';
import { createRunStore, type RunStore } from '../../../src-main/core/runs/index.js';
import { fileSaveHandler } from '../../../src-main/core/tf/file-io.js';
import { createHead, resolveConfig } from '../../../src-main/core/training/index.js';
import { makeTinyBackbone } from '../../helpers/fixtures.js';

export const RUN_CLASSES = ['blue', 'green', 'red'];

export type FinishedRunOptions = {
  status?: 'completed' | 'cancelled';
  /** Writes the backbone into the folder it is given (default: makeTinyBackbone). */
  makeBackbone?: (dir: string) => Promise<unknown>;
  bottleneckNode?: string;
};

/**
 * A backbone (default the tiny one) in `base/backbone` imported into `base/models`, and a run
 * in `base/runs` with `status` (default completed) whose head (features → 4 hidden → 3
 * classes) has N(0, 1) weights, so its probabilities are far from uniform. Call after useWasm().
 */
export async function makeFinishedRun(base: string, options: FinishedRunOptions = {}): Promise<{ runs: RunStore; runId: string; model: ModelInfo; runDir: string }> {
  const modelDir = path.join(base, 'backbone');
  await (options.makeBackbone ?? makeTinyBackbone)(modelDir);
  const model = await createModelStore({ dir: path.join(base, 'models') }).importModel(modelDir, {
    name: 'tiny',
    spec: { normalization: { kind: 'range', min: -1, max: 1 }, crop: 'center' },
    ...(options.bottleneckNode ? { bottleneckNode: options.bottleneckNode } : {}),
  });
  const status = options.status ?? 'completed';
  const runs = createRunStore(path.join(base, 'runs'));
  const record = await runs.create(
    { name: 'fixture', datasetRoot: base, modelId: model.id, model, config: resolveConfig({ architecture: model.id, hiddenUnits: 4 }), classes: RUN_CLASSES, appVersion: 'test' },
    { backend: 'wasm', featureEngine: 'tfjs-wasm', device: 'test', phases: {} },
  );
  const runDir = await runs.runDir(record.id);
  const head = createHead(model.featureSize, RUN_CLASSES.length, 4, 1);
  const weights = head.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 1, 'float32', 10 + i));
  head.setWeights(weights);
  tf.dispose(weights);
  await head.save(fileSaveHandler(path.join(runDir, 'model')));
  head.dispose();
  await writeFile(path.join(runDir, 'model', 'labels.txt'), `${RUN_CLASSES.join('\n')}\n`);
  await runs.writeSummary(record.id, { status, backend: 'wasm', featureEngine: 'tfjs-wasm', device: 'test', phases: {} });
  return { runs, runId: record.id, model, runDir };
}
