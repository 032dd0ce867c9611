/** Which view the app shell shows. */

export const VIEW_IDS = ['dataset', 'model', 'train', 'metrics', 'results', 'classify', 'runs', 'graph', 'label', 'health'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export class NavigationState {
  #view = $state<ViewId>('dataset');

  get view(): ViewId {
    return this.#view;
  }

  /** Shows a view; unknown ids are ignored. */
  go(view: ViewId): void {
    if ((VIEW_IDS as readonly string[]).includes(view)) this.#view = view;
  }

  reset(): void {
    this.#view = 'dataset';
  }
}

export const navigation = new NavigationState();
