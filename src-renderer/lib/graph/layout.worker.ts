/** Web Worker entry: runs dagre off the UI thread. Messages: `{ id, visible, options }` → `{ id, layout }` or `{ id, error }`. */
import { layoutGraph, type LayoutOptions } from './layout.js';
import type { VisibleGraph } from './model.js';

type Request = { id: number; visible: VisibleGraph; options?: LayoutOptions };

self.onmessage = (event: MessageEvent<Request>) => {
  const { id, visible, options } = event.data;
  try {
    self.postMessage({ id, layout: layoutGraph(visible, options) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
