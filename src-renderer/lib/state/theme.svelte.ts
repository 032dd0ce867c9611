/**
 * Light/dark theme: follows `prefers-color-scheme` unless the user picks one (kept in
 * localStorage). Applied as `data-theme` on <html>; CSS variables do the rest.
 */

export type ThemeChoice = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'retrainStudio.theme';

export class ThemeState {
  #choice = $state<ThemeChoice>('system');
  #systemDark = $state(false);
  #resolved = $derived<'light' | 'dark'>(this.#choice === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.#choice);

  /** What the user picked. */
  get choice(): ThemeChoice {
    return this.#choice;
  }

  /** The theme in effect. */
  get resolved(): 'light' | 'dark' {
    return this.#resolved;
  }

  /** Reads the stored choice and watches the OS preference; returns a cleanup function. */
  start(): () => void {
    try {
      const stored = localStorage.getItem(STORAGE_KEY);
      if (stored === 'light' || stored === 'dark' || stored === 'system') this.#choice = stored;
    } catch {
      // No storage: keep the default.
    }
    const media = matchMedia('(prefers-color-scheme: dark)');
    this.#systemDark = media.matches;
    const onChange = (event: MediaQueryListEvent) => {
      this.#systemDark = event.matches;
      this.#apply();
    };
    media.addEventListener('change', onChange);
    this.#apply();
    return () => media.removeEventListener('change', onChange);
  }

  /** Sets and remembers the theme. */
  set(choice: ThemeChoice): void {
    this.#choice = choice;
    try {
      localStorage.setItem(STORAGE_KEY, choice);
    } catch {
      // Not remembered; still applied.
    }
    this.#apply();
  }

  /** Flips between light and dark (leaving "system"). */
  toggle(): void {
    this.set(this.#resolved === 'dark' ? 'light' : 'dark');
  }

  reset(): void {
    this.#choice = 'system';
    this.#apply();
  }

  #apply(): void {
    if (typeof document === 'undefined') return;
    const resolved = this.#choice === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.#choice;
    document.documentElement.dataset.theme = resolved;
    document.documentElement.style.colorScheme = resolved;
  }
}

export const theme = new ThemeState();
