/**
 * TF.js layers model → ONNX ModelProto.
 *
 * Layout: the graph boundary stays NHWC like TF.js. Every rank-4 value inside the graph
 * is kept NCHW (ONNX's native conv layout): graph inputs of rank 4 are transposed once,
 * rank-4 graph outputs are transposed back. Layers that depend on the memory order
 * (Flatten, Reshape, Permute, Dense on a 4-D input) transpose to NHWC locally first, so
 * their results match Keras exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { attr, GraphBuilder, type OnnxDim } from './graph-builder.js';
import { planModels, type GraphPlan, type KerasShape, type PlanStep } from './plan.js';

/** Bump when the converter's output changes, so cached `.onnx` files are rebuilt. */
export const CONVERTER_VERSION = '1';

/** The default (and minimum) ONNX opset; Softmax's `axis` semantics and Pad/Clip inputs need 13. */
export const DEFAULT_OPSET = 13;

/** Options for {@link convertLayersModelToOnnx}. */
export type ConvertOptions = {
  /** Default-domain opset, 13–21. Default 13. */
  opset?: number;
  /** Graph input name. Default `input` (multi-input models: `input_0`, `input_1`, …). */
  inputName?: string;
  /** Graph output name. Default `output` (multi-output models: `output_0`, …). */
  outputName?: string;
  /**
   * When true, a rank-4 output `[N,H,W,C]` is globally average-pooled to `[N,C]` inside the
   * graph (what a FeatureExtractor does with 4-D bottlenecks). Default false.
   */
  poolSpatialOutputs?: boolean;
  /** Extra `metadata_props` stored in the model (e.g. labels, app version). */
  metadata?: Record<string, string>;
};

/** What a conversion produced. */
export type ConversionResult = {
  bytes: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  /** Graph input shapes, NHWC, batch as the string `N`. */
  inputShapes: OnnxDim[][];
  outputShapes: OnnxDim[][];
  opset: number;
  nodeCount: number;
};

function unsupported(layer: tf.layers.Layer, why?: string): CoreError {
  const className = layer.getClassName();
  return new CoreError(
    'UNSUPPORTED_LAYER',
    `Layer '${layer.name}' (${className}) cannot be converted to ONNX yet${why ? ` (${why})` : ''}; Retrain Studio will use TF.js for this model.`,
    { layer: layer.name, className, ...(why ? { reason: why } : {}) },
  );
}

type Config = Record<string, unknown>;

/** A value inside the ONNX graph plus its Keras (NHWC) shape. Rank-4 values are stored NCHW. */
type Value = { name: string; shape: KerasShape };

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** Keras axis (NHWC, may be negative) → axis in the stored layout. */
function storedAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return rank === 4 ? TO_NHWC[a] : a;
}

