/** dispatch: the one validate → call → reply path of IPC and HTTP. */
import { describe, expect, it } from 'vitest';
import { API_METHODS, CoreError } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/host/dispatch.js';
import { createFakeService } from '../server/fake-service.js';

const quiet = () => {
  const errors: string[] = [];
  return { logger: { info: () => {}, warn: () => {}, error: (m: string) => errors.push(m) }, errors };
};

describe('dispatch', () => {
  it('calls every contract method with its validated request', async () => {
    const service = createFakeService();
    const { logger } = quiet();
    const reply = await dispatch(service, 'openDataset', { path: '/d', validationPercent: 20 }, logger);
    expect(reply).toEqual({ result: expect.objectContaining({ root: '/d', validationPercent: 20 }) });
    expect(service.calls).toEqual([{ method: 'openDataset', request: { path: '/d', validationPercent: 20 } }]);
    // Every method is reachable (a request that fails validation still names the method, never "unknown").
    for (const method of API_METHODS) {
      const r = await dispatch(service, method, { notAField: 1 }, logger);
      expect('error' in r && r.error.message, method).not.toMatch(/Unknown method/);
    }
  });

  it('refuses unknown methods and invalid requests before the service sees them', async () => {
    const service = createFakeService();
    const { logger } = quiet();
    for (const method of ['nope', '__proto__', 'constructor', 'on', 'access', 'thumbnail', 'close', 7, undefined, { m: 1 }]) {
      expect(await dispatch(service, method, {}, logger), String(method)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(await dispatch(service, 'getRun', { runId: 5 }, logger)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('runId') } });
    expect(await dispatch(service, 'getEngine', JSON.parse('{"__proto__":{"x":1}}'), logger)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(service.calls).toEqual([]);
    expect(service.closed).toBe(false);
  });

  it('passes CoreErrors through and logs, then hides, anything else', async () => {
    const service = createFakeService({
      overrides: {
        getRun: async () => {
          throw new CoreError('BUSY', 'Training.', { runId: 'r' });
        },
        listRuns: async () => {
          throw new Error('ENOENT /secret/runs/index.json');
        },
      },
    });
    const { logger, errors } = quiet();
    expect(await dispatch(service, 'getRun', { runId: 'r' }, logger)).toEqual({ error: { code: 'BUSY', message: 'Training.', details: { runId: 'r' } } });
    const internal = await dispatch(service, 'listRuns', {}, logger);
    expect(internal).toEqual({ error: { code: 'INTERNAL', message: expect.stringContaining('listRuns') } });
    expect(JSON.stringify(internal)).not.toContain('/secret');
    expect(errors.join('\n')).toContain('/secret/runs/index.json');
  });
});
