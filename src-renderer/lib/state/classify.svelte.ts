/**
 * Classify one image with a trained run or a labelled model: the target, the image shown
 * and the last result (top-k predictions with timings).
 */
import { LIMITS, type Classification, type ImageInput } from '../../../src-main/api/contract.js';
import { DEFAULTS } from '../../../src-main/api/wire.js';
import { api, CoreError, handleError, imageUrl } from '../api.js';
import { models } from './models.svelte.js';
import { runs } from './runs.svelte.js';

export type ClassifyTarget = { kind: 'run'; runId: string } | { kind: 'model'; modelId: string };

/** Reads a File as base64 without the `data:` prefix (async; never blocks the UI). */
export function readFileAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const result = String(reader.result ?? '');
      resolve(result.slice(result.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new CoreError('IMAGE_UNREADABLE', `Could not read ${file.name}: ${reader.error?.message ?? 'unknown error'}.`));
    reader.readAsDataURL(file);
  });
}

export class ClassifyState {
  #target = $state.raw<ClassifyTarget | null>(null);
  #result = $state.raw<Classification | null>(null);
  #previewUrl = $state<string | null>(null);
  #imageName = $state<string | null>(null);
  #loading = $state(false);
  #error = $state<string | null>(null);
  #trueLabel = $state<string | null>(null);
  #topK = $state<number>(DEFAULTS.topK);
  #objectUrl: string | null = null;
  /** The image shown, so a new Top k (or target) applies to it at once. */
  #lastImage: ImageInput | null = null;
  #requestSeq = 0;

  /**
   * The explicit choice, else the model imported to label with, else the newest completed
   * run, else the first labelled model.
   */
  #effectiveTarget = $derived.by((): ClassifyTarget | null => {
    if (this.#target) return this.#target;
    if (models.labelWithId && models.labelled.some((model) => model.id === models.labelWithId)) return { kind: 'model', modelId: models.labelWithId };
    const run = runs.completed[0];
    if (run) return { kind: 'run', runId: run.id };
    const model = models.labelled[0];
    return model ? { kind: 'model', modelId: model.id } : null;
  });

  /** What classifies: a run (its trained head) or a labelled model (null = none available). */
  get target(): ClassifyTarget | null {
    return this.#effectiveTarget;
  }
  set target(value: ClassifyTarget | null) {
    this.#target = value;
    // Choosing a model here is choosing the model to label with; the training backbone stays.
    if (value?.kind === 'model') models.labelWithId = value.modelId;
  }

  /** Why the last image could not be classified (shown in the result card), or null. */
  get error(): string | null {
    return this.#error;
  }

  get result(): Classification | null {
    return this.#result;
  }

  /** URL of the image being classified (object URL or image route). */
  get previewUrl(): string | null {
    return this.#previewUrl;
  }

  get imageName(): string | null {
    return this.#imageName;
  }

  get loading(): boolean {
    return this.#loading;
  }

  get topK(): number {
    return this.#topK;
  }
  set topK(value: number) {
    const next = Math.max(1, Math.min(DEFAULTS.maxTopK, Math.round(value) || DEFAULTS.topK));
    if (next === this.#topK) return;
    this.#topK = next;
    // Applies to the image on screen now, not only to the next one.
    if (this.#lastImage && (this.#result || this.#loading)) void this.#classify(this.#lastImage);
  }

  /** The image on screen as the API takes it (the heat map explains the same one), or null. */
  get lastImage(): ImageInput | null {
    return this.#lastImage;
  }

  /** The class the image is known to be (opened from Results), shown beside the prediction; else null. */
  get trueLabel(): string | null {
    return this.#trueLabel;
  }

  /** Classifies a local file by path (dataset thumbnails, Electron drops); `trueLabel` when it is known. */
  async classifyPath(path: string, trueLabel?: string): Promise<Classification | null> {
    this.#setPreview(imageUrl(path), null);
    this.#imageName = path.split(/[\\/]/).pop() ?? path;
    this.#trueLabel = trueLabel ?? null;
    return this.#classify({ path });
  }

  /** Classifies a picked or dropped File: by path when the host reveals it, else uploaded as base64. */
  async classifyFile(file: File, path: string | null): Promise<Classification | null> {
    if (path) return this.classifyPath(path);
    this.#setPreview(URL.createObjectURL(file), true);
    this.#imageName = file.name;
    this.#trueLabel = null;
    this.#result = null;
    this.#error = null;
    try {
      if (file.size * 1.34 > LIMITS.imageBase64Chars) {
        throw new CoreError('PAYLOAD_TOO_LARGE', `${file.name} is ${(file.size / 1048576).toFixed(1)} MiB; images up to about 24 MiB can be uploaded.`);
      }
      const dataBase64 = await readFileAsBase64(file);
      return await this.#classify({ dataBase64, name: file.name });
    } catch (error) {
      this.#fail(error);
      return null;
    }
  }

  reset(): void {
    this.#setPreview(null, null);
    this.#target = null;
    this.#result = null;
    this.#error = null;
    this.#lastImage = null;
    this.#trueLabel = null;
    this.#imageName = null;
    this.#loading = false;
    this.#topK = DEFAULTS.topK;
  }

  async #classify(image: ImageInput): Promise<Classification | null> {
    this.#lastImage = image;
    const target = this.#effectiveTarget;
    if (!target) {
      handleError(new CoreError('INVALID_ARGUMENT', 'Train a model first, or choose a labelled model to classify with.'), 'Classify');
      return null;
    }
    // Only the latest request shows (a Top k typed quickly, a new image before the last answered).
    const request = ++this.#requestSeq;
    this.#loading = true;
    this.#result = null;
    this.#error = null;
    try {
      const result = await api.classify({
        ...(target.kind === 'run' ? { runId: target.runId } : { modelId: target.modelId }),
        image,
        topK: this.#topK,
      });
      if (request === this.#requestSeq) this.#result = result;
      return result;
    } catch (error) {
      if (request === this.#requestSeq) this.#fail(error);
      return null;
    } finally {
      if (request === this.#requestSeq) this.#loading = false;
    }
  }

  /** The error goes into the result card, next to the image it is about (not only a toast that goes away). */
  #fail(error: unknown): void {
    const coreError = error instanceof CoreError ? error : new CoreError('INTERNAL', error instanceof Error ? error.message : String(error));
    if (coreError.code === 'CANCELLED') return;
    this.#error = coreError.message;
  }

  #setPreview(url: string | null, isObjectUrl: boolean | null): void {
    if (this.#objectUrl) URL.revokeObjectURL(this.#objectUrl);
    this.#objectUrl = isObjectUrl && url ? url : null;
    this.#previewUrl = url;
  }
}

export const classify = new ClassifyState();
