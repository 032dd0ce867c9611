/** Sweep helpers for the Runs view: which hyperparameters can be swept and parsing their values. Pure: no DOM. */
import type { HyperparameterSpec, SweepParameter } from '../../../src-main/api/contract.js';
import { LIMITS } from '../../../src-main/api/contract.js';

export { SWEEP_PARAMETERS } from '../../../src-main/api/contract.js';

/** Example values offered for each parameter. */
export const SWEEP_EXAMPLES: Record<SweepParameter, string> = {
  learningRate: '0.005, 0.01, 0.1, 1.0',
  howManyTrainingSteps: '100, 500, 1000',
  trainBatchSize: '10, 50, 100',
  hiddenUnits: '0, 64, 256',
  optimizer: 'sgd, adam',
  seed: '1, 2, 3',
};

/** The parse result: the values to send, or why the text is not usable. */
export type SweepValues = { values: (number | string)[]; error: null } | { values: (number | string)[]; error: string };

/**
 * Parses a list like `0.005, 0.01 0.1;1.0` for `parameter`: numbers (integers where the
 * spec says so) or, for the optimizer, names from the spec's choices. Duplicates are
 * dropped (first kept); each value is checked against the spec's type, min, max and
 * choices; 2 to `LIMITS.sweepValues` (16) values are required.
 */
export function parseSweepValues(parameter: SweepParameter, text: string, spec?: HyperparameterSpec): SweepValues {
  const parts = text.split(/[\s,;]+/).map((p) => p.trim()).filter(Boolean);
  const isText = spec ? spec.type === 'string' : parameter === 'optimizer';
  const integer = spec ? spec.type === 'integer' : parameter !== 'learningRate' && parameter !== 'optimizer';
  const values: (number | string)[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    let value: number | string;
    if (isText) {
      value = part.toLowerCase();
      const choices = spec?.choices ?? (parameter === 'optimizer' ? ['sgd', 'adam'] : undefined);
      if (choices && !choices.includes(value)) return { values, error: `“${part}” is not one of ${choices.join(', ')}.` };
    } else {
      value = Number(part);
      if (!Number.isFinite(value)) return { values, error: `“${part}” is not a number.` };
      if (integer && !Number.isInteger(value)) return { values, error: `“${part}” must be a whole number.` };
      if (spec?.min !== undefined && value < spec.min) return { values, error: `${part} is below the minimum ${spec.min}.` };
      if (spec?.max !== undefined && value > spec.max) return { values, error: `${part} is above the maximum ${spec.max}.` };
      if (!spec && parameter === 'learningRate' && value <= 0) return { values, error: 'A learning rate must be above 0.' };
    }
    const key = String(value);
    if (seen.has(key)) continue;
    seen.add(key);
    values.push(value);
  }
  if (values.length < 2) return { values, error: 'Enter at least two different values, separated by commas.' };
  if (values.length > LIMITS.sweepValues) return { values, error: `At most ${LIMITS.sweepValues} values per sweep.` };
  return { values, error: null };
}
