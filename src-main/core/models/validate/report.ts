/** How validation failures are reported: MODEL_INVALID naming model.json, the problem and what to do. */
import path from 'node:path';
import { CoreError } from '../../errors.js';

/** Names listed in one message before "and N more". */
const LIST_LIMIT = 5;

export function invalid(dir: string, problem: string, details: Record<string, unknown> = {}): CoreError {
  const file = path.join(dir, 'model.json');
  return new CoreError('MODEL_INVALID', `${file}: ${problem} Choose a TF.js model as tensorflowjs_converter writes it, or convert the model again.`, { file, ...details });
}

export const listOf = (names: string[]): string =>
  names.slice(0, LIST_LIMIT).map((n) => `"${n}"`).join(', ') + (names.length > LIST_LIMIT ? ` and ${names.length - LIST_LIMIT} more` : '');

export const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);
