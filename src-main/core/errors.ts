/**
 * Expected failures that a user can act on. Pure TypeScript (no Node, no DOM) so the
 * API contract can re-export it to the renderer, which rebuilds it from `{ code, message }`.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'PATH_NOT_ALLOWED',
  'DATASET_EMPTY',
  'DATASET_INVALID',
  'IMAGE_UNREADABLE',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'NODE_NOT_FOUND',
  'INPUT_MISMATCH',
  'DOWNLOAD_FAILED',
  'ENGINE_UNAVAILABLE',
  'UNSUPPORTED_LAYER',
  'PARITY_FAILED',
  'BUSY',
  'CANCELLED',
  'PAYLOAD_TOO_LARGE',
  'TOO_LARGE',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** An expected failure with a stable code and a message that says what is wrong and what to do. */
export class CoreError extends Error {
  override readonly name = 'CoreError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Optional machine-readable detail (plain JSON), e.g. the file that failed. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The wire form used by every transport. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }

  /** Rebuild an error received over a transport; unknown codes become INTERNAL. */
  static fromJSON(value: unknown): CoreError {
    const v = (value ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
    const code = ERROR_CODES.includes(v.code as ErrorCode) ? (v.code as ErrorCode) : 'INTERNAL';
    const message = typeof v.message === 'string' ? v.message : 'Unknown error';
    const details = v.details && typeof v.details === 'object' ? (v.details as Record<string, unknown>) : undefined;
    return new CoreError(code, message, details);
  }
}

/** Thrown by long operations when their AbortSignal fires. */
export function cancelledError(what: string): CoreError {
  return new CoreError('CANCELLED', `${what} was cancelled.`);
}

/** Throws CANCELLED if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw cancelledError(what);
}
