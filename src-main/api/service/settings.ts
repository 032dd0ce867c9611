/**
 * Engine and settings: the TF.js backend in use (chosen again when the setting changes),
 * the bottleneck engine preference, and the one-line summary clients show.
 */
import { CoreError } from '../../core/errors.js';
import { describeEngine, selectEngine, type EngineInfo } from '../../core/engine/index.js';
import type { SettingsStore } from '../../core/settings/index.js';
import { HYPERPARAMETERS, PRESETS } from '../../core/training/index.js';
import type { CoreApi, EngineStatus, Settings } from '../contract.js';
import type { Emit } from './events.js';

export const DEFAULT_SETTINGS: Settings = { backend: 'auto', featureEngine: 'auto' };

export type EngineArea = {
  api: Pick<CoreApi, 'getEngine' | 'getSettings' | 'updateSettings' | 'getHyperparameters'>;
  /** The active TF.js backend. */
  current(): EngineInfo;
  /** Whether bottlenecks may run on ONNX Runtime (the preference is not `tfjs`). */
  allowOnnx(): boolean;
  /** Records what computed the last bottlenecks and tells clients. */
  noteFeatureEngine(note: string): void;
};

const selectFor = (backend: Settings['backend']): Promise<EngineInfo> => selectEngine({ force: backend === 'auto' ? undefined : backend });

const preferenceNote = (settings: Settings): string =>
  settings.featureEngine === 'tfjs'
    ? 'TF.js (chosen in settings)'
    : 'ONNX Runtime for TF.js layers models once its features match TF.js on the dataset’s photos, else TF.js';

/**
 * Loads the settings and selects the backend they name (or RETRAIN_STUDIO_BACKEND).
 * `isBusy` refuses a backend change during a run; `dropLoaded` disposes networks loaded on the old engine.
 */
export async function createEngineArea(deps: { store: SettingsStore<Settings>; emit: Emit; isBusy: () => boolean; dropLoaded: () => void }): Promise<EngineArea> {
  let settings = await deps.store.load();
  let engine = await selectFor(settings.backend);
  let featureNote = preferenceNote(settings);
  const status = (): EngineStatus => ({ ...engine, featureEngine: settings.featureEngine, summary: `${describeEngine(engine)} Bottlenecks: ${featureNote}.` });
  return {
    current: () => engine,
    allowOnnx: () => settings.featureEngine !== 'tfjs',
    noteFeatureEngine(note) {
      featureNote = note;
      deps.emit('engine.changed', status());
    },
    api: {
      getEngine: async () => status(),
      getSettings: async () => ({ ...settings }),
      updateSettings: async (change) => {
        if (change.backend && change.backend !== settings.backend) {
          if (deps.isBusy()) throw new CoreError('BUSY', 'The backend cannot change while a run is in progress. Cancel it or wait.');
          const next = await selectFor(change.backend);
          deps.dropLoaded();
          engine = next;
        }
        // A run in progress keeps the networks it uses (cache keys differ per engine anyway).
        if (change.featureEngine && change.featureEngine !== settings.featureEngine && !deps.isBusy()) deps.dropLoaded();
        settings = { ...settings, ...change };
        featureNote = preferenceNote(settings);
        // Only the changed keys are written: another process's settings stay as it saved them.
        await deps.store.update(change);
        deps.emit('engine.changed', status());
        return { ...settings };
      },
      getHyperparameters: async () => ({ hyperparameters: [...HYPERPARAMETERS], presets: PRESETS }),
    },
  };
}
