/** The CLI's requests pass the hosts' validator: by construction (no direct service calls) and by message. */
import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { API_METHODS, CoreError } from '../../src-main/api/contract.js';
import { CONFIG_FLAGS, checkRequest } from '../../src-main/cli/requests.js';

const CLI_DIR = path.resolve(import.meta.dirname, '../../src-main/cli');

describe('CLI requests', () => {
  it('no module under src-main/cli calls a contract method directly (only send() does, after validateRequest)', async () => {
    const direct: string[] = [];
    for (const file of (await readdir(CLI_DIR)).filter((f) => f.endsWith('.ts'))) {
      const source = await readFile(path.join(CLI_DIR, file), 'utf8');
      for (const method of API_METHODS) {
        for (const match of source.matchAll(new RegExp(`\\.${method}\\(`, 'g'))) direct.push(`${file}:${source.slice(0, match.index).split('\n').length} .${method}(`);
      }
    }
    expect(direct).toEqual([]);
  });

  it('names the flag that set a bad field, including one nested in an object the flag filled', () => {
    const failure = (f: () => unknown): CoreError => {
      try {
        f();
      } catch (error) {
        return error as CoreError;
      }
      throw new Error('expected a failure');
    };
    const steps = failure(() => checkRequest('startTraining', { datasetId: 'd', config: { howManyTrainingSteps: 0 } }, CONFIG_FLAGS));
    expect(steps.code).toBe('INVALID_ARGUMENT');
    expect(steps.message).toMatch(/^--how_many_training_steps=0: startTraining: invalid config\.howManyTrainingSteps: Too small/);
    const range = failure(() => checkRequest('importModel', { path: '/m', spec: { normalization: { kind: 'range', min: Number.NaN, max: 1 } } }, { spec: 'input_range' }));
    expect(range.message).toMatch(/^--input_range: importModel: invalid spec\.normalization/);
    const long = failure(() => checkRequest('openDataset', { path: 'x'.repeat(5000) }, { path: 'image_dir' }));
    expect(long.code).toBe('PAYLOAD_TOO_LARGE');
    expect(long.message).toMatch(/^--image_dir=x{80}: openDataset: path is too large/);
    // A field no flag set keeps the validator's message as it is.
    expect(failure(() => checkRequest('getRun', { runId: '' })).message).toMatch(/^getRun: invalid runId: /);
    expect(checkRequest('startTraining', { datasetId: 'd', config: { learningRate: 0.1 } }, CONFIG_FLAGS)).toEqual({ datasetId: 'd', config: { learningRate: 0.1 } });
  });
});
