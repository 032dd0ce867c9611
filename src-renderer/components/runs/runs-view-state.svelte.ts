/**
 * The Runs view's own state, kept while the user visits other pages: which runs are picked
 * for comparison, and the sweep in flight (its runs' phases and steps from engine events).
 */
import type { RunPhase, RunStatus, SweepParameter, TrainingConfig } from '../../../src-main/api/contract.js';
import { api, handleError, onEvent } from '../../lib/api.js';
import { config } from '../../lib/state/config.svelte.js';
import { runs } from '../../lib/state/runs.svelte.js';
import { toasts } from '../../lib/state/toasts.svelte.js';

/** Live progress of one sweep run. */
export type SweepRunProgress = {
  runId: string;
  value: number | string;
  phase: RunPhase | null;
  message: string;
  step: number;
  totalSteps: number;
  /** Set by `run.finished`. */
  status: RunStatus | null;
  testAccuracy?: number;
};

/** A sweep started from this view. */
export type SweepProgress = {
  sweepId: string;
  parameter: SweepParameter;
  runs: SweepRunProgress[];
};

export class RunsViewState {
  #selected = $state.raw<string[]>([]);
  #sweep = $state.raw<SweepProgress | null>(null);
  #starting = $state(false);
  #stop: (() => void) | null = null;
  #announced: string | null = null;

  #sweepDone = $derived(this.#sweep !== null && this.#sweep.runs.every((r) => r.status !== null));

  /** Run ids picked for the charts and the comparison table, in pick order. */
  get selected(): string[] {
    return this.#selected;
  }

  /** The sweep started from this view (until dismissed), with live progress. */
  get sweep(): SweepProgress | null {
    return this.#sweep;
  }

  /** True once every run of the sweep has finished (completed, failed or cancelled). */
  get sweepDone(): boolean {
    return this.#sweepDone;
  }

  get starting(): boolean {
    return this.#starting;
  }

  isSelected(runId: string): boolean {
    return this.#selected.includes(runId);
  }

  /** Picks or unpicks a run; fetches its metrics when picked. */
  toggle(runId: string, on = !this.#selected.includes(runId)): void {
    this.#selected = on ? [...new Set([...this.#selected, runId])] : this.#selected.filter((id) => id !== runId);
    if (on) void runs.detail(runId);
  }

  /** Replaces the picked runs. */
  select(runIds: string[]): void {
    this.#selected = [...new Set(runIds)];
    for (const id of this.#selected) void runs.detail(id);
  }

  /**
   * Starts a sweep (`startSweep`): one run per value, queued by the service. Progress comes
   * from `run.phase`, `training.progress` and `run.finished`; when every run has finished
   * they become the picked runs, so the comparison shows them.
   */
  async startSweep(request: { datasetId: string; config: Partial<TrainingConfig>; parameter: SweepParameter; values: (number | string)[] }): Promise<boolean> {
    this.#starting = true;
    this.#unsubscribe();
    // Subscribe before starting so no early event is missed; unknown run ids are buffered.
    const early: Array<(known: Set<string>) => void> = [];
    let known: Set<string> | null = null;
    const route = (runId: string, apply: () => void) => {
      if (known) {
        if (known.has(runId)) apply();
      } else {
        early.push((ids) => ids.has(runId) && apply());
      }
    };
    const stops = [
      onEvent('run.phase', (e) => route(e.runId, () => this.#update(e.runId, { phase: e.phase, message: e.message }))),
      onEvent('training.progress', (e) => route(e.runId, () => this.#update(e.runId, { step: e.step, totalSteps: e.totalSteps }))),
      onEvent('run.finished', (summary) =>
        route(summary.id, () => {
          this.#update(summary.id, { status: summary.status, phase: 'done', ...(summary.testAccuracy !== undefined ? { testAccuracy: summary.testAccuracy } : {}) });
          void runs.load();
          if (this.#sweepDone) this.#finish();
        }),
      ),
    ];
    this.#stop = () => stops.forEach((stop) => stop());
    try {
      const { sweepId, runIds } = await api.startSweep(request);
      this.#sweep = {
        sweepId,
        parameter: request.parameter,
        runs: runIds.map((runId, i) => ({ runId, value: request.values[i], phase: 'queued', message: '', step: 0, totalSteps: 0, status: null })),
      };
      known = new Set(runIds);
      for (const apply of early) apply(known);
      void runs.load();
      const flag = config.specs.find((spec) => spec.key === request.parameter)?.flag ?? request.parameter;
      toasts.info(`Sweep started: ${runIds.length} runs of ${flag}.`);
      if (this.#sweepDone) this.#finish();
      return true;
    } catch (error) {
      this.#unsubscribe();
      handleError(error, 'Sweep');
      return false;
    } finally {
      this.#starting = false;
    }
  }

  /** Hides a finished sweep's progress. */
  dismissSweep(): void {
    this.#unsubscribe();
    this.#sweep = null;
  }

  reset(): void {
    this.#unsubscribe();
    this.#selected = [];
    this.#sweep = null;
    this.#starting = false;
  }

  #finish(): void {
    this.#unsubscribe();
    const sweep = this.#sweep;
    if (!sweep || this.#announced === sweep.sweepId) return;
    this.#announced = sweep.sweepId;
    this.select(sweep.runs.map((r) => r.runId));
    const completed = sweep.runs.filter((r) => r.status === 'completed').length;
    toasts.success(`Sweep finished: ${completed} of ${sweep.runs.length} runs completed.`);
  }

  #update(runId: string, patch: Partial<SweepRunProgress>): void {
    const sweep = this.#sweep;
    if (!sweep) return;
    this.#sweep = { ...sweep, runs: sweep.runs.map((r) => (r.runId === runId ? { ...r, ...patch } : r)) };
  }

  #unsubscribe(): void {
    this.#stop?.();
    this.#stop = null;
  }
}

export const runsView = new RunsViewState();
