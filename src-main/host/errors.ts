/**
 * The one table from error code to HTTP status, used by `serve` and by the Electron image
 * protocol, and the one way a thrown value becomes a wire error.
 */
import { CoreError, type ErrorCode, type WireError } from '../api/contract.js';
import type { Logger } from '../api/service-types.js';

/**
 * HTTP status of every error code. A `Record` over `ErrorCode`, so a new code in
 * `core/errors.ts` does not compile until it is given a status here.
 */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHORIZED: 401,
  PATH_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  MODEL_NOT_FOUND: 404,
  NODE_NOT_FOUND: 404,
  // 499 is nginx's private code; 409 says "the resource's state (cancelled, busy) conflicts".
  CANCELLED: 409,
  BUSY: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_LARGE: 413,
  // Expected failures about the user's files: the request was fine, its content was not.
  DATASET_EMPTY: 422,
  DATASET_INVALID: 422,
  IMAGE_UNREADABLE: 422,
  MODEL_INVALID: 422,
  INPUT_MISMATCH: 422,
  UNSUPPORTED_LAYER: 422,
  DOWNLOAD_FAILED: 502,
  ENGINE_UNAVAILABLE: 503,
  PARITY_FAILED: 500,
  INTERNAL: 500,
};

/** The HTTP status of an error code (500 for anything unknown). */
export function httpStatusFor(code: string): number {
  return Object.hasOwn(HTTP_STATUS, code) ? HTTP_STATUS[code as ErrorCode] : 500;
}

/**
 * Turns anything thrown into its wire form. A CoreError keeps its code, message and details;
 * any other value is a bug: it is logged with its stack under `context`, and the client gets
 * a generic INTERNAL message (no stack, path or other detail leaves the process).
 */
export function toWireError(error: unknown, logger: Logger, context: string): WireError {
  if (error instanceof CoreError) return error.toJSON();
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  logger.error(`${context}: unexpected error: ${detail}`);
  return { code: 'INTERNAL', message: `Internal error in ${context}; the log has the details.` };
}
