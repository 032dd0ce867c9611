/** Normalization layers: BatchNormalization (inference form) and Rescaling. */
import { attr } from '../graph-builder.js';
import { requireWeight, unsupported, weight, type LayerConverter } from './context.js';

export const NORMALIZATION_LAYERS: Record<string, LayerConverter> = {
  BatchNormalization: ({ ctx, g, layer, config, x, base }) => {
    const rank = x.shape.length;
    const axis = Number(config.axis ?? -1);
    if ((axis < 0 ? axis + rank : axis) !== rank - 1) throw unsupported(layer, `normalization axis ${axis} (only the channel axis is supported)`);
    const mean = requireWeight(layer, 'movingMean').data;
    const variance = requireWeight(layer, 'movingVariance').data;
    const channels = mean.length;
    const gamma = weight(layer, 'gamma')?.data ?? new Float32Array(channels).fill(1);
    const beta = weight(layer, 'beta')?.data ?? new Float32Array(channels);
    const epsilon = Number(config.epsilon ?? 1e-3);
    if (rank === 2 || rank === 4) {
      return [
        g.op(
          'BatchNormalization',
          [
            x.name,
            ctx.layerTensor(layer, 'gamma', [channels], () => gamma),
            ctx.layerTensor(layer, 'beta', [channels], () => beta),
            ctx.layerTensor(layer, 'moving_mean', [channels], () => mean),
            ctx.layerTensor(layer, 'moving_variance', [channels], () => variance),
          ],
          base,
          { epsilon: attr.float(epsilon) },
        ),
      ];
    }
    // Other ranks: channel is the last axis, fold into y = x * scale + shift (computed in float64).
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const s = gamma[c] / Math.sqrt(variance[c] + epsilon);
      scale[c] = s;
      shift[c] = beta[c] - mean[c] * s;
    }
    const scaled = g.op('Mul', [x.name, ctx.layerTensor(layer, 'scale', [channels], () => scale)], `${base}_scale`);
    return [g.op('Add', [scaled, ctx.layerTensor(layer, 'shift', [channels], () => shift)], base)];
  },
  Rescaling: ({ g, config, x, base }) => {
    const scale = Number(config.scale ?? 1);
    const offset = Number(config.offset ?? 0);
    let y = x.name;
    if (scale !== 1) y = g.op('Mul', [y, g.floatConstant([], [scale])], `${base}_scale`);
    if (offset !== 0) y = g.op('Add', [y, g.floatConstant([], [offset])], `${base}_offset`);
    return [y];
  },
};
