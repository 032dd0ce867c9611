/** Fixtures of folder labelling: an export of a finished run, and a file that looks like a JPEG but is not one. */
import path from 'node:path';
import { exportRunModel } from '../../../src-main/core/export/run-export.js';
import { loadFeatureExtractor } from '../../../src-main/core/models/index.js';
import { tempDir } from '../../helpers/fixtures.js';
import { makeFinishedRun } from '../runs/fixtures.js';

/** An export (model.json + labels.txt + metadata.json) of a finished run whose backbone `makeBackbone` writes (default the tiny one). Call after useWasm(). */
export async function makeExport(name: string, makeBackbone?: (dir: string) => Promise<unknown>): Promise<string> {
  const run = await makeFinishedRun(await tempDir(`${name}-run`), makeBackbone ? { makeBackbone } : {});
  const dir = path.join(await tempDir(`${name}-export`), 'model');
  const extractor = await loadFeatureExtractor(run.model);
  try {
    await exportRunModel({ runs: run.runs, runId: run.runId, chooseDir: async () => dir, loadExtractor: async () => extractor, onnx: false, appVersion: 'test' });
  } finally {
    extractor.dispose();
  }
  return dir;
}

/** A JPEG's first bytes followed by garbage: sniffed as JPEG, fails to decode. */
export const CORRUPT_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]), Buffer.alloc(300, 7)]);
