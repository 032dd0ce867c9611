/** Models: the catalog and imported models, downloads in progress, the chosen architecture. */
import type { DownloadProgress, ModelSummary, PreprocessSpec } from '../../../src-main/api/contract.js';
import { api, handleError, onEvent } from '../api.js';
import { toasts } from './toasts.svelte.js';

export type ImportRequest = { path: string; name?: string; bottleneckNode?: string; labelsPath?: string; spec?: Partial<PreprocessSpec> };

export class ModelsState {
  #models = $state.raw<ModelSummary[]>([]);
  #selectedId = $state<string | null>(null);
  #downloads = $state.raw<Record<string, DownloadProgress>>({});
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

  /** Full classifiers with labels (usable in Classify without training). */
  get labelled(): ModelSummary[] {
    return this.#labelled;
  }

  /** Downloads in flight by model id (from `model.download` events). */
  get downloads(): Record<string, DownloadProgress> {
    return this.#downloads;
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

  /** Downloads a catalog model (progress via events); selects it when done. */
  async download(modelId: string): Promise<void> {
    this.#downloads = { ...this.#downloads, [modelId]: { modelId, receivedBytes: 0, totalBytes: null, file: '' } };
    try {
      const model = await api.downloadModel({ modelId });
      this.#upsert(model);
      toasts.success(`${model.name} downloaded.`);
    } catch (error) {
      handleError(error, 'Download');
    } finally {
      const { [modelId]: _done, ...rest } = this.#downloads;
      this.#downloads = rest;
    }
  }

  /** Imports a local TF.js model folder or model.json; selects it. */
  async import(request: ImportRequest): Promise<ModelSummary | null> {
    this.#importing = true;
    try {
      const model = await api.importModel(request);
      this.#upsert(model);
      this.#selectedId = model.id;
      toasts.success(`Imported ${model.name}.`);
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
    this.#downloads = {};
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
      const preferred = models.find((model) => model.origin === 'imported') ?? models.find((model) => model.cached) ?? models[0];
      this.#selectedId = preferred?.id ?? null;
    }
  }
}

export const models = new ModelsState();
