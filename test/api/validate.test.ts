import { describe, expect, it } from 'vitest';
import { validateRequest, isApiMethod } from '../../src-main/api/validate.js';
import { API_METHODS, BACKEND_CHOICES, FEATURE_ENGINES, FOLDER_PURPOSES, LIMITS, SCALAR_FORMATS, SPLITS, SWEEP_PARAMETERS } from '../../src-main/api/contract.js';
import { DEFAULTS } from '../../src-main/api/wire.js';
import { CoreError } from '../../src-main/core/errors.js';

const rejects = (method: string, request: unknown, code = 'INVALID_ARGUMENT') => {
  try {
    validateRequest(method as never, request);
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe(code);
    return (error as CoreError).message;
  }
  throw new Error(`${method} accepted ${JSON.stringify(request).slice(0, 100)}`);
};

describe('validateRequest', () => {
  it('accepts well-formed requests and returns them', () => {
    expect(validateRequest('openDataset', { path: '/data/flowers', testPercent: 30 })).toEqual({ path: '/data/flowers', testPercent: 30 });
    const training = { datasetId: 'abc', config: { learningRate: 0.1, optimizer: 'adam', flipLeftRight: true, validationBatchSize: -1 } };
    expect(validateRequest('startTraining', training)).toStrictEqual(training);
    const classify = { runId: 'r1', image: { dataBase64: 'aGVsbG8=', name: 'x.png' }, topK: 3 };
    expect(validateRequest('classify', classify)).toStrictEqual(classify);
    expect(validateRequest('getEngine', undefined)).toEqual({});
  });

  it('guards the method name itself', () => {
    expect(API_METHODS.every(isApiMethod)).toBe(true);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 42]) expect(isApiMethod(name)).toBe(false);
    expect(rejects('__proto__', {})).toBe('Unknown method "__proto__".');
    expect(rejects('nope', {})).toBe('Unknown method "nope".');
  });

  it('has a schema for every method of the contract table, each refusing an unknown field', () => {
    for (const method of API_METHODS) expect(rejects(method, { unknownField: 1 }), method).toMatch(new RegExp(`^${method}: invalid `));
  });

  it("accepts every value of the contract's enumerations, and the neighbours of none", () => {
    for (const backend of BACKEND_CHOICES) expect(validateRequest('updateSettings', { backend })).toEqual({ backend });
    for (const featureEngine of FEATURE_ENGINES) expect(validateRequest('updateSettings', { featureEngine })).toEqual({ featureEngine });
    for (const purpose of FOLDER_PURPOSES) expect(validateRequest('pickFolder', { purpose })).toEqual({ purpose });
    for (const format of SCALAR_FORMATS) expect(validateRequest('exportScalars', { runIds: ['r'], format })).toEqual({ runIds: ['r'], format });
    for (const split of SPLITS) expect(validateRequest('listDatasetImages', { datasetId: 'd', split })).toEqual({ datasetId: 'd', split });
    for (const parameter of SWEEP_PARAMETERS) {
      const sweep = { datasetId: 'd', config: {}, parameter, values: [1, 2] };
      expect(validateRequest('startSweep', sweep)).toEqual(sweep);
    }
    expect(rejects('updateSettings', { featureEngine: 'torch' })).toMatch(/^updateSettings: invalid featureEngine: /);
    expect(rejects('pickFolder', { purpose: 'home' })).toMatch(/^pickFolder: invalid purpose: /);
    expect(rejects('exportScalars', { runIds: ['r'], format: 'xml' })).toMatch(/^exportScalars: invalid format: /);
    expect(rejects('startSweep', { datasetId: 'd', config: {}, parameter: 'validationPercentage', values: [1] })).toMatch(/^startSweep: invalid parameter: /);
  });

  it('bounds topK by the shared DEFAULTS.maxTopK', () => {
    const request = { modelId: 'm', image: { path: '/a.jpg' }, topK: DEFAULTS.maxTopK };
    expect(validateRequest('classify', request)).toEqual(request);
    expect(rejects('classify', { ...request, topK: DEFAULTS.maxTopK + 1 })).toMatch(/^classify: invalid topK: /);
    expect(rejects('classify', { ...request, topK: 0 })).toMatch(/^classify: invalid topK: /);
  });

  it.each([
    ['openDataset', { path: 42 }, /path/],
    ['openDataset', { path: '/x', extra: true }, /request|extra/i],
    ['openDataset', { path: '/x\0/etc' }, /NUL/],
    ['openDataset', { path: '/x', testPercent: 95 }, /testPercent/],
    ['startTraining', { datasetId: 'a', config: { learningRate: -1 } }, /learningRate/],
    ['startTraining', { datasetId: 'a', config: { howManyTrainingSteps: 1.5 } }, /howManyTrainingSteps/],
    ['startTraining', { datasetId: 'a', config: { optimizer: 'rmsprop' } }, /optimizer/],
    ['startSweep', { datasetId: 'a', config: {}, parameter: 'learningRate', values: Array(100).fill(0.1) }, /values/],
    ['classify', { image: { path: '/a.jpg' } }, /exactly one of runId or modelId/],
    ['classify', { runId: 'r', image: { dataBase64: '<script>', name: 'x' } }, /base64/],
    ['getRun', { runId: ['a'] }, /runId/],
    ['updateSettings', { backend: 'cuda' }, /backend/],
    ['listDatasetImages', { datasetId: 'a', limit: 1e9 }, /limit/],
  ])('rejects %s %j', (method, request, message) => {
    expect(rejects(method, request)).toMatch(message);
  });

  it.each([
    ['in the config', '{"datasetId":"a","config":{"__proto__":{"polluted":true}}}', /config: Unrecognized key: "__proto__"/],
    ['at the top', '{"__proto__":{"polluted":true},"datasetId":"a","config":{}}', /request: Unrecognized key: "__proto__"/],
    ['as constructor.prototype', '{"datasetId":"a","config":{"constructor":{"prototype":{"polluted":true}}}}', /config: Unrecognized key: "constructor"/],
  ])('rejects a __proto__-style key %s (an own key, as JSON.parse makes it) and pollutes nothing', (_where, json, message) => {
    const request: unknown = JSON.parse(json);
    // An object literal's `__proto__:` would set the prototype instead; JSON makes an own key.
    expect(Object.getPrototypeOf(request)).toBe(Object.prototype);
    expect(rejects('startTraining', request)).toMatch(message);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('rejects oversized payloads as PAYLOAD_TOO_LARGE', () => {
    rejects('openDataset', { path: `/${'a'.repeat(LIMITS.pathChars + 1)}` }, 'PAYLOAD_TOO_LARGE');
    rejects('classify', { runId: 'r', image: { dataBase64: 'A'.repeat(LIMITS.imageBase64Chars + 4), name: 'big.png' } }, 'PAYLOAD_TOO_LARGE');
    rejects('renameRun', { runId: 'r', name: 'n'.repeat(LIMITS.nameChars + 1) }, 'PAYLOAD_TOO_LARGE');
  });
});
