/**
 * Every request the CLI sends to the service passes the same validator as IPC and HTTP
 * (`validateRequest`), so a flag value the app would refuse is refused here with the same
 * message, naming the flag, and exit code 2.
 */
import { validateRequest } from '../api/validate.js';
import { callMethod, CoreError, type ApiMethod, type ApiReply, type ApiRequest, type CoreApi } from '../api/contract.js';
import { HYPERPARAMETERS } from '../core/training/index.js';

/** A request as the CLI builds it from flags: the contract's field names, values not yet checked. */
export type RawRequest<M extends ApiMethod> = { [K in keyof ApiRequest<M>]?: unknown };

/** Request field (dotted path, as the validator names it) → the flag that set it. */
export type FlagNames = Record<string, string>;

/** The flags of retrain.py's hyperparameters, by their field in `startTraining`'s config. */
export const CONFIG_FLAGS: FlagNames = Object.fromEntries(HYPERPARAMETERS.map((h) => [`config.${h.key}`, h.flag]));

/** `--backend` and `--engine` choices: the contract's lists (the validator checks the same). */
export { BACKEND_CHOICES, FEATURE_ENGINES as FEATURE_ENGINE_CHOICES } from '../api/contract.js';

const INVALID_FIELD = /^\w+: invalid ([\w.]+): /;

function valueAt(raw: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), raw);
}

/**
 * Checks a request as the hosts do. On failure the validator's message is kept and led by
 * the flag that set the offending field: `--learning_rate=0: startTraining: invalid config.learningRate: Too small…`.
 */
export function checkRequest<M extends ApiMethod>(method: M, raw: RawRequest<M>, flags: FlagNames = {}): ApiRequest<M> {
  try {
    return validateRequest(method, raw);
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    const field = INVALID_FIELD.exec(error.message)?.[1] ?? (/^\w+: ([\w.]+) is too large/.exec(error.message)?.[1]);
    if (field === undefined) throw error;
    // The flag that set this field, or the one that set the object it is in (`spec.normalization` ← `spec`).
    const flag = flags[field] ?? Object.entries(flags).find(([f]) => field.startsWith(`${f}.`))?.[1];
    if (!flag) throw error;
    const value = valueAt(raw, field);
    const shown = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? `=${String(value).slice(0, 80)}` : '';
    throw new CoreError(error.code, `--${flag}${shown}: ${error.message}`, error.details);
  }
}

/** Validates, then calls the service: the CLI's only way to send a request. */
export async function send<M extends ApiMethod>(api: CoreApi, method: M, raw: RawRequest<M>, flags: FlagNames = {}): Promise<ApiReply<M>> {
  return callMethod(api, method, checkRequest(method, raw, flags));
}
