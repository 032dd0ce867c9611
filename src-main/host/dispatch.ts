/**
 * One contract call from an untrusted client, the same for every transport (Electron IPC,
 * HTTP): check the method, validate the request, call the service, wrap the outcome.
 * Never throws: failures come back as `{ error }`, ready to send.
 */
import { callMethod, type ApiMethod, type CoreApi, type WireError } from '../api/contract.js';
import type { Logger } from '../api/service-types.js';
import { validateRequest } from '../api/validate.js';
import { toWireError } from './errors.js';

/** What a call answers: its result, or the error in wire form. */
export type DispatchReply = { result: unknown } | { error: WireError };

/**
 * Validates `raw` as the request of `method` (an unknown method, `__proto__` included, is
 * INVALID_ARGUMENT), calls the service and returns `{ result }` or `{ error }`. Unexpected
 * (non-Core) errors are logged with their detail and answered as a generic INTERNAL error.
 */
export async function dispatch(service: CoreApi, method: unknown, raw: unknown, logger: Logger): Promise<DispatchReply> {
  const name = typeof method === 'string' ? method.slice(0, 80) : 'request';
  try {
    const request = validateRequest(method as ApiMethod, raw);
    const result = await callMethod(service, method as ApiMethod, request);
    return { result };
  } catch (error) {
    return { error: toWireError(error, logger, name) };
  }
}
