/** Data health in the renderer: the audit of the open dataset, its progress, the fixes, and images sent here from Results. */
import type { AuditReport, EventPayload, FixResult, FixState } from '../../../src-main/api/contract.js';
import { api, CoreError, handleError, onEvent } from '../../lib/api.js';

export type AuditProgress = Pick<EventPayload<'health.progress'>, 'phase' | 'message' | 'done' | 'total'>;

/** An image to fix that came from elsewhere (Results' misclassified images): dataset-relative path, its label, the class suggested. */
export type FocusItem = { path: string; label: string; suggested: string };

/** A dataset-relative path from an absolute one under `root` (null when it is not under it). */
export function relativeTo(root: string, absolute: string): string | null {
  const norm = (p: string): string => p.replace(/\\/g, '/').replace(/\/+$/, '');
  const r = norm(root), a = norm(absolute);
  return a.startsWith(`${r}/`) ? a.slice(r.length + 1) : null;
}

/** The absolute path of a dataset-relative one (for thumbnails). */
export const absoluteIn = (root: string, relative: string): string => `${root.replace(/[\\/]+$/, '')}/${relative}`;

export class HealthState {
  #report = $state.raw<AuditReport | null>(null);
  #running = $state(false);
  #progress = $state.raw<AuditProgress | null>(null);
  #fixes = $state.raw<FixState>({ fixes: [], excluded: [] });
  #datasetId = $state<string | null>(null);
  #busy = $state<string | null>(null);
  #notice = $state<string | null>(null);
  #lastMove = $state<string | null>(null);
  /** Images sent from Results, with where they came from (the run's dataset folder). */
  focus = $state.raw<{ title: string; root: string; items: { absolute: string; label: string; suggested: string }[] } | null>(null);

  get report(): AuditReport | null {
    return this.#report;
  }
  get running(): boolean {
    return this.#running;
  }
  get progress(): AuditProgress | null {
    return this.#progress;
  }
  get fixes(): FixState {
    return this.#fixes;
  }
  /** The path (or fix id) whose fix is in flight. */
  get busy(): string | null {
    return this.#busy;
  }
  /** The id of the move the notice reports (its Undo), or null. */
  get lastMove(): string | null {
    return this.#lastMove;
  }
  /** What the last fix did, for a person. */
  get notice(): string | null {
    return this.#notice;
  }

  subscribe(): () => void {
    return onEvent('health.progress', (p) => {
      if (this.#running && p.datasetId === this.#datasetId) this.#progress = { phase: p.phase, message: p.message, done: p.done, total: p.total };
    });
  }

  /** Loads what the service knows of a dataset (its latest audit, fix log, exclusions); forgets another dataset's. */
  async load(datasetId: string): Promise<void> {
    if (this.#datasetId !== datasetId) {
      this.#report = null;
      this.#fixes = { fixes: [], excluded: [] };
      this.#notice = null;
    }
    this.#datasetId = datasetId;
    try {
      const [report, fixes] = await Promise.all([api.getAudit({ datasetId }), api.listFixes({ datasetId })]);
      if (this.#datasetId !== datasetId) return;
      // A fix's own reply may already have brought a newer recheck than this answer (the view
      // reloads on `dataset.changed`, which a fix sends before its recheck ends): keep the newest.
      if (report && (!this.#report || report.createdAt >= this.#report.createdAt)) this.#report = report;
      this.#fixes = fixes;
    } catch (error) {
      handleError(error, 'Data health');
    }
  }

  async run(datasetId: string, modelId: string): Promise<void> {
    this.#datasetId = datasetId;
    this.#running = true;
    this.#progress = null;
    this.#notice = null;
    try {
      this.#report = await api.runAudit({ datasetId, modelId });
    } catch (error) {
      if (error instanceof CoreError && error.code === 'CANCELLED') this.#notice = 'Audit cancelled.';
      else handleError(error, 'Audit');
    } finally {
      this.#running = false;
      this.#progress = null;
    }
  }

  async cancel(): Promise<void> {
    if (!this.#datasetId) return;
    try {
      await api.cancelAudit({ datasetId: this.#datasetId });
    } catch (error) {
      handleError(error, 'Cancel audit');
    }
  }

  async #fix(key: string, done: string, call: () => Promise<FixResult>): Promise<boolean> {
    this.#busy = key;
    try {
      const result = await call();
      this.#fixes = { fixes: result.fixes, excluded: result.excluded };
      if (result.report) this.#report = result.report;
      this.#notice = done;
      const latest = result.fixes.at(-1);
      this.#lastMove = key === latest?.from && !latest.undoneAt ? latest.id : null;
      return true;
    } catch (error) {
      handleError(error, 'Fix');
      return false;
    } finally {
      this.#busy = null;
    }
  }

  move(datasetId: string, path: string, toClass: string): Promise<boolean> {
    return this.#fix(path, `Moved ${path} to ${toClass}.`, () => api.moveImage({ datasetId, path, toClass }));
  }
  undo(datasetId: string, fixId: string): Promise<boolean> {
    return this.#fix(fixId, 'Move undone.', () => api.undoFix({ datasetId, fixId }));
  }
  exclude(datasetId: string, paths: string[], reason?: string): Promise<boolean> {
    return this.#fix(paths[0] ?? '', `Excluded ${paths.join(', ')}.`, () => api.excludeImages({ datasetId, paths, ...(reason ? { reason } : {}) }));
  }
  restore(datasetId: string, paths: string[]): Promise<boolean> {
    return this.#fix(paths[0] ?? '', `Restored ${paths.join(', ')}.`, () => api.restoreImages({ datasetId, paths }));
  }
}

export const health = new HealthState();
