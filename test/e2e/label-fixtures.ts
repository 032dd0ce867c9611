/** Shared setup of the folder-labelling and webcam browser tests: real flower photos and a run trained on MobileNetV2 0.35 (../shared). */
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import path from 'node:path';
import type { Service } from '../../src-main/api/service.js';
import type { RunSummary } from '../../src-main/api/contract.js';
import { sharedPath } from '../helpers/tf.js';

export const FLOWER_CLASSES = ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'];

/** `dir/<class>/…`: `perClass` photos of each class from the shared flowers, from `offset` in name order (copied into a temp folder). */
export async function flowerSubset(dir: string, perClass: number, offset = 0): Promise<string> {
  for (const name of FLOWER_CLASSES) {
    const source = sharedPath('datasets', 'flower_photos_small', name);
    const files = (await readdir(source)).filter((f) => f.endsWith('.jpg')).sort().slice(offset, offset + perClass);
    await mkdir(path.join(dir, name), { recursive: true });
    for (const file of files) await copyFile(path.join(source, file), path.join(dir, name, file));
  }
  return dir;
}

/** Trains a short run on `datasetDir` with the shared MobileNetV2 0.35 through the service (not the UI: other tests cover that). */
export async function trainFlowerRun(service: Service, datasetDir: string): Promise<RunSummary> {
  await service.updateSettings({ featureEngine: 'tfjs' });
  const dataset = await service.openDataset({ path: datasetDir, testPercent: 20, validationPercent: 20 });
  const model = await service.importModel({ path: sharedPath('models', 'mobilenet_v2_0.35_224'), name: 'MobileNetV2 0.35', spec: { crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } } });
  let runId = '';
  const done = new Promise<RunSummary>((resolve) => service.on('run.finished', (run) => run.id === runId && resolve(run)));
  ({ runId } = await service.startTraining({ datasetId: dataset.id, name: 'flowers', config: { architecture: model.id, howManyTrainingSteps: 40, evalStepInterval: 20, testingPercentage: 20, validationPercentage: 20 } }));
  const run = await done;
  if (run.status !== 'completed') throw new Error(`The fixture run ${run.id} ended ${run.status}: ${run.error ?? ''}`);
  return run;
}

/**
 * axe-core's WCAG A/AA violations inside `selector`, as "rule: target" lines. Injected with
 * evaluate (not a script tag, which the page's CSP refuses).
 */
export async function axeViolations(page: Page, selector: string): Promise<string[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  return page.evaluate(async (context) => {
    const axe = (window as unknown as { axe: { run(context: string, options: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(context, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }, selector);
}
