/** Chart preferences shared by the metric views: smoothing, x axis, log scale. Kept in localStorage. */
import type { XAxisKind } from '../metrics.js';

const STORAGE_KEY = 'retrainStudio.chartPrefs';

export class ChartPrefsState {
  #smoothing = $state(0.6);
  #xAxis = $state<XAxisKind>('step');
  #logScale = $state(false);

  constructor() {
    try {
      const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Partial<{ smoothing: number; xAxis: XAxisKind; logScale: boolean }> | null;
      if (stored && typeof stored.smoothing === 'number') this.#smoothing = Math.min(Math.max(stored.smoothing, 0), 0.99);
      if (stored && (stored.xAxis === 'step' || stored.xAxis === 'relative' || stored.xAxis === 'wall')) this.#xAxis = stored.xAxis;
      if (stored && typeof stored.logScale === 'boolean') this.#logScale = stored.logScale;
    } catch {
      // No storage or bad JSON: defaults.
    }
  }

  /** TensorBoard smoothing weight in [0, 0.99]; default 0.6. */
  get smoothing(): number {
    return this.#smoothing;
  }
  set smoothing(value: number) {
    this.#smoothing = Math.min(Math.max(Number(value) || 0, 0), 0.99);
    this.#save();
  }

  get xAxis(): XAxisKind {
    return this.#xAxis;
  }
  set xAxis(value: XAxisKind) {
    this.#xAxis = value;
    this.#save();
  }

  /** Log scale for cross-entropy. */
  get logScale(): boolean {
    return this.#logScale;
  }
  set logScale(value: boolean) {
    this.#logScale = value;
    this.#save();
  }

  reset(): void {
    this.#smoothing = 0.6;
    this.#xAxis = 'step';
    this.#logScale = false;
  }

  #save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ smoothing: this.#smoothing, xAxis: this.#xAxis, logScale: this.#logScale }));
    } catch {
      // Not remembered.
    }
  }
}

export const chartPrefs = new ChartPrefsState();
