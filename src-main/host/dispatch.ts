/**
 * One contract call from an untrusted client, the same for every transport (Electron IPC,
 * HTTP): check the method, validate the request, call the service, wrap the outcome.
 * Never throws: failures come back as `{ error }`, ready to send.
 */
import type { ApiMethod, ApiReply, ApiRequest, CoreApi, WireError } from '../api/contract.js';
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
    const result = await callService(service, method as ApiMethod, request);
    return { result };
  } catch (error) {
    return { error: toWireError(error, logger, name) };
  }
}

/** Calls one contract method with `this` bound to the service. */
function callService<M extends ApiMethod>(service: CoreApi, method: M, request: ApiRequest<M>): Promise<ApiReply<M>> {
  const fn = service[method] as (req: ApiRequest<M>) => Promise<ApiReply<M>>;
  return fn.call(service, request);
}
