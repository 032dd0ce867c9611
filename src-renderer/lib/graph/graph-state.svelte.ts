/**
 * The graph view's state, kept while the user is on other pages: which model or run is
 * shown, its described graph, the open groups per graph, and the bottleneck choice.
 */
import type { ModelGraph } from '../../../src-main/api/contract.js';
import { api, handleError } from '../api.js';
import { models } from '../state/models.svelte.js';
import { toasts } from '../state/toasts.svelte.js';

/** What the graph view shows: a model (catalog / imported) or a run's exported model. */
export type GraphSource = { kind: 'model'; id: string } | { kind: 'run'; id: string };

/** A stable string for a source (select values, cache keys). */
export function sourceKey(source: GraphSource): string {
  return `${source.kind}:${source.id}`;
}

/** Parses {@link sourceKey}'s output; null for anything else. */
export function parseSourceKey(key: string): GraphSource | null {
  const match = /^(model|run):(.+)$/s.exec(key);
  return match ? { kind: match[1] as 'model' | 'run', id: match[2] } : null;
}

export class GraphViewState {
  #source = $state.raw<GraphSource | null>(null);
  #graph = $state.raw<ModelGraph | null>(null);
  #loading = $state(false);
  #error = $state<string | null>(null);
  #expanded = $state.raw<Record<string, string[]>>({});
  #savingBottleneck = $state(false);
  #request = 0;

  /** The source shown (or being loaded). */
  get source(): GraphSource | null {
    return this.#source;
  }

  /** The described graph of `source`, once loaded. */
  get graph(): ModelGraph | null {
    return this.#graph;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /** Why the last load failed (also shown as a toast), for the inline notice. */
  get error(): string | null {
    return this.#error;
  }

  /** True while `setBottleneckNode` is in flight. */
  get savingBottleneck(): boolean {
    return this.#savingBottleneck;
  }

  /** The open groups remembered for a source, or null when the user never changed them. */
  expandedFor(source: GraphSource): string[] | null {
    return this.#expanded[sourceKey(source)] ?? null;
  }

  /** Remembers the open groups of a source (so coming back to the page keeps them). */
  rememberExpanded(source: GraphSource, groupIds: Iterable<string>): void {
    this.#expanded = { ...this.#expanded, [sourceKey(source)]: [...groupIds] };
  }

  /**
   * Shows `source`: `describeModel` for it (a run's model is exported first by the service
   * when needed). Does nothing when it is already shown, unless `reload`. A newer call wins
   * over one still loading.
   */
  async open(source: GraphSource, reload = false): Promise<ModelGraph | null> {
    const same = this.#source && sourceKey(this.#source) === sourceKey(source);
    if (same && !reload && (this.#graph || this.#loading)) return this.#graph;
    const request = ++this.#request;
    this.#source = source;
    if (!same) this.#graph = null;
    this.#loading = true;
    this.#error = null;
    try {
      const graph = await api.describeModel(source.kind === 'model' ? { modelId: source.id } : { runId: source.id });
      if (request !== this.#request) return null;
      this.#graph = graph;
      return graph;
    } catch (error) {
      if (request !== this.#request) return null;
      this.#error = handleError(error, 'Graph').message;
      return null;
    } finally {
      if (request === this.#request) this.#loading = false;
    }
  }

  /**
   * Makes `nodeId` the bottleneck of the shown model (`setBottleneckNode`): training and
   * bottleneck caching use it from the next run. Updates the models list and reloads the
   * graph so the highlight moves. Resolves the new feature size, or null on failure.
   */
  async useAsBottleneck(nodeId: string): Promise<number | null> {
    const source = this.#source;
    if (!source || source.kind !== 'model') return null;
    this.#savingBottleneck = true;
    try {
      const summary = await api.setBottleneckNode({ modelId: source.id, node: nodeId });
      models.upsert(summary);
      toasts.success(`${summary.name}: bottleneck is now ${summary.bottleneckNode} (${summary.featureSize} features). The next run uses it.`);
      await this.open(source, true);
      return summary.featureSize;
    } catch (error) {
      handleError(error, 'Use as bottleneck');
      return null;
    } finally {
      this.#savingBottleneck = false;
    }
  }

  reset(): void {
    this.#request++;
    this.#source = null;
    this.#graph = null;
    this.#loading = false;
    this.#error = null;
    this.#expanded = {};
    this.#savingBottleneck = false;
  }
}

export const graphView = new GraphViewState();
