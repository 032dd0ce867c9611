import { describe, expect, it } from 'vitest';
import type { HyperparameterSpec } from '../../../src-main/api/contract.js';
import { validateField } from '../../../src-renderer/lib/hyperparameters.js';

const steps: HyperparameterSpec = { key: 'howManyTrainingSteps', flag: 'how_many_training_steps', type: 'integer', default: 4000, min: 1, max: 1_000_000, help: '' };
const rate: HyperparameterSpec = { key: 'learningRate', flag: 'learning_rate', type: 'number', default: 0.01, min: 1e-7, max: 100, help: '' };
const optimizer: HyperparameterSpec = { key: 'optimizer', flag: 'optimizer', type: 'string', default: 'sgd', choices: ['sgd', 'adam'], help: '' };
const flip: HyperparameterSpec = { key: 'flipLeftRight', flag: 'flip_left_right', type: 'boolean', default: false, help: '' };

describe('validateField', () => {
  it('accepts values inside the spec', () => {
    expect(validateField(steps, 100)).toBeNull();
    expect(validateField(rate, 0.5)).toBeNull();
    expect(validateField(optimizer, 'adam')).toBeNull();
    expect(validateField(flip, true)).toBeNull();
  });

  it('says what is wrong: empty, not whole, out of range, not a choice', () => {
    expect(validateField(steps, null)).toBe('Enter a number.');
    expect(validateField(steps, 2.5)).toBe('Must be a whole number.');
    expect(validateField(steps, 0)).toBe('Must be at least 1.');
    expect(validateField(rate, 1000)).toBe('Must be at most 100.');
    expect(validateField(optimizer, 'rmsprop')).toBe('Must be one of: sgd, adam.');
    expect(validateField(flip, null)).toBe('Must be on or off.');
  });
});
