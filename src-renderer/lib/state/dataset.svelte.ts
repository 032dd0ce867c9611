/** The opened dataset: its summary (classes, split counts, issues), scan progress and image pages. */
import type { DatasetImageRow, DatasetSummary, EventPayload, Split } from '../../../src-main/api/contract.js';
import { api, CoreError, handleError, isDesktop, onEvent } from '../api.js';

/** Scan progress: `listing` counts files found (total), `reading` images read (done of total). */
export type ScanProgress = Pick<EventPayload<'dataset.progress'>, 'phase' | 'done' | 'total'>;

/** Images fetched per page when browsing a class. */
export const IMAGE_PAGE_SIZE = 60;

export type ImageBrowser = { className: string; split: Split | 'all'; total: number; images: DatasetImageRow[]; loading: boolean };

export class DatasetState {
  #summary = $state.raw<DatasetSummary | null>(null);
  #path = $state('');
  #validationPercent = $state(10);
  #testPercent = $state(10);
  #loading = $state(false);
  #progress = $state.raw<ScanProgress | null>(null);
  #lastError = $state<string | null>(null);
  #canPickFolder = $state(true);
  #browser = $state.raw<ImageBrowser | null>(null);

  #trainable = $derived(this.#summary?.trainable ?? false);
  #splitTotals = $derived.by(() => {
    const totals = { train: 0, validation: 0, test: 0 };
    for (const cls of this.#summary?.classes ?? []) {
      totals.train += cls.counts.train;
      totals.validation += cls.counts.validation;
      totals.test += cls.counts.test;
    }
    return totals;
  });

  get summary(): DatasetSummary | null {
    return this.#summary;
  }

  /** The folder path typed or chosen (kept between scans). */
  get path(): string {
    return this.#path;
  }
  set path(value: string) {
    this.#path = value;
  }

  get validationPercent(): number {
    return this.#validationPercent;
  }
  set validationPercent(value: number) {
    this.#validationPercent = value;
  }

  get testPercent(): number {
    return this.#testPercent;
  }
  set testPercent(value: number) {
    this.#testPercent = value;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** `dataset.progress` of the scan in flight, or null. */
  get progress(): ScanProgress | null {
    return this.#progress;
  }

  /** A mistake in the input itself (e.g. an empty path), shown next to the field. */
  get lastError(): string | null {
    return this.#lastError;
  }

  get trainable(): boolean {
    return this.#trainable;
  }

  get splitTotals(): Record<Split, number> {
    return this.#splitTotals;
  }

  /** False once the host said it has no folder dialog (a browser). */
  get canPickFolder(): boolean {
    return this.#canPickFolder;
  }

  /** The class being browsed image by image, or null. */
  get browser(): ImageBrowser | null {
    return this.#browser;
  }

  /** Follows scan progress events; returns the unsubscribe function. */
  subscribe(): () => void {
    const offProgress = onEvent('dataset.progress', (progress) => {
      if (this.#loading) this.#progress = { phase: progress.phase, done: progress.done, total: progress.total };
    });
    // A fix in Data health (here or in another window) changed the open dataset: show its new counts.
    const offChanged = onEvent('dataset.changed', (summary) => {
      if (this.#summary?.id !== summary.id) return;
      this.#summary = summary;
      this.#browser = null;
    });
    return () => (offProgress(), offChanged());
  }

  /** Asks the host for a folder and opens it; hides the button where no dialog exists. */
  async pickAndOpen(): Promise<void> {
    try {
      const path = await api.pickFolder({ purpose: 'dataset' });
      if (path === null) {
        if (!isDesktop()) this.#canPickFolder = false;
        return;
      }
      await this.open(path);
    } catch (error) {
      handleError(error, 'Choose folder');
    }
  }

  /** Scans a folder of class folders. Percentages are the current inputs unless given. */
  async open(path = this.#path): Promise<DatasetSummary | null> {
    const trimmed = path.trim();
    if (!trimmed) {
      this.#lastError = 'Type the path of a folder that holds one sub-folder per class.';
      return null;
    }
    this.#path = trimmed;
    this.#loading = true;
    this.#progress = null;
    this.#lastError = null;
    try {
      // An emptied number field is null: let the service use its default then.
      const percents = {
        ...(Number.isFinite(this.#validationPercent) ? { validationPercent: this.#validationPercent } : {}),
        ...(Number.isFinite(this.#testPercent) ? { testPercent: this.#testPercent } : {}),
      };
      const summary = await api.openDataset({ path: trimmed, ...percents });
      this.#summary = summary;
      this.#validationPercent = summary.validationPercent;
      this.#testPercent = summary.testPercent;
      this.#browser = null;
      return summary;
    } catch (error) {
      // A scan the user stopped is no error: say so where the progress was.
      if (error instanceof CoreError && error.code === 'CANCELLED') {
        this.#lastError = `Scan of ${trimmed} cancelled.`;
        return null;
      }
      // Shown once, as a toast (handleError); the inline notice is for input mistakes only.
      handleError(error, 'Dataset');
      return null;
    } finally {
      this.#loading = false;
      this.#progress = null;
    }
  }

  /** Shows a summary the service rescanned itself (a webcam capture added a photo); the image browser stays. */
  adopt(summary: DatasetSummary): void {
    if (this.#summary?.id === summary.id) this.#summary = summary;
  }

  /** Stops the scan in flight (open() then ends with "cancelled"). */
  async cancel(): Promise<void> {
    try {
      await api.cancelOpenDataset({ path: this.#path });
    } catch (error) {
      handleError(error, 'Cancel scan');
    }
  }

  /** Scans the same folder again (new files, changed split percentages). */
  async rescan(): Promise<void> {
    const root = this.#summary?.root ?? this.#path;
    if (root) await this.open(root);
  }

  /** Opens the image browser on a class (first page). */
  async browse(className: string, split: Split | 'all' = 'all'): Promise<void> {
    const summary = this.#summary;
    if (!summary) return;
    this.#browser = { className, split, total: 0, images: [], loading: true };
    await this.#loadPage(summary.id, className, split, 0);
  }

  /** Appends the next page of the browsed class. */
  async loadMore(): Promise<void> {
    const summary = this.#summary;
    const browser = this.#browser;
    if (!summary || !browser || browser.loading || browser.images.length >= browser.total) return;
    this.#browser = { ...browser, loading: true };
    await this.#loadPage(summary.id, browser.className, browser.split, browser.images.length);
  }

  closeBrowser(): void {
    this.#browser = null;
  }

  async #loadPage(datasetId: string, className: string, split: Split | 'all', offset: number): Promise<void> {
    try {
      const page = await api.listDatasetImages({
        datasetId,
        className,
        ...(split === 'all' ? {} : { split }),
        offset,
        limit: IMAGE_PAGE_SIZE,
      });
      const current = this.#browser;
      if (!current || current.className !== className || current.split !== split) return;
      this.#browser = { ...current, total: page.total, images: offset === 0 ? page.images : [...current.images, ...page.images], loading: false };
    } catch (error) {
      handleError(error, 'Images');
      const current = this.#browser;
      if (current) this.#browser = { ...current, loading: false };
    }
  }

  reset(): void {
    this.#summary = null;
    this.#path = '';
    this.#validationPercent = 10;
    this.#testPercent = 10;
    this.#loading = false;
    this.#progress = null;
    this.#lastError = null;
    this.#canPickFolder = true;
    this.#browser = null;
  }
}

export const dataset = new DatasetState();