function pair(value: unknown, fallback: number): [number, number] {
  if (value == null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  const v = value as number[];
  return [v[0], v.length > 1 ? v[1] : v[0]];
}

/** Reads a layer's weight variable by its property name (`kernel`, `gamma`, …) as float32 data. */
function weight(layer: tf.layers.Layer, property: string): { shape: number[]; data: Float32Array } | undefined {
  const variable = (layer as unknown as Record<string, { read(): tf.Tensor } | null | undefined>)[property];
  if (!variable) return undefined;
  const tensor = variable.read();
  return { shape: tensor.shape, data: tensor.dataSync() as Float32Array };
}

function requireWeight(layer: tf.layers.Layer, property: string): { shape: number[]; data: Float32Array } {
  const w = weight(layer, property);
  if (!w) throw unsupported(layer, `its ${property} weights are missing`);
  return w;
}

/** Permutes a dense row-major array of `shape` by `perm` (like numpy.transpose). */
function transposeData(data: Float32Array, shape: number[], perm: number[]): { shape: number[]; data: Float32Array } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strideForOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let offset = 0;
    for (let d = 0; d < rank; d++) offset += index[d] * strideForOut[d];
    out[o] = data[offset];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/**
 * Explicit pads `[top, left, bottom, right]` for TF's padding modes, or `undefined` when
 * the spatial size is unknown (then the caller uses auto_pad SAME_UPPER, which is the same rule:
 * the odd extra pixel goes at the bottom/right).
 */
function tfPads(
  padding: string,
  inputHW: [number | null, number | null],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): number[] | undefined {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (inputHW[0] == null || inputHW[1] == null) return undefined;
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const size = inputHW[i] as number;
    const effectiveKernel = (kernel[i] - 1) * dilations[i] + 1;
    const out = Math.ceil(size / strides[i]);
    const total = Math.max((out - 1) * strides[i] + effectiveKernel - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [before[0], before[1], after[0], after[1]];
}

class Converter {
  /** Initializers per (layer, weight, layout), so a layer applied twice stores its weights once. */
  private readonly layerTensors = new Map<tf.layers.Layer, Map<string, string>>();

  constructor(readonly g: GraphBuilder) {}

  /** The initializer for `layer`'s weight `key` with `dims`, built by `produce` on first use. */
  layerTensor(layer: tf.layers.Layer, key: string, dims: number[], produce: () => Float32Array): string {
    let perLayer = this.layerTensors.get(layer);
    if (!perLayer) this.layerTensors.set(layer, (perLayer = new Map()));
    const cacheKey = `${key}|${dims.join(',')}`;
    let name = perLayer.get(cacheKey);
    if (!name) {
      name = this.g.addFloatTensor(`${layer.name}/${key}`, dims, produce());
      perLayer.set(cacheKey, name);
    }
    return name;
  }

  transpose(name: string, perm: number[], base: string): string {
    return this.g.op('Transpose', [name], base, { perm: attr.ints(perm) });
  }

  /** The value in plain Keras (NHWC) memory order. */
  toKerasLayout(v: Value, base: string): string {
    return v.shape.length === 4 ? this.transpose(v.name, TO_NHWC, `${base}_nhwc`) : v.name;
  }

  /** A value produced in Keras layout, stored in the internal layout. */
  fromKerasLayout(name: string, shape: KerasShape, base: string): string {
    return shape.length === 4 ? this.transpose(name, TO_NCHW, `${base}_nchw`) : name;
  }

  clip(x: string, min: number, max: number, base: string): string {
    return this.g.op('Clip', [x, this.g.floatConstant([], [min]), this.g.floatConstant([], [max])], base);
  }

  /** Applies a serialized tfjs activation (`relu6`, `hardSigmoid`, …) along the channel axis. */
  activation(layer: tf.layers.Layer, x: string, rank: number, activation: unknown, base: string): string {
    const name = String(activation ?? 'linear');
    const g = this.g;
    const channelAxis = rank === 4 ? 1 : rank - 1;
    switch (name) {
      case 'linear':
        return x;
      case 'relu':
        return g.op('Relu', [x], base);
      case 'relu6':
        return this.clip(x, 0, 6, base);
      case 'sigmoid':
        return g.op('Sigmoid', [x], base);
      case 'hardSigmoid':
        // tfjs: clip(0.2 x + 0.5, 0, 1), which is ONNX HardSigmoid's default form.
        return g.op('HardSigmoid', [x], base, { alpha: attr.float(0.2), beta: attr.float(0.5) });
      case 'tanh':
        return g.op('Tanh', [x], base);
      case 'softmax':
        return g.op('Softmax', [x], base, { axis: attr.int(channelAxis) });
      case 'logSoftmax':
        return g.op('LogSoftmax', [x], base, { axis: attr.int(channelAxis) });
      case 'elu':
        return g.op('Elu', [x], base, { alpha: attr.float(1) });
      case 'selu':
        return g.op('Selu', [x], base);
      case 'softplus':
        return g.op('Softplus', [x], base);
      case 'softsign':
        return g.op('Softsign', [x], base);
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x], `${base}_sigmoid`)], base);
      case 'mish': {
        const t = g.op('Tanh', [g.op('Softplus', [x], `${base}_softplus`)], `${base}_tanh`);
        return g.op('Mul', [x, t], base);
      }
      case 'gelu': {
        const e = g.op('Erf', [g.op('Div', [x, g.floatConstant([], [Math.SQRT2])], `${base}_div`)], `${base}_erf`);
        const cdf = g.op('Mul', [g.op('Add', [e, g.floatConstant([], [1])], `${base}_add`), g.floatConstant([], [0.5])], `${base}_cdf`);
        return g.op('Mul', [x, cdf], base);
      }
      default:
        throw unsupported(layer, `activation '${name}'`);
    }
  }

  convolution(
    layer: tf.layers.Layer,
    config: Config,
    x: Value,
    weightName: string,
    groups: number,
  ): string {
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
    return this.g.op('Conv', [x.name, weightName], layer.name, attributes);
  }

  convertStep(step: PlanStep, inputs: Value[]): string[] {
    const { layer } = step;
    const g = this.g;
    const className = layer.getClassName();
    const config = layer.getConfig() as Config;
    const x = inputs[0];
    const outShape = step.outputs[0].shape;
    const base = layer.name;
    const rank = x?.shape.length ?? 0;

    if ('dataFormat' in config && config.dataFormat !== 'channelsLast') {
      throw unsupported(layer, `data format ${String(config.dataFormat)}`);
    }

    switch (className) {
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        // Inference: identity.
        return [x.name];

      case 'Conv2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const k = requireWeight(layer, 'kernel');
        const groups = typeof config.groups === 'number' ? config.groups : 1;
        // [kh, kw, in/groups, out] → [out, in/groups, kh, kw]
        const w = transposeData(k.data, k.shape, [3, 2, 0, 1]);
        let y = this.convolution(layer, config, x, this.layerTensor(layer, 'kernel', w.shape, () => w.data), groups);
        y = this.addBias(layer, y, 4, base);
        return [this.activation(layer, y, 4, config.activation, `${base}_act`)];
      }

      case 'DepthwiseConv2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const k = requireWeight(layer, 'depthwiseKernel');
        const [kh, kw, channels, multiplier] = k.shape;
        // [kh, kw, C, M] → [C*M, 1, kh, kw]; output channel c*M+m, as in TF.
        const w = transposeData(k.data, k.shape, [2, 3, 0, 1]);
        const dims = [channels * multiplier, 1, kh, kw];
        let y = this.convolution(layer, config, x, this.layerTensor(layer, 'depthwise_kernel', dims, () => w.data), channels);
        y = this.addBias(layer, y, 4, base);
        return [this.activation(layer, y, 4, config.activation, `${base}_act`)];
      }

      case 'SeparableConv2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const dk = requireWeight(layer, 'depthwiseKernel');
        const pk = requireWeight(layer, 'pointwiseKernel');
        const [kh, kw, channels, multiplier] = dk.shape;
        const dw = transposeData(dk.data, dk.shape, [2, 3, 0, 1]);
        const dDims = [channels * multiplier, 1, kh, kw];
        const depthwise = this.convolution(layer, config, x, this.layerTensor(layer, 'depthwise_kernel', dDims, () => dw.data), channels);
        const pw = transposeData(pk.data, pk.shape, [3, 2, 0, 1]);
        let y = g.op('Conv', [depthwise, this.layerTensor(layer, 'pointwise_kernel', pw.shape, () => pw.data)], `${base}_pointwise`, {
          kernel_shape: attr.ints([1, 1]),
        });
        y = this.addBias(layer, y, 4, base);
        return [this.activation(layer, y, 4, config.activation, `${base}_act`)];
      }

      case 'Dense': {
        const k = requireWeight(layer, 'kernel');
        const b = weight(layer, 'bias');
        const kernelName = this.layerTensor(layer, 'kernel', k.shape, () => k.data);
        let y: string;
        if (rank === 2) {
          const inputs2 = [x.name, kernelName];
          if (b) inputs2.push(this.layerTensor(layer, 'bias', b.shape, () => b.data));
          y = g.op('Gemm', inputs2, base);
        } else {
          // Dense acts on the last Keras axis, so work in NHWC for rank 4.
          y = g.op('MatMul', [this.toKerasLayout(x, base), kernelName], base);
          if (b) y = g.op('Add', [y, this.layerTensor(layer, 'bias', b.shape, () => b.data)], `${base}_bias`);
          y = this.fromKerasLayout(y, outShape, base);
        }
        return [this.activation(layer, y, outShape.length, config.activation, `${base}_act`)];
      }

      case 'BatchNormalization':
        return [this.batchNormalization(layer, config, x)];

      case 'Activation':
        return [this.activation(layer, x.name, rank, config.activation, base)];

      case 'ReLU': {
        const maxValue = config.maxValue as number | null | undefined;
        return [maxValue == null ? g.op('Relu', [x.name], base) : this.clip(x.name, 0, maxValue, base)];
      }
      case 'LeakyReLU':
        return [g.op('LeakyRelu', [x.name], base, { alpha: attr.float(Number(config.alpha ?? 0.3)) })];
      case 'ELU':
        return [g.op('Elu', [x.name], base, { alpha: attr.float(Number(config.alpha ?? 1)) })];
      case 'ThresholdedReLU':
        return [g.op('ThresholdedRelu', [x.name], base, { alpha: attr.float(Number(config.theta ?? 1)) })];
      case 'Softmax': {
        const axes = Array.isArray(config.axis) ? (config.axis as number[]) : [Number(config.axis ?? -1)];
        if (axes.length !== 1) throw unsupported(layer, 'softmax over several axes');
        return [g.op('Softmax', [x.name], base, { axis: attr.int(storedAxis(axes[0], rank)) })];
      }
      case 'PReLU': {
        const a = requireWeight(layer, 'alpha');
        // alpha has the input's non-batch shape (1 on shared axes); store it in the internal layout.
        const slope = rank === 4 ? transposeData(a.data, a.shape, [2, 0, 1]) : a;
        return [g.op('PRelu', [x.name, this.layerTensor(layer, 'alpha', slope.shape, () => slope.data)], base)];
      }

      case 'Rescaling': {
        const scale = Number(config.scale ?? 1);
        const offset = Number(config.offset ?? 0);
        let y = x.name;
        if (scale !== 1) y = g.op('Mul', [y, g.floatConstant([], [scale])], `${base}_scale`);
        if (offset !== 0) y = g.op('Add', [y, g.floatConstant([], [offset])], `${base}_offset`);
        return [y];
      }

      case 'Add':
      case 'Multiply':
      case 'Maximum':
      case 'Minimum':
      case 'Average':
      case 'Subtract': {
        if (inputs.some((v) => v.shape.length !== rank)) throw unsupported(layer, 'inputs of different ranks');
        const op = { Add: 'Add', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Average: 'Sum', Subtract: 'Sub' }[className] as string;
        let y: string;
        if (op === 'Sum' || op === 'Max' || op === 'Min') {
          y = g.op(op, inputs.map((v) => v.name), base);
        } else {
          y = inputs[0].name;
          for (let i = 1; i < inputs.length; i++) y = g.op(op, [y, inputs[i].name], inputs.length > 2 ? `${base}_${i}` : base);
        }
        if (className === 'Average') y = g.op('Mul', [y, g.floatConstant([], [1 / inputs.length])], `${base}_mean`);
        return [y];
      }

      case 'Concatenate': {
        if (inputs.some((v) => v.shape.length !== rank)) throw unsupported(layer, 'inputs of different ranks');
        return [g.op('Concat', inputs.map((v) => v.name), base, { axis: attr.int(storedAxis(Number(config.axis ?? -1), rank)) })];
      }

      case 'ZeroPadding2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const p = config.padding as [[number, number], [number, number]];
        const pads = [0, 0, p[0][0], p[1][0], 0, 0, p[0][1], p[1][1]];
        return [g.op('Pad', [x.name, g.int64Constant(pads)], base, { mode: attr.string('constant') })];
      }

      case 'Cropping2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const c = config.cropping as [[number, number], [number, number]];
        const end = (crop: number): number => (crop > 0 ? -crop : Number.MAX_SAFE_INTEGER);
        return [
          g.op('Slice', [x.name, g.int64Constant([c[0][0], c[1][0]]), g.int64Constant([end(c[0][1]), end(c[1][1])]), g.int64Constant([2, 3])], base),
        ];
      }

      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const kernel = pair(config.poolSize, 2);
        const strides = config.strides == null ? kernel : pair(config.strides, 1);
        const padding = String(config.padding ?? 'valid');
        if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
        const pads = tfPads(padding, [x.shape[1], x.shape[2]], kernel, strides, [1, 1]);
        const attributes = {
          kernel_shape: attr.ints(kernel),
          strides: attr.ints(strides),
          ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
          // TF averages over the valid pixels only.
          ...(className === 'AveragePooling2D' ? { count_include_pad: attr.int(0) } : {}),
        };
        return [g.op(className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x.name], base, attributes)];
      }

      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
        const pooled = g.op(className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [x.name], `${base}_pool`);
        if (outShape.length === 4) return [pooled];
        return [g.op('Flatten', [pooled], base, { axis: attr.int(1) })];
      }

      case 'GlobalAveragePooling1D':
      case 'GlobalMaxPooling1D': {
        if (rank !== 3) throw unsupported(layer, `input rank ${rank}`);
        const op = className === 'GlobalAveragePooling1D' ? 'ReduceMean' : 'ReduceMax';
        return [g.op(op, [x.name], base, { axes: attr.ints([1]), keepdims: attr.int(0) })];
      }

      case 'Flatten': {
        if (rank <= 2) return [x.name];
        return [g.op('Flatten', [this.toKerasLayout(x, base)], base, { axis: attr.int(1) })];
      }

      case 'Reshape': {
        const target = (config.targetShape as (number | null)[]).map((d) => (d == null ? -1 : d));
        // 0 copies the (dynamic) batch dimension from the input.
        const y = g.op('Reshape', [this.toKerasLayout(x, base), g.int64Constant([0, ...target])], base);
        return [this.fromKerasLayout(y, outShape, base)];
      }

      case 'Permute': {
        const dims = config.dims as number[];
        const y = this.transpose(this.toKerasLayout(x, base), [0, ...dims], base);
        return [this.fromKerasLayout(y, outShape, base)];
      }

      default:
        throw unsupported(layer);
    }
  }

  addBias(layer: tf.layers.Layer, y: string, rank: number, base: string): string {
    const b = weight(layer, 'bias');
    if (!b) return y;
    const dims = rank === 4 ? [b.data.length, 1, 1] : [b.data.length];
    return this.g.op('Add', [y, this.layerTensor(layer, 'bias', dims, () => b.data)], `${base}_bias`);
  }

  batchNormalization(layer: tf.layers.Layer, config: Config, x: Value): string {
    const g = this.g;
    const rank = x.shape.length;
    const axis = Number(config.axis ?? -1);
    if ((axis < 0 ? axis + rank : axis) !== rank - 1) throw unsupported(layer, `normalization axis ${axis} (only the channel axis is supported)`);
    const mean = requireWeight(layer, 'movingMean').data;
    const variance = requireWeight(layer, 'movingVariance').data;
    const channels = mean.length;
    const gamma = weight(layer, 'gamma')?.data ?? new Float32Array(channels).fill(1);
    const beta = weight(layer, 'beta')?.data ?? new Float32Array(channels);
    const epsilon = Number(config.epsilon ?? 1e-3);
    const base = layer.name;
    if (rank === 2 || rank === 4) {
      return g.op(
        'BatchNormalization',
        [
          x.name,
          this.layerTensor(layer, 'gamma', [channels], () => gamma),
          this.layerTensor(layer, 'beta', [channels], () => beta),
          this.layerTensor(layer, 'moving_mean', [channels], () => mean),
          this.layerTensor(layer, 'moving_variance', [channels], () => variance),
        ],
        base,
        { epsilon: attr.float(epsilon) },
      );
    }
    // Other ranks: channel is the last axis, fold into y = x * scale + shift (computed in float64).
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const s = gamma[c] / Math.sqrt(variance[c] + epsilon);
      scale[c] = s;
      shift[c] = beta[c] - mean[c] * s;
    }
    const scaled = g.op('Mul', [x.name, this.layerTensor(layer, 'scale', [channels], () => scale)], `${base}_scale`);
    return g.op('Add', [scaled, this.layerTensor(layer, 'shift', [channels], () => shift)], base);
  }
}

