/**
 * Models: the catalog and imported models, downloads in progress, and two separate choices:
 * the backbone the next run trains on, and the labelled classifier Classify labels with.
 */
import type { DownloadProgress, ModelSummary, PreprocessSpec } from '../../../src-main/api/contract.js';
import { api, CoreError, handleError, onEvent } from '../api.js';
import { toasts } from './toasts.svelte.js';

export type ImportRequest = { path: string; name?: string; bottleneckNode?: string; labelsPath?: string; spec?: Partial<PreprocessSpec> };

/** What an imported model is for: training on it (the backbone) or labelling images with it (Classify). */
export type ImportUse = 'backbone' | 'label';

export class ModelsState {
  #models = $state.raw<ModelSummary[]>([]);
  #selectedId = $state<string | null>(null);
  #labelWithId = $state<string | null>(null);
  #downloads = $state.raw<Record<string, DownloadProgress>>({});
  #downloadErrors = $state.raw<Record<string, string>>({});
  #loading = $state(false);
  #importing = $state(false);

  #selected = $derived(this.#models.find((model) => model.id === this.#selectedId) ?? null);
  #labelled = $derived(this.#models.filter((model) => model.hasLabels));

  get models(): ModelSummary[] {
    return this.#models;
  }

  /** The architecture the next run uses. */
  get selectedId(): string | null {
    return this.#selectedId;
  }

  get selected(): ModelSummary | null {
    return this.#selected;
  }

  /** The labelled model chosen to label images with (Classify); never changes the backbone. */
  get labelWithId(): string | null {
    return this.#labelWithId;
  }
  set labelWithId(modelId: string | null) {
    this.#labelWithId = modelId;
  }

  /** Full classifiers with labels (usable in Classify without training). */
  get labelled(): ModelSummary[] {
    return this.#labelled;
  }

  /** Downloads in flight by model id (from `model.download` events). */
  get downloads(): Record<string, DownloadProgress> {
    return this.#downloads;
  }

  /** Why the last download of a model failed, by model id (shown in its row with the way out). */
  get downloadErrors(): Record<string, string> {
    return this.#downloadErrors;
  }

  get loading(): boolean {
    return this.#loading;
  }

  get importing(): boolean {
    return this.#importing;
  }

  /** Follows download progress; returns the unsubscribe function. */
  subscribe(): () => void {
    return onEvent('model.download', (progress) => {
      this.#downloads = { ...this.#downloads, [progress.modelId]: progress };
    });
  }

  /** Lists models; keeps the selection, or picks a cached/imported one, else the first. */
  async load(): Promise<void> {
    this.#loading = true;
    try {
      this.#replace(await api.listModels({}));
    } catch (error) {
      handleError(error, 'Models');
    } finally {
      this.#loading = false;
    }
  }

  select(modelId: string): void {
    this.#selectedId = modelId;
  }

  /** Puts back a previous session's choices where those models still exist. */
  restore(backboneId: string | null, labelWithId: string | null): void {
    if (backboneId && this.#models.some((model) => model.id === backboneId)) this.#selectedId = backboneId;
    if (labelWithId && this.#models.some((model) => model.id === labelWithId && model.hasLabels)) this.#labelWithId = labelWithId;
  }

  /** Downloads a catalog model (progress via events); selects it when done. */
  async download(modelId: string): Promise<void> {
    this.#downloads = { ...this.#downloads, [modelId]: { modelId, receivedBytes: 0, totalBytes: null, file: '' } };
    const { [modelId]: _previous, ...otherErrors } = this.#downloadErrors;
    this.#downloadErrors = otherErrors;
    try {
      const model = await api.downloadModel({ modelId });
      this.#upsert(model);
      toasts.success(`${model.name} downloaded.`);
    } catch (error) {
      // In the model's row, with what to do instead (a toast alone goes away and offers nothing).
      const coreError = error instanceof CoreError ? error : new CoreError('DOWNLOAD_FAILED', error instanceof Error ? error.message : String(error));
      if (coreError.code !== 'CANCELLED') this.#downloadErrors = { ...this.#downloadErrors, [modelId]: coreError.message };
    } finally {
      const { [modelId]: _done, ...rest } = this.#downloads;
      this.#downloads = rest;
    }
  }

  /**
   * Imports a local TF.js model folder or model.json. `use: 'backbone'` (default) makes it
   * the model the next run trains on; `'label'` makes it the model Classify labels with and
   * leaves the backbone as it was.
   */
  async import(request: ImportRequest, use: ImportUse = 'backbone'): Promise<ModelSummary | null> {
    this.#importing = true;
    try {
      const model = await api.importModel(request);
      this.#upsert(model);
      if (use === 'label' && model.hasLabels) {
        this.#labelWithId = model.id;
        const backbone = this.#selected;
        toasts.success(`Imported ${model.name}: choose it on the Classify page to label images.${backbone ? ` Training still uses ${backbone.name}.` : ''}`);
      } else {
        this.#selectedId = model.id;
        toasts.success(`Imported ${model.name}${use === 'label' ? ' (it has no labels file, so it can only be trained on)' : ''}.`);
      }
      return model;
    } catch (error) {
      handleError(error, 'Import');
      return null;
    } finally {
      this.#importing = false;
    }
  }

  /** Asks the host for a model folder; null where no dialog exists. */
  async pickFolder(): Promise<string | null> {
    try {
      return await api.pickFolder({ purpose: 'model' });
    } catch (error) {
      handleError(error, 'Choose folder');
      return null;
    }
  }

  /** Replaces one model's summary (e.g. after choosing a bottleneck node in the graph view). */
  upsert(model: ModelSummary): void {
    this.#upsert(model);
  }

  reset(): void {
    this.#models = [];
    this.#selectedId = null;
    this.#labelWithId = null;
    this.#downloads = {};
    this.#downloadErrors = {};
    this.#loading = false;
    this.#importing = false;
  }

  #upsert(model: ModelSummary): void {
    const index = this.#models.findIndex((existing) => existing.id === model.id);
    this.#replace(index === -1 ? [...this.#models, model] : this.#models.map((existing, i) => (i === index ? model : existing)));
  }

  #replace(models: ModelSummary[]): void {
    this.#models = models;
    if (!this.#selectedId || !models.some((model) => model.id === this.#selectedId)) {
      // Only a model whose files are here can train: an imported/exported one, else a downloaded
      // catalog model, else none (never a catalog model that still has to be downloaded).
      const usable = models.filter((model) => model.cached);
      const preferred = usable.find((model) => model.origin !== 'catalog' && !model.hasLabels) ?? usable.find((model) => model.origin === 'catalog') ?? usable[0];
      this.#selectedId = preferred?.id ?? null;
    }
    if (this.#labelWithId && !models.some((model) => model.id === this.#labelWithId)) this.#labelWithId = null;
  }
}

export const models = new ModelsState();
