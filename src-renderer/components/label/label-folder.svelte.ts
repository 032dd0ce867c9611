/**
 * Labelling a folder in the app: the job (start, progress, cancel), its rows, and how the
 * table shows them (filter by label and confidence, sort, "least certain first").
 */
import type { LabelFolderProgress, LabelFolderResult, LabelFolderRow } from '../../../src-main/api/contract.js';
import { DEFAULTS } from '../../../src-main/api/wire.js';
import { api, CoreError, handleError, onEvent } from '../../lib/api.js';
import { downloadText } from '../../lib/download.js';
import type { ClassifyTarget } from '../../lib/state/classify.svelte.js';

/** How the table is ordered. `uncertain` and `margin` put the images to review (or label) next first. */
export const SORTS = {
  uncertain: 'Least certain first (lowest top probability)',
  margin: 'Closest call first (smallest margin to the 2nd label)',
  confident: 'Most certain first',
  path: 'Path',
  label: 'Top label',
} as const;
export type SortKey = keyof typeof SORTS;

/** A row as the table shows it: the top label, its probability and the margin to the runner-up. */
export type TableRow = LabelFolderRow & { top: string | null; probability: number | null; margin: number | null };

/** The filter value of images that could not be read. */
export const UNREADABLE = '\u0000unreadable';

const tableRow = (row: LabelFolderRow): TableRow => {
  const [first, second] = row.predictions;
  return { ...row, top: first?.label ?? null, probability: first?.probability ?? null, margin: first ? first.probability - (second?.probability ?? 0) : null };
};

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Orders rows by `key`; unreadable rows always last, ties by path (a stable, predictable order). */
export function sortRows(rows: TableRow[], key: SortKey): TableRow[] {
  const value = (row: TableRow): number | string => {
    switch (key) {
      case 'uncertain':
        return row.probability ?? Infinity;
      case 'margin':
        return row.margin ?? Infinity;
      case 'confident':
        return row.probability === null ? Infinity : -row.probability;
      case 'label':
        return row.top ?? '\uffff';
      default:
        return row.path;
    }
  };
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    const order = typeof va === 'number' && typeof vb === 'number' ? va - vb : byText(String(va), String(vb));
    return order || byText(a.path, b.path);
  });
}

export class LabelFolderState {
  #path = $state('');
  #topK = $state<number>(DEFAULTS.topK);
  #running = $state(false);
  #progress = $state.raw<LabelFolderProgress | null>(null);
  #result = $state.raw<LabelFolderResult | null>(null);
  #rows = $state.raw<TableRow[]>([]);
  #error = $state<string | null>(null);
  #root: string | null = null;

  /** Table controls. */
  label = $state('');
  minConfidence = $state(0);
  maxConfidence = $state(100);
  sort = $state<SortKey>('uncertain');

  #shown = $derived.by(() => {
    const low = this.minConfidence / 100;
    const high = this.maxConfidence / 100;
    const kept = this.#rows.filter((row) => {
      if (this.label === UNREADABLE) return row.error !== undefined;
      if (this.label && row.top !== this.label) return false;
      if (row.probability === null) return this.label === '' && low <= 0 && high >= 1;
      return row.probability >= low - 1e-12 && row.probability <= high + 1e-12;
    });
    return sortRows(kept, this.sort);
  });

  get path(): string {
    return this.#path;
  }
  set path(value: string) {
    this.#path = value;
  }
  get topK(): number {
    return this.#topK;
  }
  set topK(value: number) {
    this.#topK = Math.max(1, Math.min(DEFAULTS.maxTopK, Math.round(value) || DEFAULTS.topK));
  }
  get running(): boolean {
    return this.#running;
  }
  get progress(): LabelFolderProgress | null {
    return this.#progress;
  }
  get result(): LabelFolderResult | null {
    return this.#result;
  }
  /** Why the last job could not start or failed, or null. */
  get error(): string | null {
    return this.#error;
  }
  /** The rows after the filters, in the chosen order. */
  get shown(): TableRow[] {
    return this.#shown;
  }
  get failedCount(): number {
    return this.#rows.filter((row) => row.error !== undefined).length;
  }

  /** Progress of the job in flight (events of other folders are ignored). */
  subscribe(): () => void {
    return onEvent('labelFolder.progress', (progress) => {
      if (this.#running && (progress.root === this.#root || this.#root === null)) {
        this.#root = progress.root;
        this.#progress = progress;
      }
    });
  }

  async start(target: ClassifyTarget | null): Promise<void> {
    const path = this.#path.trim();
    if (!path) return void (this.#error = 'Type the path of the folder of images to label, or choose it.');
    if (!target) return void (this.#error = 'Train a model first, or import a classifier with its labels, to label with.');
    this.#running = true;
    this.#progress = null;
    this.#error = null;
    this.#root = null;
    try {
      const result = await api.labelFolder({ path, ...(target.kind === 'run' ? { runId: target.runId } : { modelId: target.modelId }), topK: this.#topK });
      this.#result = result;
      this.#rows = result.rows.map(tableRow);
      this.label = '';
      this.minConfidence = 0;
      this.maxConfidence = 100;
    } catch (error) {
      const coreError = error instanceof CoreError ? error : new CoreError('INTERNAL', String(error));
      this.#error = coreError.message;
      handleError(coreError, 'Label folder');
    } finally {
      this.#running = false;
    }
  }

  async cancel(): Promise<void> {
    try {
      await api.cancelLabelFolder({ path: this.#root ?? this.#path.trim() });
    } catch (error) {
      handleError(error, 'Cancel labelling');
    }
  }

  /** Downloads the CSV (the CLI's --output_csv format) through a Blob URL, as the scalars export does. */
  async downloadCsv(): Promise<void> {
    const result = this.#result;
    if (!result) return;
    try {
      const file = await api.exportLabelFolderCsv({ jobId: result.jobId });
      downloadText(file.text, file.fileName, file.mimeType);
    } catch (error) {
      handleError(error, 'Export CSV');
    }
  }
}

export const labelFolder = new LabelFolderState();