function onnxDims(shape: KerasShape, batchName: string): OnnxDim[] {
  return shape.map((d, i) => (i === 0 ? batchName : d == null ? `d${i}` : d));
}

/** Converts an already planned graph. Shared by the public entry points. */
export function convertPlan(plan: GraphPlan, options: ConvertOptions = {}): ConversionResult {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) {
    throw new CoreError('INVALID_ARGUMENT', `ONNX opset ${opset} is not supported: use a whole number from 13 to 21 (default 13).`);
  }
  // ReduceMean/ReduceMax take `axes` as an input from opset 18; keep attribute forms valid.
  if (opset >= 18 && plan.steps.some((s) => /^Global(Average|Max)Pooling1D$/.test(s.layer.getClassName()))) {
    throw new CoreError('INVALID_ARGUMENT', `ONNX opset ${opset} is not supported for 1-D global pooling; use opset 13–17.`);
  }
  const g = new GraphBuilder();
  const converter = new Converter(g);
  const values = new Map<number, Value>();

  const inputBase = options.inputName ?? 'input';
  const outputBase = options.outputName ?? 'output';
  const inputNames = plan.inputs.map((_, i) => (plan.inputs.length === 1 ? inputBase : `${inputBase}_${i}`));
  const outputNames = plan.outputs.map((_, i) => (plan.outputs.length === 1 ? outputBase : `${outputBase}_${i}`));
  // Boundary names first, so no layer (e.g. one called 'output') can take them.
  for (const name of [...inputNames, ...outputNames]) {
    try {
      g.reserve(name);
    } catch {
      throw new CoreError('INVALID_ARGUMENT', `ONNX input and output names must differ (got '${name}' twice).`);
    }
  }
  const inputShapes: OnnxDim[][] = [];
  plan.inputs.forEach((input, i) => {
    const name = inputNames[i];
    const dims = onnxDims(input.shape, 'N');
    g.addInput(name, dims);
    inputShapes.push(dims);
    const stored = input.shape.length === 4 ? converter.transpose(name, TO_NCHW, `${name}_nchw`) : name;
    values.set(input.key, { name: stored, shape: input.shape });
  });

  for (const step of plan.steps) {
    const inputs = step.inputs.map((v) => values.get(v.key) as Value);
    const names = converter.convertStep(step, inputs);
    if (names.length !== step.outputs.length) throw unsupported(step.layer, 'multiple outputs');
    step.outputs.forEach((v, i) => values.set(v.key, { name: names[i], shape: v.shape }));
  }

  const outputShapes: OnnxDim[][] = [];
  plan.outputs.forEach((output, i) => {
    const name = outputNames[i];
    const value = values.get(output.key) as Value;
    let shape = output.shape;
    if (shape.length === 4 && options.poolSpatialOutputs) {
      const pooled = g.op('GlobalAveragePool', [value.name], `${name}_pool`);
      g.addNode('Flatten', [pooled], [name], { axis: attr.int(1) });
      shape = [shape[0], shape[3]];
    } else if (shape.length === 4) {
      g.addNode('Transpose', [value.name], [name], { perm: attr.ints(TO_NHWC) });
    } else {
      g.addNode('Identity', [value.name], [name]);
    }
    const dims = onnxDims(shape, 'N');
    g.addOutput(name, dims);
    outputShapes.push(dims);
  });

  const bytes = g.encode({
    opset,
    graphName: 'retrain_studio',
    producerName: 'retrain-studio',
    producerVersion: CONVERTER_VERSION,
    metadata: options.metadata,
  });
  return { bytes, inputNames, outputNames, inputShapes, outputShapes, opset, nodeCount: g.nodeCount };
}

