/** Training runs on disk: the list, per-run colours, details (metrics, evaluation) and exports. */
import type { ExportResult, RunDetail, RunSummary, ScalarFormat } from '../../../src-main/api/contract.js';
import { api, handleError, onEvent } from '../api.js';
import { downloadText } from '../download.js';
import { toasts } from './toasts.svelte.js';

/** Distinct line colours (Tableau 10), assigned to runs in creation order. */
export const RUN_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export class RunsState {
  #runs = $state.raw<RunSummary[]>([]);
  #details = $state.raw<Record<string, RunDetail>>({});
  #overlay = $state.raw<string[]>([]);
  #resultsRunId = $state<string | null>(null);
  #exports = $state.raw<Record<string, ExportResult>>({});
  #exporting = $state<string | null>(null);
  #loading = $state(false);

  #byCreation = $derived([...this.#runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)));
  #colors = $derived(Object.fromEntries(this.#byCreation.map((run, index) => [run.id, RUN_COLORS[index % RUN_COLORS.length]])));
  #completed = $derived(this.#runs.filter((run) => run.status === 'completed'));

  /** Runs, newest first. */
  get runs(): RunSummary[] {
    return this.#runs;
  }

  /** Completed runs, newest first. */
  get completed(): RunSummary[] {
    return this.#completed;
  }

  /** Fetched details by run id. */
  get details(): Record<string, RunDetail> {
    return this.#details;
  }

  /** Run ids overlaid on the Metrics page (besides the live run). */
  get overlay(): string[] {
    return this.#overlay;
  }

  /** The run the Results page shows. */
  get resultsRunId(): string | null {
    return this.#resultsRunId;
  }

  get exports(): Record<string, ExportResult> {
    return this.#exports;
  }

  /** Run id being exported, or null. */
  get exporting(): string | null {
    return this.#exporting;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** A run's line colour (stable while the run list does not lose older runs). */
  color(runId: string): string {
    return this.#colors[runId] ?? RUN_COLORS[0];
  }

  find(runId: string): RunSummary | undefined {
    return this.#runs.find((run) => run.id === runId);
  }

  /**
   * Follows runs leaving the queue: a listed `queued` run becomes `running` at its first
   * working phase (the list is otherwise refreshed when runs start and finish).
   */
  subscribe(): () => void {
    return onEvent('run.phase', ({ runId, phase }) => {
      if (phase === 'queued' || phase === 'done') return;
      if (!this.#runs.some((run) => run.id === runId && run.status === 'queued')) return;
      this.#runs = this.#runs.map((run) => (run.id === runId ? { ...run, status: 'running' } : run));
    });
  }

  async load(): Promise<void> {
    this.#loading = true;
    try {
      const runs = await api.listRuns({});
      this.#runs = [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      const known = new Set(runs.map((run) => run.id));
      this.#overlay = this.#overlay.filter((id) => known.has(id));
      if (this.#resultsRunId && !known.has(this.#resultsRunId)) this.#resultsRunId = null;
      this.#resultsRunId ??= this.#completed[0]?.id ?? null;
    } catch (error) {
      handleError(error, 'Runs');
    } finally {
      this.#loading = false;
    }
  }

  /** Fetches a run's details (again when `refresh` or when it was still running). */
  async detail(runId: string, refresh = false): Promise<RunDetail | null> {
    const cached = this.#details[runId];
    if (cached && !refresh && cached.status !== 'running' && cached.status !== 'queued') return cached;
    try {
      const detail = await api.getRun({ runId });
      this.#details = { ...this.#details, [runId]: detail };
      return detail;
    } catch (error) {
      handleError(error, 'Run');
      return null;
    }
  }

  /** Adds or removes a run from the Metrics overlay; fetches its metrics when added. */
  toggleOverlay(runId: string, on = !this.#overlay.includes(runId)): void {
    this.#overlay = on ? [...new Set([...this.#overlay, runId])] : this.#overlay.filter((id) => id !== runId);
    if (on) void this.detail(runId);
  }

  /** Shows a run on the Results page and fetches its evaluation. */
  showResults(runId: string): void {
    this.#resultsRunId = runId;
    void this.detail(runId);
  }

  /** Records a finished run (from `run.finished`) and refreshes the list. */
  async finished(summary: RunSummary): Promise<void> {
    this.#runs = [summary, ...this.#runs.filter((run) => run.id !== summary.id)];
    await this.detail(summary.id, true);
    if (summary.status === 'completed') this.#resultsRunId = summary.id;
    await this.load();
  }

  async rename(runId: string, name: string): Promise<void> {
    try {
      const summary = await api.renameRun({ runId, name });
      this.#runs = this.#runs.map((run) => (run.id === runId ? summary : run));
    } catch (error) {
      handleError(error, 'Rename');
    }
  }

  async remove(runId: string): Promise<void> {
    try {
      await api.deleteRun({ runId });
      const { [runId]: _removed, ...rest } = this.#details;
      this.#details = rest;
      await this.load();
    } catch (error) {
      handleError(error, 'Delete');
    }
  }

  /** Exports a run's model; `path` null = the app's default export folder. */
  async exportRun(runId: string, path: string | null, onnx: boolean): Promise<ExportResult | null> {
    this.#exporting = runId;
    try {
      const result = await api.exportRun({ runId, ...(path ? { path } : {}), ...(onnx ? { onnx } : {}) });
      this.#exports = { ...this.#exports, [runId]: result };
      toasts.success(`Exported to ${result.dir}`);
      return result;
    } catch (error) {
      handleError(error, 'Export');
      return null;
    } finally {
      this.#exporting = null;
    }
  }

  /** Downloads the overlaid runs' scalars as a file (CSV or JSON) through a Blob URL. */
  async downloadScalars(runIds: string[], format: ScalarFormat = 'csv'): Promise<void> {
    if (runIds.length === 0) return;
    try {
      const file = await api.exportScalars({ runIds, format });
      downloadText(file.text, file.fileName, file.mimeType);
    } catch (error) {
      handleError(error, 'Export scalars');
    }
  }

  reset(): void {
    this.#runs = [];
    this.#details = {};
    this.#overlay = [];
    this.#resultsRunId = null;
    this.#exports = {};
    this.#exporting = null;
    this.#loading = false;
  }
}

export const runs = new RunsState();
