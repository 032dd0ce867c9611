/** Engine settings (backend, bottleneck engine) and the bottleneck cache's size. */
import type { CacheInfo, Settings } from '../../../src-main/api/contract.js';
import { api, handleError } from '../api.js';
import { engine } from './engine.svelte.js';
import { toasts } from './toasts.svelte.js';

export class SettingsState {
  #settings = $state.raw<Settings | null>(null);
  #cache = $state.raw<CacheInfo | null>(null);
  #saving = $state(false);
  #clearing = $state(false);

  get settings(): Settings | null {
    return this.#settings;
  }

  get cache(): CacheInfo | null {
    return this.#cache;
  }

  get saving(): boolean {
    return this.#saving;
  }

  get clearing(): boolean {
    return this.#clearing;
  }

  async load(): Promise<void> {
    try {
      const [settings, cache] = await Promise.all([api.getSettings({}), api.getCacheInfo({})]);
      this.#settings = settings;
      this.#cache = cache;
    } catch (error) {
      handleError(error, 'Settings');
    }
  }

  /** Saves a change; it applies to the next run. Refreshes the engine line. */
  async update(change: Partial<Settings>): Promise<void> {
    this.#saving = true;
    try {
      this.#settings = await api.updateSettings(change);
      await engine.load();
    } catch (error) {
      handleError(error, 'Settings');
    } finally {
      this.#saving = false;
    }
  }

  /** Deletes every cached bottleneck. */
  async clearCache(): Promise<void> {
    this.#clearing = true;
    try {
      this.#cache = await api.clearCache({});
      toasts.success('Bottleneck cache cleared.');
    } catch (error) {
      handleError(error, 'Cache');
    } finally {
      this.#clearing = false;
    }
  }

  async refreshCache(): Promise<void> {
    try {
      this.#cache = await api.getCacheInfo({});
    } catch (error) {
      handleError(error, 'Cache');
    }
  }

  reset(): void {
    this.#settings = null;
    this.#cache = null;
    this.#saving = false;
    this.#clearing = false;
  }
}

export const settings = new SettingsState();
