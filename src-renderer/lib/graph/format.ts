/** Small formatters for the graph and runs views. Pure functions, no DOM. */

/** A tensor shape as the app writes it everywhere: `[null,224,224,3]`; `?` when unknown. */
export function formatShape(shape: readonly (number | null)[] | null | undefined): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(',')}]`;
}

/** A parameter count in short form: 0, 864, 12.3K, 1.66M, 2.1B. */
export function formatParams(count: number): string {
  if (!Number.isFinite(count) || count <= 0) return '0';
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, suffix] of units) {
    if (count >= size) {
      const value = count / size;
      return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}${suffix}`;
    }
  }
  return String(Math.round(count));
}

/** A count with thousands separators (en-US), e.g. 1,234,567. */
export function formatInteger(count: number): string {
  return Math.round(count).toLocaleString('en-US');
}

/** A duration in ms as `850 ms`, `12.4 s`, `3 min 05 s` or `1 h 02 min`; `—` when absent. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(s - minutes * 60)).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes - hours * 60).padStart(2, '0')} min`;
}

/** A fraction as a percentage with one decimal, e.g. 0.8734 → `87.3%`; `—` when absent. */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(1)}%`;
}
