/**
 * The hyperparameter form: specs and presets from `getHyperparameters()`, the values the
 * user typed, and validation messages computed from each spec's type, min, max and choices.
 */
import type { HyperparameterSpec, Preset, TrainingConfig } from '../../../src-main/api/contract.js';
import { api, handleError } from '../api.js';
import { KEYS_EDITED_ELSEWHERE, validateField, type FieldValue } from '../hyperparameters.js';

export type { FieldValue };

export class ConfigState {
  #specs = $state.raw<HyperparameterSpec[]>([]);
  #presets = $state.raw<Preset[]>([]);
  #values = $state<Record<string, FieldValue>>({});
  #presetId = $state<string | null>(null);
  #loaded = $state(false);

  #formSpecs = $derived(this.#specs.filter((spec) => !KEYS_EDITED_ELSEWHERE.has(spec.key)));
  #errors = $derived.by(() => {
    const errors: Record<string, string> = {};
    for (const spec of this.#formSpecs) {
      const message = validateField(spec, this.#values[spec.key] ?? null);
      if (message) errors[spec.key] = message;
    }
    return errors;
  });
  #valid = $derived(Object.keys(this.#errors).length === 0);

  /** Every hyperparameter, in the service's order. */
  get specs(): HyperparameterSpec[] {
    return this.#specs;
  }

  /** The hyperparameters shown in the form (not architecture or split percentages). */
  get formSpecs(): HyperparameterSpec[] {
    return this.#formSpecs;
  }

  get presets(): Preset[] {
    return this.#presets;
  }

  get presetId(): string | null {
    return this.#presetId;
  }

  /** Current values by key (bind inputs to these). */
  get values(): Record<string, FieldValue> {
    return this.#values;
  }

  /** Validation messages by key. */
  get errors(): Record<string, string> {
    return this.#errors;
  }

  get valid(): boolean {
    return this.#valid;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  async load(): Promise<void> {
    try {
      const { hyperparameters, presets } = await api.getHyperparameters({});
      this.#specs = hyperparameters;
      this.#presets = presets;
      const values: Record<string, FieldValue> = {};
      for (const spec of hyperparameters) values[spec.key] = this.#values[spec.key] ?? spec.default;
      this.#values = values;
      this.#loaded = true;
    } catch (error) {
      handleError(error, 'Hyperparameters');
    }
  }

  /** Sets one value (the form binds directly too). */
  set(key: keyof TrainingConfig, value: FieldValue): void {
    this.#values[key] = value;
    this.#presetId = null;
  }

  /** Defaults, then the preset's values. */
  applyPreset(presetId: string): void {
    const preset = this.#presets.find((candidate) => candidate.id === presetId);
    if (!preset) return;
    const values: Record<string, FieldValue> = {};
    for (const spec of this.#specs) values[spec.key] = spec.default;
    for (const [key, value] of Object.entries(preset.config)) values[key] = value as FieldValue;
    this.#values = values;
    this.#presetId = presetId;
  }

  /**
   * Puts back values from a previous session: only keys the specs know, only values of the
   * spec's kind (a stored number for a number field, …); the rest keep their defaults.
   */
  restore(stored: Record<string, FieldValue>, presetId: string | null): void {
    const values: Record<string, FieldValue> = { ...this.#values };
    for (const spec of this.#specs) {
      if (!(spec.key in stored)) continue;
      const value = stored[spec.key];
      const kind = spec.type === 'boolean' ? 'boolean' : spec.type === 'string' ? 'string' : 'number';
      if (typeof value === kind || (value === null && kind === 'number')) values[spec.key] = value;
    }
    this.#values = values;
    this.#presetId = presetId && this.#presets.some((preset) => preset.id === presetId) ? presetId : null;
  }

  /** Back to the service's defaults. */
  resetToDefaults(): void {
    const values: Record<string, FieldValue> = {};
    for (const spec of this.#specs) values[spec.key] = spec.default;
    this.#values = values;
    this.#presetId = null;
  }

  /** The values that differ from the defaults, as a training config (form keys only). */
  toConfig(): Partial<TrainingConfig> {
    const config: Record<string, unknown> = {};
    for (const spec of this.#formSpecs) {
      const value = this.#values[spec.key];
      if (value !== null && value !== undefined && value !== spec.default) config[spec.key] = value;
    }
    return config as Partial<TrainingConfig>;
  }

  /** A value for display (e.g. the Train page's summary); falls back to the default. */
  value(key: keyof TrainingConfig): FieldValue {
    return this.#values[key] ?? this.#specs.find((spec) => spec.key === key)?.default ?? null;
  }

  reset(): void {
    this.#specs = [];
    this.#presets = [];
    this.#values = {};
    this.#presetId = null;
    this.#loaded = false;
  }
}

export const config = new ConfigState();
