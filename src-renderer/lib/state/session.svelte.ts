/**
 * What a reload or a restart must not lose: the open dataset (its folder and split
 * percentages), the backbone to train on, the model to label with, and the hyperparameter
 * form. Kept in localStorage (one entry per origin, so per app / per `serve` address); the
 * dataset is opened again through the API, so a folder that changed is scanned afresh.
 */
import type { FieldValue } from '../hyperparameters.js';
import { config } from './config.svelte.js';
import { dataset } from './dataset.svelte.js';
import { models } from './models.svelte.js';

export const SESSION_KEY = 'retrainStudio.session';

/** The stored shape (every field optional: older or hand-edited entries are read as far as they go). */
export type StoredSession = {
  dataset?: { root: string; validationPercent?: number; testPercent?: number };
  backboneId?: string;
  labelWithId?: string;
  config?: { values: Record<string, FieldValue>; presetId: string | null };
};

function read(): StoredSession {
  try {
    const parsed = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as StoredSession) : {};
  } catch {
    return {};
  }
}

function write(session: StoredSession): void {
  try {
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  } catch {
    // No storage (private mode, quota): the session is simply not remembered.
  }
}

/** Whether the stored session has been put back (until then nothing is saved over it). */
let restored = $state(false);

/**
 * Loads models and hyperparameters, puts back what the last session had (a model that is
 * gone is not restored; stored values are checked against the specs), reopens its dataset,
 * and from then on saves every change. Returns the function that stops saving.
 */
export function startSession(): () => void {
  const stored = read();
  restored = false;
  const stop = $effect.root(() => {
    $effect(() => {
      if (!restored) return;
      const summary = dataset.summary;
      write({
        ...(summary
          ? { dataset: { root: summary.root, validationPercent: dataset.validationPercent, testPercent: dataset.testPercent } }
          : dataset.loading && stored.dataset
            ? { dataset: stored.dataset } // still being reopened: keep it
            : {}),
        ...(models.selectedId ? { backboneId: models.selectedId } : {}),
        ...(models.labelWithId ? { labelWithId: models.labelWithId } : {}),
        ...(config.loaded ? { config: { values: { ...config.values }, presetId: config.presetId } } : stored.config ? { config: stored.config } : {}),
      });
    });
  });
  // Started first: dataset.open marks the dataset as loading before its first await.
  if (stored.dataset?.root) void reopenDataset(stored.dataset);
  void Promise.all([models.load(), config.load()]).then(() => {
    models.restore(stored.backboneId ?? null, stored.labelWithId ?? null);
    if (stored.config) config.restore(stored.config.values ?? {}, stored.config.presetId ?? null);
    restored = true;
  });
  return stop;
}

async function reopenDataset(stored: NonNullable<StoredSession['dataset']>): Promise<void> {
  if (Number.isFinite(stored.validationPercent)) dataset.validationPercent = stored.validationPercent as number;
  if (Number.isFinite(stored.testPercent)) dataset.testPercent = stored.testPercent as number;
  dataset.path = stored.root;
  // A folder that is gone or changed says so in a toast, once; then it is no longer remembered.
  await dataset.open(stored.root);
}
