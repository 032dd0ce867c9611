/**
 * Runs one job at a time: training runs share the cores and the loaded network. A job
 * that throws (a failed run, a run folder deleted meanwhile) never stops the ones after it.
 */

/** A job: runs once its turn comes, with a signal that `cancel` aborts. */
export type QueuedJob = (signal: AbortSignal) => Promise<void>;

export interface RunQueue {
  /**
   * Queues `job` under `id` (a run id, unique while queued). The id counts as active from
   * now until the job has settled; cancelling before its turn aborts the signal it starts with.
   * `settled` runs after that (the id is no longer active), whatever the job did: where a
   * finished run is announced, so listeners may delete it or start the next one.
   */
  enqueue(id: string, job: QueuedJob, settled?: () => Promise<void> | void): void;
  /** Aborts the job's signal. False when `id` is neither queued nor running. */
  cancel(id: string): boolean;
  /** True while `id` is queued or running. */
  isActive(id: string): boolean;
  /** How many jobs are queued or running. */
  readonly activeCount: number;
  /** Aborts every job and resolves when the queue is idle. */
  close(): Promise<void>;
}

export type RunQueueOptions = {
  /** Called with what a job threw (the queue goes on with the next job). */
  onError?: (id: string, error: unknown) => void;
};

/** Creates an empty queue. */
export function createRunQueue(options: RunQueueOptions = {}): RunQueue {
  const active = new Map<string, AbortController>();
  let tail: Promise<void> = Promise.resolve();
  return {
    enqueue(id, job, settled) {
      const controller = new AbortController();
      active.set(id, controller);
      const report = (error: unknown): void => {
        try {
          options.onError?.(id, error);
        } catch {
          // A failing error sink must not stop the queue either.
        }
      };
      tail = tail.then(async () => {
        try {
          await job(controller.signal);
        } catch (error) {
          report(error);
        } finally {
          active.delete(id);
        }
        try {
          await settled?.();
        } catch (error) {
          report(error);
        }
      });
    },
    cancel(id) {
      const controller = active.get(id);
      controller?.abort();
      return controller !== undefined;
    },
    isActive: (id) => active.has(id),
    get activeCount() {
      return active.size;
    },
    async close() {
      for (const controller of active.values()) controller.abort();
      await tail;
    },
  };
}
