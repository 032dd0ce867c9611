/** Shape arithmetic shared by the layer and graph shape rules. */
import type { Shape } from './types.js';

export function toShape(value: unknown): Shape | null {
  if (!Array.isArray(value)) return null;
  return value.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
}

export function broadcast(shapes: (Shape | null)[]): Shape | null {
  const known = shapes.filter((s): s is Shape => !!s);
  if (known.length === 0) return null;
  const rank = Math.max(...known.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of known) {
      const d = s[s.length - rank + i];
      if (d === undefined) continue;
      if (d === null) dim = dim === 1 ? null : dim;
      else if (d !== 1) dim = d;
    }
    out.push(dim);
  }
  return out;
}

export function spatialOut(size: number | null, kernel: number, stride: number, dilation: number, same: boolean): number | null {
  if (size === null) return null;
  const effective = (kernel - 1) * dilation + 1;
  return same ? Math.ceil(size / stride) : Math.max(0, Math.ceil((size - effective + 1) / stride));
}

export const pair = (value: unknown, fallback: number): [number, number] => {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
};

export function product(shape: Shape): number | null {
  let p = 1;
  for (const d of shape) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

export function reshapeTo(input: Shape | null, target: number[], keepsBatch: boolean): Shape | null {
  const dims: Shape = target.map((d) => (d >= 0 ? d : null));
  const unknown = dims.indexOf(null);
  if (unknown >= 0 && input) {
    const total = product(keepsBatch ? input.slice(1) : input);
    const rest = product(dims.filter((_, i) => i !== unknown));
    if (total !== null && rest) dims[unknown] = total / rest;
  }
  return keepsBatch ? [input ? input[0] ?? null : null, ...dims] : dims;
}
