/** The one error → status table and the wire form of anything thrown, shared by both hosts. */
import { describe, expect, it } from 'vitest';
import { CoreError, ERROR_CODES } from '../../src-main/api/contract.js';
import { HTTP_STATUS, httpStatusFor, toWireError } from '../../src-main/host/errors.js';

describe('HTTP_STATUS', () => {
  it('gives every error code a status, with the documented ones', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
    expect(httpStatusFor('INVALID_ARGUMENT')).toBe(400);
    expect(httpStatusFor('UNAUTHORIZED')).toBe(401);
    expect(httpStatusFor('PATH_NOT_ALLOWED')).toBe(403);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('MODEL_NOT_FOUND')).toBe(404);
    expect(httpStatusFor('PAYLOAD_TOO_LARGE')).toBe(413);
    expect(httpStatusFor('TOO_LARGE')).toBe(413);
    expect(httpStatusFor('IMAGE_UNREADABLE')).toBe(422);
    expect(httpStatusFor('BUSY')).toBe(409);
    expect(httpStatusFor('CANCELLED')).toBe(409);
    expect(httpStatusFor('INTERNAL')).toBe(500);
    expect(httpStatusFor('SOMETHING_NEW')).toBe(500);
    expect(httpStatusFor('__proto__')).toBe(500);
    expect(httpStatusFor('toString')).toBe(500);
  });
});

describe('toWireError', () => {
  it('keeps a CoreError as it is and hides anything else behind INTERNAL, logging the detail', () => {
    const logged: string[] = [];
    const logger = { info: () => {}, warn: () => {}, error: (m: string) => logged.push(m) };
    expect(toWireError(new CoreError('NOT_FOUND', 'Run r does not exist.', { runId: 'r' }), logger, 'getRun')).toEqual({ code: 'NOT_FOUND', message: 'Run r does not exist.', details: { runId: 'r' } });
    expect(logged).toEqual([]);
    const internal = toWireError(new TypeError('x is undefined at /home/me/secret.ts:3'), logger, 'listRuns');
    expect(internal).toEqual({ code: 'INTERNAL', message: expect.stringContaining('listRuns') });
    expect(JSON.stringify(internal)).not.toContain('secret');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('/home/me/secret.ts');
    expect(toWireError('a string', logger, 'x').code).toBe('INTERNAL');
  });
});
