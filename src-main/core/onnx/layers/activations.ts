/** Activation layers, and the serialized tfjs activations other layers apply (`activation: 'relu6'`). */
import { attr } from '../graph-builder.js';
import { requireWeight, storedAxis, transposeData, unsupported, type ConversionContext, type LayerConverter } from './context.js';
import type * as tf from '@tensorflow/tfjs';

type ActivationFunction = (c: ConversionContext, x: string, base: string, channelAxis: number) => string;

/** tfjs activation name → ONNX nodes. */
const ACTIVATIONS: Record<string, ActivationFunction> = {
  linear: (_c, x) => x,
  relu: (c, x, base) => c.g.op('Relu', [x], base),
  relu6: (c, x, base) => c.clip(x, 0, 6, base),
  sigmoid: (c, x, base) => c.g.op('Sigmoid', [x], base),
  // tfjs: clip(0.2 x + 0.5, 0, 1), which is ONNX HardSigmoid's default form.
  hardSigmoid: (c, x, base) => c.g.op('HardSigmoid', [x], base, { alpha: attr.float(0.2), beta: attr.float(0.5) }),
  tanh: (c, x, base) => c.g.op('Tanh', [x], base),
  softmax: (c, x, base, axis) => c.g.op('Softmax', [x], base, { axis: attr.int(axis) }),
  logSoftmax: (c, x, base, axis) => c.g.op('LogSoftmax', [x], base, { axis: attr.int(axis) }),
  elu: (c, x, base) => c.g.op('Elu', [x], base, { alpha: attr.float(1) }),
  selu: (c, x, base) => c.g.op('Selu', [x], base),
  softplus: (c, x, base) => c.g.op('Softplus', [x], base),
  softsign: (c, x, base) => c.g.op('Softsign', [x], base),
  swish: (c, x, base) => c.g.op('Mul', [x, c.g.op('Sigmoid', [x], `${base}_sigmoid`)], base),
  mish: (c, x, base) => {
    const t = c.g.op('Tanh', [c.g.op('Softplus', [x], `${base}_softplus`)], `${base}_tanh`);
    return c.g.op('Mul', [x, t], base);
  },
  gelu: (c, x, base) => {
    const g = c.g;
    const e = g.op('Erf', [g.op('Div', [x, g.floatConstant([], [Math.SQRT2])], `${base}_div`)], `${base}_erf`);
    const cdf = g.op('Mul', [g.op('Add', [e, g.floatConstant([], [1])], `${base}_add`), g.floatConstant([], [0.5])], `${base}_cdf`);
    return g.op('Mul', [x, cdf], base);
  },
};

/** Applies a serialized tfjs activation (`relu6`, `hardSigmoid`, …) along the channel axis. */
export function applyActivation(c: ConversionContext, layer: tf.layers.Layer, x: string, rank: number, activation: unknown, base: string): string {
  const name = String(activation ?? 'linear');
  const fn = Object.hasOwn(ACTIVATIONS, name) ? ACTIVATIONS[name] : undefined;
  if (!fn) throw unsupported(layer, `activation '${name}'`);
  return fn(c, x, base, rank === 4 ? 1 : rank - 1);
}

export const ACTIVATION_LAYERS: Record<string, LayerConverter> = {
  Activation: ({ ctx, layer, x, rank, config, base }) => [applyActivation(ctx, layer, x.name, rank, config.activation, base)],
  ReLU: ({ ctx, g, x, config, base }) => {
    const maxValue = config.maxValue as number | null | undefined;
    return [maxValue == null ? g.op('Relu', [x.name], base) : ctx.clip(x.name, 0, maxValue, base)];
  },
  LeakyReLU: ({ g, x, config, base }) => [g.op('LeakyRelu', [x.name], base, { alpha: attr.float(Number(config.alpha ?? 0.3)) })],
  ELU: ({ g, x, config, base }) => [g.op('Elu', [x.name], base, { alpha: attr.float(Number(config.alpha ?? 1)) })],
  ThresholdedReLU: ({ g, x, config, base }) => [g.op('ThresholdedRelu', [x.name], base, { alpha: attr.float(Number(config.theta ?? 1)) })],
  Softmax: ({ g, layer, x, rank, config, base }) => {
    const axes = Array.isArray(config.axis) ? (config.axis as number[]) : [Number(config.axis ?? -1)];
    if (axes.length !== 1) throw unsupported(layer, 'softmax over several axes');
    return [g.op('Softmax', [x.name], base, { axis: attr.int(storedAxis(axes[0], rank)) })];
  },
  PReLU: ({ ctx, g, layer, x, rank, base }) => {
    const a = requireWeight(layer, 'alpha');
    // alpha has the input's non-batch shape (1 on shared axes); store it in the internal layout.
    const slope = rank === 4 ? transposeData(a.data, a.shape, [2, 0, 1]) : a;
    return [g.op('PRelu', [x.name, ctx.layerTensor(layer, 'alpha', slope.shape, () => slope.data)], base)];
  },
};
