/** Hyperparameter values as the form holds them, and their validation against the specs. */
import type { HyperparameterSpec, TrainingConfig } from '../../src-main/api/contract.js';

/** A form value: numbers and booleans as typed, null for an empty number field. */
export type FieldValue = number | boolean | string | null;

/** Keys edited elsewhere: the model picker and the Dataset page's split inputs. */
export const KEYS_EDITED_ELSEWHERE: ReadonlySet<keyof TrainingConfig> = new Set(['architecture', 'validationPercentage', 'testingPercentage']);

/** Returns why `value` does not fit `spec`, or null when it does. */
export function validateField(spec: HyperparameterSpec, value: FieldValue): string | null {
  if (spec.type === 'boolean') return typeof value === 'boolean' ? null : 'Must be on or off.';
  if (spec.type === 'string') {
    if (typeof value !== 'string' || value === '') return 'Required.';
    if (spec.choices && !spec.choices.includes(value)) return `Must be one of: ${spec.choices.join(', ')}.`;
    return null;
  }
  if (value === null || value === '' || typeof value !== 'number' || Number.isNaN(value)) return 'Enter a number.';
  if (!Number.isFinite(value)) return 'Must be a finite number.';
  if (spec.type === 'integer' && !Number.isInteger(value)) return 'Must be a whole number.';
  if (spec.min !== undefined && value < spec.min) return `Must be at least ${spec.min}.`;
  if (spec.max !== undefined && value > spec.max) return `Must be at most ${spec.max}.`;
  return null;
}
