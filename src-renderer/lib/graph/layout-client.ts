/**
 * Runs graph layout in a Web Worker so a big graph never freezes the view; where a worker
 * cannot start (some file:// hosts), it falls back to the main thread after yielding a frame.
 * A new request supersedes the one in flight (the busy worker is replaced).
 */
import { layoutGraph, type GraphLayout, type LayoutOptions } from './layout.js';
import type { VisibleGraph } from './model.js';

export type LayoutRunner = {
  /** Lays out `visible`; rejects with `superseded` when a newer request replaced it. */
  run(visible: VisibleGraph, options?: LayoutOptions): Promise<GraphLayout>;
  /** Whether layouts run in a worker (false after a fallback). */
  readonly usesWorker: boolean;
  dispose(): void;
};

/** The error a superseded layout request rejects with. */
export class LayoutSupersededError extends Error {
  constructor() {
    super('superseded');
    this.name = 'LayoutSupersededError';
  }
}

type Pending = { id: number; visible: VisibleGraph; options?: LayoutOptions; resolve: (l: GraphLayout) => void; reject: (e: Error) => void };

/** Creates a runner; call `dispose()` when the view goes away. */
export function createLayoutRunner(): LayoutRunner {
  let worker: Worker | null = null;
  let workerBroken = typeof Worker === 'undefined';
  let pending: Pending | null = null;
  let nextId = 1;

  const onMainThread = async (p: Pending) => {
    // Let the browser paint the "laying out…" state before the synchronous dagre call.
    await new Promise((r) => setTimeout(r, 16));
    if (pending?.id !== p.id) return p.reject(new LayoutSupersededError());
    pending = null;
    try {
      p.resolve(layoutGraph(p.visible, p.options));
    } catch (error) {
      p.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const startWorker = (): Worker | null => {
    if (workerBroken) return null;
    try {
      const w = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'graph-layout' });
      w.onmessage = (event: MessageEvent<{ id: number; layout?: GraphLayout; error?: string }>) => {
        const p = pending;
        if (!p || p.id !== event.data.id) return;
        pending = null;
        if (event.data.layout) p.resolve(event.data.layout);
        else p.reject(new Error(event.data.error ?? 'layout failed'));
      };
      w.onerror = (event) => {
        event.preventDefault();
        workerBroken = true;
        w.terminate();
        if (worker === w) worker = null;
        const p = pending;
        if (p) void onMainThread(p);
      };
      return w;
    } catch {
      workerBroken = true;
      return null;
    }
  };

  return {
    run(visible, options) {
      return new Promise<GraphLayout>((resolve, reject) => {
        if (pending) {
          pending.reject(new LayoutSupersededError());
          // The worker is busy with stale work: replace it rather than wait.
          worker?.terminate();
          worker = null;
        }
        const p: Pending = { id: nextId++, visible, options, resolve, reject };
        pending = p;
        worker ??= startWorker();
        if (worker) worker.postMessage({ id: p.id, visible, options });
        else void onMainThread(p);
      });
    },
    get usesWorker() {
      return !workerBroken;
    },
    dispose() {
      worker?.terminate();
      worker = null;
      pending?.reject(new LayoutSupersededError());
      pending = null;
    },
  };
}
