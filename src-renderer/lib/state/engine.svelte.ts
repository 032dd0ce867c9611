/** The active engine (TF.js backend, device) and why better ones are unused. */
import type { EngineStatus } from '../../../src-main/api/contract.js';
import { api, handleError, onEvent } from '../api.js';

export class EngineState {
  #status = $state.raw<EngineStatus | null>(null);
  #loading = $state(false);

  get status(): EngineStatus | null {
    return this.#status;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** Fetches the engine status; failures go to a toast. */
  async load(): Promise<void> {
    this.#loading = true;
    try {
      this.#status = await api.getEngine({});
    } catch (error) {
      handleError(error, 'Engine');
    } finally {
      this.#loading = false;
    }
  }

  /** Keeps the status current from `engine.changed`; returns the unsubscribe function. */
  subscribe(): () => void {
    return onEvent('engine.changed', (status) => {
      this.#status = status;
    });
  }

  reset(): void {
    this.#status = null;
    this.#loading = false;
  }
}

export const engine = new EngineState();