/**
 * Converts a loaded TF.js layers model (functional or Sequential, nested models inlined) to
 * an ONNX ModelProto. The ONNX input is `[N,H,W,C]` float32 like TF.js, with a dynamic batch
 * dimension `N`; the output matches `model.predict` (rank-4 outputs stay NHWC).
 *
 * Supported layers: InputLayer, Conv2D, DepthwiseConv2D, SeparableConv2D, Dense,
 * BatchNormalization, Activation (linear, relu, relu6, sigmoid, hardSigmoid, tanh, softmax,
 * logSoftmax, elu, selu, softplus, softsign, swish, mish, gelu), ReLU (incl. max_value),
 * LeakyReLU, ELU, ThresholdedReLU, PReLU, Softmax, Rescaling, Add, Subtract, Multiply,
 * Average, Maximum, Minimum, Concatenate, ZeroPadding2D, Cropping2D, Max/AveragePooling2D,
 * Global{Average,Max}Pooling{1D,2D}, Flatten, Reshape, Permute, and the dropout/noise layers
 * (identity at inference). `channelsFirst` data formats are not supported.
 *
 * @throws CoreError `UNSUPPORTED_LAYER` naming the first layer that cannot be converted
 *   (`details.layer`, `details.className`); `INVALID_ARGUMENT` for an opset outside 13–21.
 */
export function convertLayersModelToOnnx(model: tf.LayersModel, options: ConvertOptions = {}): Uint8Array {
  return convertPlan(planModels([model]), options).bytes;
}

/**
 * Like {@link convertLayersModelToOnnx} but returns names, shapes and node count too, and
 * accepts a chain of models applied one after another (e.g. `[backbone, head]`: the head's
 * inputs are fed by the backbone's outputs).
 */
export function convertLayersModelsToOnnx(models: tf.LayersModel | tf.LayersModel[], options: ConvertOptions = {}): ConversionResult {
  return convertPlan(planModels(Array.isArray(models) ? models : [models]), options);
}
