import { describe, expect, it } from 'vitest';
import { createRunQueue } from '../../../src-main/core/runs/queue.js';

/** A promise with its resolve function, to let a job finish when the test says so. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every pending promise callback run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the run queue', () => {
  it('runs one job at a time, in order, and goes on after a job that throws', async () => {
    const errors: Array<[string, string]> = [];
    const queue = createRunQueue({ onError: (id, error) => errors.push([id, (error as Error).message]) });
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const gates = { a: gate(), b: gate(), c: gate() };
    for (const id of ['a', 'b', 'c'] as const) {
      queue.enqueue(id, async () => {
        running++;
        most = Math.max(most, running);
        log.push(`start ${id}`);
        await gates[id].promise;
        running--;
        log.push(`end ${id}`);
        if (id === 'b') throw new Error('b broke');
      });
    }
    expect(queue.activeCount).toBe(3);
    await settle();
    expect(log).toEqual(['start a']);
    // Opening c first changes nothing: c waits for a and b.
    gates.c.open();
    gates.a.open();
    await settle();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    gates.b.open();
    await queue.close();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(most).toBe(1);
    expect(errors).toEqual([['b', 'b broke']]);
    expect(queue.activeCount).toBe(0);
  });

  it('runs `settled` after the job, once its id is no longer active, even when it throws', async () => {
    const queue = createRunQueue();
    const seen: boolean[] = [];
    queue.enqueue('x', async () => {
      throw new Error('failed run');
    }, () => void seen.push(queue.isActive('x')));
    // A settled hook that throws (e.g. the run folder was deleted) stops nothing.
    queue.enqueue('y', async () => {}, () => {
      throw new Error('run folder gone');
    });
    queue.enqueue('z', async () => {}, () => void seen.push(queue.isActive('z')));
    await queue.close();
    expect(seen).toEqual([false, false]);
  });

  it('cancels a queued job before it starts and a running one while it runs', async () => {
    const queue = createRunQueue();
    const first = gate();
    const signals: Record<string, boolean> = {};
    queue.enqueue('running', async (signal) => {
      await first.promise;
      signals.running = signal.aborted;
    });
    queue.enqueue('queued', async (signal) => {
      signals.queued = signal.aborted;
    });
    queue.enqueue('untouched', async (signal) => {
      signals.untouched = signal.aborted;
    });
    await settle();
    expect(queue.cancel('queued')).toBe(true);
    expect(queue.cancel('running')).toBe(true);
    expect(queue.cancel('nope')).toBe(false);
    expect(queue.isActive('queued')).toBe(true);
    first.open();
    await new Promise<void>((resolve) => queue.enqueue('last', async () => resolve()));
    expect(signals).toEqual({ running: true, queued: true, untouched: false });
    expect(queue.cancel('queued')).toBe(false);
  });

  it('close() aborts every job and resolves when the queue is idle', async () => {
    const queue = createRunQueue();
    const aborted: string[] = [];
    for (const id of ['a', 'b']) {
      queue.enqueue(id, (signal) =>
        new Promise<void>((resolve) => {
          if (signal.aborted) return resolve(void aborted.push(id));
          signal.addEventListener('abort', () => resolve(void aborted.push(id)));
        }),
      );
    }
    await queue.close();
    expect(aborted).toEqual(['a', 'b']);
    expect(queue.activeCount).toBe(0);
  });
});
