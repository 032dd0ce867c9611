/** Toast notifications: errors (from `handleError`), successes and notes. */

export type ToastKind = 'error' | 'success' | 'info';

export type Toast = { id: number; kind: ToastKind; message: string; code?: string; count: number };

/** How long a non-error toast stays, in ms; errors stay until dismissed (or 12 s). */
const INFO_DURATION_MS = 5000;
const ERROR_DURATION_MS = 12000;
/** At most this many toasts, and of them this many errors: older ones make room (a burst never fills the screen). */
export const MAX_TOASTS = 5;
export const MAX_ERROR_TOASTS = 3;

/** The visible toasts; an identical message already shown is counted, not repeated. */
export class ToastState {
  #toasts = $state.raw<Toast[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  get items(): Toast[] {
    return this.#toasts;
  }

  /** Shows an error message (stays 12 s or until dismissed). */
  error(message: string, code?: string): void {
    this.#push('error', message, code);
  }

  /** Shows a short success note. */
  success(message: string): void {
    this.#push('success', message);
  }

  /** Shows a short neutral note. */
  info(message: string): void {
    this.#push('info', message);
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.#toasts = this.#toasts.filter((toast) => toast.id !== id);
  }

  reset(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#toasts = [];
  }

  #push(kind: ToastKind, message: string, code?: string): void {
    const existing = this.#toasts.find((toast) => toast.kind === kind && toast.message === message);
    if (existing) {
      this.#toasts = this.#toasts.map((toast) => (toast === existing ? { ...toast, count: toast.count + 1 } : toast));
      this.#arm(existing.id, kind);
      return;
    }
    const toast: Toast = { id: this.#nextId++, kind, message, code, count: 1 };
    let next = [...this.#toasts, toast];
    const errors = next.filter((item) => item.kind === 'error');
    const drop = new Set([
      ...errors.slice(0, Math.max(0, errors.length - MAX_ERROR_TOASTS)).map((item) => item.id),
      ...next.slice(0, Math.max(0, next.length - MAX_TOASTS)).map((item) => item.id),
    ]);
    for (const id of drop) {
      clearTimeout(this.#timers.get(id));
      this.#timers.delete(id);
    }
    next = next.filter((item) => !drop.has(item.id));
    this.#toasts = next;
    this.#arm(toast.id, kind);
  }

  #arm(id: number, kind: ToastKind): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.set(id, setTimeout(() => this.dismiss(id), kind === 'error' ? ERROR_DURATION_MS : INFO_DURATION_MS));
  }
}

export const toasts = new ToastState();
