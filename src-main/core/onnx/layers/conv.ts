/** Convolution layers: Conv2D (grouped too), DepthwiseConv2D, SeparableConv2D. */
import type * as tf from '@tensorflow/tfjs';
import { attr } from '../graph-builder.js';
import { applyActivation } from './activations.js';
import { pair, requireWeight, tfPads, transposeData, unsupported, weight, type Config, type ConversionContext, type LayerConverter, type LayerStep, type Value } from './context.js';

function convolution(c: ConversionContext, layer: tf.layers.Layer, config: Config, x: Value, weightName: string, groups: number): string {
  const kernel = pair(config.kernelSize, 1);
  const strides = pair(config.strides, 1);
  const dilations = pair(config.dilationRate, 1);
  const padding = String(config.padding ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
  const pads = tfPads(padding, [x.shape[1], x.shape[2]], kernel, strides, dilations);
  const attributes = {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    dilations: attr.ints(dilations),
    group: attr.int(groups),
    ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
  };
  return c.g.op('Conv', [x.name, weightName], layer.name, attributes);
}

/** Adds the layer's bias (if any) along the channel axis. */
function addBias(c: ConversionContext, layer: tf.layers.Layer, y: string, rank: number, base: string): string {
  const b = weight(layer, 'bias');
  if (!b) return y;
  const dims = rank === 4 ? [b.data.length, 1, 1] : [b.data.length];
  return c.g.op('Add', [y, c.layerTensor(layer, 'bias', dims, () => b.data)], `${base}_bias`);
}

function requireRank4({ layer, rank }: LayerStep): void {
  if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
}

export const CONV_LAYERS: Record<string, LayerConverter> = {
  Conv2D: (s) => {
    requireRank4(s);
    const { ctx, layer, config, x, base } = s;
    const k = requireWeight(layer, 'kernel');
    const groups = typeof config.groups === 'number' ? config.groups : 1;
    // [kh, kw, in/groups, out] → [out, in/groups, kh, kw]
    const w = transposeData(k.data, k.shape, [3, 2, 0, 1]);
    let y = convolution(ctx, layer, config, x, ctx.layerTensor(layer, 'kernel', w.shape, () => w.data), groups);
    y = addBias(ctx, layer, y, 4, base);
    return [applyActivation(ctx, layer, y, 4, config.activation, `${base}_act`)];
  },
  DepthwiseConv2D: (s) => {
    requireRank4(s);
    const { ctx, layer, config, x, base } = s;
    const k = requireWeight(layer, 'depthwiseKernel');
    const [kh, kw, channels, multiplier] = k.shape;
    // [kh, kw, C, M] → [C*M, 1, kh, kw]; output channel c*M+m, as in TF.
    const w = transposeData(k.data, k.shape, [2, 3, 0, 1]);
    const dims = [channels * multiplier, 1, kh, kw];
    let y = convolution(ctx, layer, config, x, ctx.layerTensor(layer, 'depthwise_kernel', dims, () => w.data), channels);
    y = addBias(ctx, layer, y, 4, base);
    return [applyActivation(ctx, layer, y, 4, config.activation, `${base}_act`)];
  },
  SeparableConv2D: (s) => {
    requireRank4(s);
    const { ctx, g, layer, config, x, base } = s;
    const dk = requireWeight(layer, 'depthwiseKernel');
    const pk = requireWeight(layer, 'pointwiseKernel');
    const [kh, kw, channels, multiplier] = dk.shape;
    const dw = transposeData(dk.data, dk.shape, [2, 3, 0, 1]);
    const dDims = [channels * multiplier, 1, kh, kw];
    const depthwise = convolution(ctx, layer, config, x, ctx.layerTensor(layer, 'depthwise_kernel', dDims, () => dw.data), channels);
    const pw = transposeData(pk.data, pk.shape, [3, 2, 0, 1]);
    let y = g.op('Conv', [depthwise, ctx.layerTensor(layer, 'pointwise_kernel', pw.shape, () => pw.data)], `${base}_pointwise`, {
      kernel_shape: attr.ints([1, 1]),
    });
    y = addBias(ctx, layer, y, 4, base);
    return [applyActivation(ctx, layer, y, 4, config.activation, `${base}_act`)];
  },
};
