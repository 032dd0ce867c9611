/** Dense: Gemm on 2-D inputs; MatMul over the last Keras axis otherwise. */
import { applyActivation } from './activations.js';
import { requireWeight, weight, type LayerConverter } from './context.js';

export const DENSE_LAYERS: Record<string, LayerConverter> = {
  Dense: ({ ctx, g, layer, config, x, rank, outShape, base }) => {
    const k = requireWeight(layer, 'kernel');
    const b = weight(layer, 'bias');
    const kernelName = ctx.layerTensor(layer, 'kernel', k.shape, () => k.data);
    let y: string;
    if (rank === 2) {
      const inputs2 = [x.name, kernelName];
      if (b) inputs2.push(ctx.layerTensor(layer, 'bias', b.shape, () => b.data));
      y = g.op('Gemm', inputs2, base);
    } else {
      // Dense acts on the last Keras axis, so work in NHWC for rank 4.
      y = g.op('MatMul', [ctx.toKerasLayout(x, base), kernelName], base);
      if (b) y = g.op('Add', [y, ctx.layerTensor(layer, 'bias', b.shape, () => b.data)], `${base}_bias`);
      y = ctx.fromKerasLayout(y, outShape, base);
    }
    return [applyActivation(ctx, layer, y, outShape.length, config.activation, `${base}_act`)];
  },
};
