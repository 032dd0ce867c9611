/**
 * The CLI's exit codes (the README's table) and the one map from an error to its code.
 * Every ErrorCode must be placed here: a new code is a compile error until it is.
 */
import { CoreError, type ErrorCode } from '../core/errors.js';
import { EXIT_OUTPUT_CLOSED } from './output.js';

export const EXIT = {
  ok: 0,
  /** A bug or an error nobody anticipated: the message (and stack) say where. */
  unexpected: 1,
  /** Bad, missing or contradicting flags. */
  usage: 2,
  /** Dataset, image or file: missing, unreadable, too large, untrainable. */
  data: 3,
  /** Model: not found, invalid, unsupported. */
  model: 4,
  /** Engine or download. */
  engine: 5,
  /** Something in progress holds what was asked for (a run, a download): wait or cancel it. */
  busy: 6,
  /** Ctrl-C (128 + SIGINT). */
  cancelled: 130,
  /** The reader of the output went away (`… | head -1`): the command stopped quietly (128 + SIGPIPE). */
  outputClosed: EXIT_OUTPUT_CLOSED,
} as const;

const BY_ERROR_CODE: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: EXIT.usage,
  INPUT_MISMATCH: EXIT.usage,
  // A flag value longer than the boundary allows.
  PAYLOAD_TOO_LARGE: EXIT.usage,
  DATASET_EMPTY: EXIT.data,
  DATASET_INVALID: EXIT.data,
  IMAGE_UNREADABLE: EXIT.data,
  NOT_FOUND: EXIT.data,
  PATH_NOT_ALLOWED: EXIT.data,
  TOO_LARGE: EXIT.data,
  MODEL_NOT_FOUND: EXIT.model,
  MODEL_INVALID: EXIT.model,
  NODE_NOT_FOUND: EXIT.model,
  UNSUPPORTED_LAYER: EXIT.model,
  DOWNLOAD_FAILED: EXIT.engine,
  ENGINE_UNAVAILABLE: EXIT.engine,
  PARITY_FAILED: EXIT.engine,
  BUSY: EXIT.busy,
  CANCELLED: EXIT.cancelled,
  // Only a host with a token answers this; the CLI calls the service in-process.
  UNAUTHORIZED: EXIT.unexpected,
  INTERNAL: EXIT.unexpected,
};

/** File-system errors a user can act on (a missing or unwritable path given in a flag). */
const FILE_ERRNOS = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EEXIST', 'ENAMETOOLONG', 'ELOOP']);

/** The errno code of a Node file-system error, when it is one a user can act on. */
export function fileErrno(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && FILE_ERRNOS.has(code) ? code : undefined;
}

/** Maps an error to its exit code (the one place that does). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CoreError) return BY_ERROR_CODE[error.code];
  return fileErrno(error) ? EXIT.data : EXIT.unexpected;
}
