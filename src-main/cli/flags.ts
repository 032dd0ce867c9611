/** Flag parsing shared by every command: node:util's parseArgs with usage errors as CoreErrors, and the few flag shapes several commands take. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CoreError } from '../core/errors.js';

export type Flags = Record<string, string | boolean | undefined>;

/** Strict parse (unknown flags and positionals refused) → INVALID_ARGUMENT (exit 2) with node's message, minus its error-class prefix. */
export function parseFlags(argv: string[], options: ParseArgsConfig['options']): Flags {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as Flags;
  } catch (error) {
    throw new CoreError('INVALID_ARGUMENT', (error as Error).message.replace(/^TypeError \[\w+\]: /, ''));
  }
}

/** `--input_range MIN,MAX` as a normalisation, or undefined when the flag is absent. */
export function inputRange(value: unknown): { kind: 'range'; min: number; max: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const parts = value.split(',').map((p) => p.trim());
  const [min, max] = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === '') || !Number.isFinite(min) || !Number.isFinite(max) || min >= max) {
    throw new CoreError('INVALID_ARGUMENT', `--input_range must be MIN,MAX with MIN < MAX, e.g. --input_range=-1,1 (got "${value}").`);
  }
  return { kind: 'range', min, max };
}
