/** Layers that move or pad values: Flatten, Reshape, Permute (in Keras memory order), ZeroPadding2D, Cropping2D. */
import { attr } from '../graph-builder.js';
import { unsupported, type LayerConverter } from './context.js';

export const RESHAPE_LAYERS: Record<string, LayerConverter> = {
  Flatten: ({ ctx, g, x, rank, base }) => {
    if (rank <= 2) return [x.name];
    return [g.op('Flatten', [ctx.toKerasLayout(x, base)], base, { axis: attr.int(1) })];
  },
  Reshape: ({ ctx, g, config, x, outShape, base }) => {
    const target = (config.targetShape as (number | null)[]).map((d) => (d == null ? -1 : d));
    // 0 copies the (dynamic) batch dimension from the input.
    const y = g.op('Reshape', [ctx.toKerasLayout(x, base), g.int64Constant([0, ...target])], base);
    return [ctx.fromKerasLayout(y, outShape, base)];
  },
  Permute: ({ ctx, config, x, outShape, base }) => {
    const dims = config.dims as number[];
    const y = ctx.transpose(ctx.toKerasLayout(x, base), [0, ...dims], base);
    return [ctx.fromKerasLayout(y, outShape, base)];
  },
  ZeroPadding2D: ({ g, layer, config, x, rank, base }) => {
    if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
    const p = config.padding as [[number, number], [number, number]];
    const pads = [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]];
    return [g.op('Pad', [x.name, g.int64Constant(pads)], base, { mode: attr.string('constant') })];
  },
  Cropping2D: ({ g, layer, config, x, rank, base }) => {
    if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
    const c = config.cropping as [[number, number], [number, number]];
    const end = (crop: number): number => (crop > 0 ? -crop : Number.MAX_SAFE_INTEGER);
    return [g.op('Slice', [x.name, g.int64Constant([c[0][0], c[1][0]]), g.int64Constant([end(c[0][1]), end(c[1][1])]), g.int64Constant([2, 3])], base)];
  },
};
