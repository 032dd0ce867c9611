/**
 * TensorFlow ops of TF.js graph models → ONNX nodes, one converter per op. The ops are those
 * TF Hub image models (MobileNet v1/v2/v3, Inception v3) use after the tfjs-converter's
 * optimisations: fused convolutions and matmuls, elementwise arithmetic, pooling, reductions
 * and the shape ops around them. Semantics follow TensorFlow's op definitions (NHWC).
 */
import { attr } from '../graph-builder.js';
import { tfPads, transposeData } from '../layers/context.js';
import { GraphContext, storedAxisOf, unsupportedNode, type GValue, type Shape } from './context.js';
import { attrBool, attrFloat, attrInts, attrString, attrStrings, type TfNode } from './tf-graph.js';

/** One node to convert: its already converted inputs (control edges dropped). */
export type OpStep = { c: GraphContext; node: TfNode; inputs: GValue[]; base: string };

/** The converted output 0 of the node. */
export type OpResult = { name: string; shape: Shape } | GValue;

export type OpConverter = (s: OpStep) => OpResult;

function requireRank(node: TfNode, v: GValue, rank: number): void {
  if (v.shape.length !== rank) throw unsupportedNode(node, `input rank ${v.shape.length}, expected ${rank}`);
}

function requireNhwc(node: TfNode): void {
  const format = attrString(node, 'data_format', 'NHWC');
  if (format !== 'NHWC') throw unsupportedNode(node, `data format ${format}`);
}

/** TensorFlow's output size along one spatial axis. */
function outSize(size: number | null, kernel: number, stride: number, dilation: number, padding: string, padTotal = 0): number | null {
  if (size == null) return null;
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'SAME') return Math.ceil(size / stride);
  if (padding === 'VALID') return Math.floor((size - effective) / stride) + 1;
  return Math.floor((size + padTotal - effective) / stride) + 1;
}

/** Spatial attributes (kernel, strides, pads) shared by convolutions and pools. */
function spatial(node: TfNode, x: GValue, kernel: [number, number], dilations: [number, number]) {
  requireNhwc(node);
  const s = attrInts(node, 'strides');
  const strides: [number, number] = s.length === 4 ? [s[1], s[2]] : [1, 1];
  if (s.length === 4 && (s[0] !== 1 || s[3] !== 1)) throw unsupportedNode(node, 'strides over batch or channels');
  const padding = attrString(node, 'padding', 'VALID');
  let pads: number[] | undefined;
  if (padding === 'SAME' || padding === 'VALID') {
    pads = tfPads(padding.toLowerCase(), [x.shape[1], x.shape[2]], kernel, strides, dilations);
  } else if (padding === 'EXPLICIT') {
    const p = attrInts(node, 'explicit_paddings');
    if (p.length !== 8) throw unsupportedNode(node, 'explicit paddings are not 4 pairs');
    pads = [p[2], p[4], p[3], p[5]];
  } else {
    throw unsupportedNode(node, `padding '${padding}'`);
  }
  const attributes = {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
  };
  const size = (axis: 0 | 1): number | null =>
    outSize(x.shape[axis + 1], kernel[axis], strides[axis], dilations[axis], padding, pads ? pads[axis] + pads[axis + 2] : 0);
  return { attributes, strides, outHW: [size(0), size(1)] as Shape };
}

/** The activation a fused op applies after its bias. */
function activate(s: OpStep, y: string, activation: string | undefined, alphaInput: GValue | undefined, channelDims: number[]): string {
  const { c, node, base } = s;
  switch (activation) {
    case undefined:
      return y;
    case 'Relu':
      return c.g.op('Relu', [y], `${base}_relu`);
    case 'Relu6':
      return c.clip(y, 0, 6, `${base}_relu6`);
    case 'Elu':
      return c.g.op('Elu', [y], `${base}_elu`, { alpha: attr.float(1) });
    case 'Sigmoid':
      return c.g.op('Sigmoid', [y], `${base}_sigmoid`);
    case 'Tanh':
      return c.g.op('Tanh', [y], `${base}_tanh`);
    case 'LeakyRelu':
      return c.g.op('LeakyRelu', [y], `${base}_leaky`, { alpha: attr.float(attrFloat(node, 'leakyrelu_alpha', 0.2)) });
    case 'Prelu': {
      const alpha = c.floats(node, alphaInput, 'PReLU alpha');
      if (alpha.data.length !== channelDims[0]) throw unsupportedNode(node, 'PReLU alpha that is not per channel');
      return c.g.op('PRelu', [y, c.weight(`${base}/alpha`, channelDims, alpha.data)], `${base}_prelu`);
    }
    default:
      throw unsupportedNode(node, `fused activation ${activation}`);
  }
}

/** `fused_ops` of a _Fused* node: ['BiasAdd'] plus an optional activation. */
function fusedOps(node: TfNode): { bias: boolean; activation?: string } {
  const ops = attrStrings(node, 'fused_ops');
  if (ops.length === 0) return { bias: false };
  if (ops[0] !== 'BiasAdd') throw unsupportedNode(node, `fused ${ops[0]} (TF.js fuses only BiasAdd here)`);
  if (ops.length > 2) throw unsupportedNode(node, `fused ops ${ops.join(', ')}`);
  return { bias: true, activation: ops[1] };
}

/** Conv2D / DepthwiseConv2dNative, plain or fused with BiasAdd and an activation. */
function convolution(depthwise: boolean, fused: boolean): OpConverter {
  return (s) => {
    const { c, node, inputs, base } = s;
    const [x, filterValue] = inputs;
    requireRank(node, x, 4);
    const filter = c.floats(node, filterValue, 'filter');
    if (filter.shape.length !== 4) throw unsupportedNode(node, `filter of rank ${filter.shape.length}`);
    const [kh, kw, cin, last] = filter.shape;
    const d = attrInts(node, 'dilations');
    const dilations: [number, number] = d.length === 4 ? [d[1], d[2]] : [1, 1];
    const { attributes, outHW } = spatial(node, x, [kh, kw], dilations);
    let weight: string;
    let channels: number;
    let group = 1;
    if (depthwise) {
      // [kh, kw, C, M] → [C*M, 1, kh, kw]: output channel c*M+m, as in TensorFlow.
      channels = cin * last;
      group = cin;
      weight = c.weight(`${base}/filter`, [channels, 1, kh, kw], transposeData(filter.data, filter.shape, [2, 3, 0, 1]).data);
    } else {
      // [kh, kw, in, out] → [out, in, kh, kw]; a grouped conv has in = C / groups.
      channels = last;
      const inChannels = x.shape[3];
      if (inChannels != null && inChannels !== cin) {
        if (inChannels % cin !== 0) throw unsupportedNode(node, `filter for ${cin} channels on ${inChannels}`);
        group = inChannels / cin;
      }
      const w = transposeData(filter.data, filter.shape, [3, 2, 0, 1]);
      weight = c.weight(`${base}/filter`, w.shape, w.data);
    }
    const ops = fused ? fusedOps(node) : { bias: false };
    const convInputs = [c.value(node, x), weight];
    if (ops.bias) {
      const bias = c.floats(node, inputs[2], 'bias');
      if (bias.data.length !== channels) throw unsupportedNode(node, `bias of ${bias.data.length} values for ${channels} channels`);
      convInputs.push(c.weight(`${base}/bias`, [channels], bias.data));
    }
    let y = c.g.op('Conv', convInputs, base, { ...attributes, dilations: attr.ints(dilations), group: attr.int(group) });
    y = activate(s, y, ops.activation, inputs[3], [channels, 1, 1]);
    return { name: y, shape: [x.shape[0], outHW[0], outHW[1], channels] };
  };
}

/** MatMul / _FusedMatMul on matrices, as one Gemm. */
function matmul(fused: boolean): OpConverter {
  return (s) => {
    const { c, node, inputs, base } = s;
    const [a, b] = inputs;
    requireRank(node, a, 2);
    requireRank(node, b, 2);
    const transA = attrBool(node, 'transpose_a');
    const transB = attrBool(node, 'transpose_b');
    const ops = fused ? fusedOps(node) : { bias: false };
    const units = transB ? b.shape[0] : b.shape[1];
    const gemmInputs = [c.value(node, a), c.value(node, b)];
    if (ops.bias) {
      const bias = c.floats(node, inputs[2], 'bias');
      gemmInputs.push(c.weight(`${base}/bias`, [bias.data.length], bias.data));
    }
    let y = c.g.op('Gemm', gemmInputs, base, { transA: attr.int(transA ? 1 : 0), transB: attr.int(transB ? 1 : 0) });
    y = activate(s, y, ops.activation, inputs[3], [units ?? 0]);
    return { name: y, shape: [transA ? a.shape[1] : a.shape[0], units ?? null] };
  };
}

/** NumPy broadcasting of TensorFlow shapes (unknown stays unknown). */
function broadcastShapes(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      dim = d === null || dim === null ? (dim === 1 ? d : null) : d;
    }
    out.push(dim);
  }
  return out;
}

function elementwise(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Max' | 'Min'): OpConverter {
  return ({ c, node, inputs, base }) => {
    const [a, b] = inputs;
    if (!a || !b) throw unsupportedNode(node, 'fewer than 2 inputs');
    const shape = broadcastShapes([a.shape, b.shape]);
    return { name: c.g.op(op, [c.operand(node, a, shape.length), c.operand(node, b, shape.length)], base), shape };
  };
}

/** AddN: the sum of any number of same-shaped tensors. */
const addN: OpConverter = ({ c, node, inputs, base }) => {
  const shape = broadcastShapes(inputs.map((v) => v.shape));
  return { name: c.g.op('Sum', inputs.map((v) => c.operand(node, v, shape.length)), base), shape };
};

function unary(build: (c: GraphContext, x: string, base: string, node: TfNode) => string): OpConverter {
  return ({ c, node, inputs, base }) => ({ name: build(c, c.value(node, inputs[0]), base, node), shape: inputs[0].shape });
}

const simple = (op: string): OpConverter => unary((c, x, base) => c.g.op(op, [x], base));

/** Softmax and LogSoftmax act on TensorFlow's last axis. */
const softmax = (op: 'Softmax' | 'LogSoftmax'): OpConverter => ({ c, node, inputs, base }) => {
  const x = inputs[0];
  const rank = x.shape.length;
  if (rank < 1) throw unsupportedNode(node, 'a scalar input');
  return { name: c.g.op(op, [c.value(node, x)], base, { axis: attr.int(storedAxisOf(-1, rank)) }), shape: x.shape };
};

function pool(op: 'AveragePool' | 'MaxPool'): OpConverter {
  return ({ c, node, inputs, base }) => {
    const x = inputs[0];
    requireRank(node, x, 4);
    const k = attrInts(node, 'ksize');
    if (k.length !== 4 || k[0] !== 1 || k[3] !== 1) throw unsupportedNode(node, `pool size [${k.join(', ')}]`);
    const { attributes, outHW } = spatial(node, x, [k[1], k[2]], [1, 1]);
    // TensorFlow averages over the pixels inside the image only.
    const extra: Record<string, ReturnType<typeof attr.int>> = op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {};
    return { name: c.g.op(op, [c.value(node, x)], base, { ...attributes, ...extra }), shape: [x.shape[0], outHW[0], outHW[1], x.shape[3]] };
  };
}

/** Mean / Max / Min / Sum over constant axes. */
function reduction(op: 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSum'): OpConverter {
  return ({ c, node, inputs, base }) => {
    const [x, axesValue] = inputs;
    const rank = x.shape.length;
    const axes = c.ints(node, axesValue, 'reduction axes').map((a) => (a < 0 ? a + rank : a));
    const keep = attrBool(node, 'keep_dims');
    if (axes.length === 0) return x;
    const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
    if (keep) {
      const stored = axes.map((a) => storedAxisOf(a, rank));
      return { name: c.reduce(op, c.value(node, x), stored, true, base), shape };
    }
    const { input, axes: where } = c.dropAxes(node, x, axes, base);
    return { name: c.reduce(op, input, where, false, base), shape };
  };
}

const squeeze: OpConverter = ({ c, node, inputs, base }) => {
  const x = inputs[0];
  const rank = x.shape.length;
  let axes = attrInts(node, 'squeeze_dims').map((a) => (a < 0 ? a + rank : a));
  if (axes.length === 0) {
    if (x.shape.some((d) => d === null)) throw unsupportedNode(node, 'squeezing every size-1 axis of a shape not fully known');
    axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  if (axes.some((a) => x.shape[a] !== 1 && x.shape[a] !== null)) throw unsupportedNode(node, 'squeezing an axis whose size is not 1');
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0) return { name: c.value(node, x), shape };
  const { input, axes: where } = c.dropAxes(node, x, axes, base);
  return { name: c.g.op('Squeeze', [input, c.g.int64Constant(where)], base), shape };
};

const reshape: OpConverter = ({ c, node, inputs, base }) => {
  const [x, shapeValue] = inputs;
  const target = c.ints(node, shapeValue, 'target shape');
  if (target.includes(0)) throw unsupportedNode(node, 'a target shape with a 0');
  const known = x.shape.every((d) => d !== null) ? (x.shape as number[]).reduce((a, b) => a * b, 1) : null;
  const rest = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape: Shape = target.map((d, i) => (d !== -1 ? d : known !== null ? known / rest : i === 0 ? x.shape[0] : null));
  const y = c.g.op('Reshape', [c.toTfLayout(node, x, base), c.g.int64Constant(target)], base);
  return { name: c.fromTfLayout(y, shape, base), shape };
};

const concat: OpConverter = ({ c, node, inputs, base }) => {
  const values = inputs.slice(0, -1);
  const rank = values[0]?.shape.length ?? 0;
  if (values.length === 0 || values.some((v) => v.shape.length !== rank)) throw unsupportedNode(node, 'inputs of different ranks');
  const [axisRaw] = c.ints(node, inputs[inputs.length - 1], 'axis');
  const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
  const shape = values[0].shape.map((d, i) =>
    i !== axis ? d : values.every((v) => v.shape[i] !== null) ? values.reduce((sum, v) => sum + (v.shape[i] as number), 0) : null,
  );
  return { name: c.g.op('Concat', values.map((v) => c.operand(node, v, rank)), base, { axis: attr.int(storedAxisOf(axis, rank)) }), shape };
};

/** Pad / PadV2 (constant value) / MirrorPad (REFLECT). */
function pad(kind: 'Pad' | 'PadV2' | 'MirrorPad'): OpConverter {
  return ({ c, node, inputs, base }) => {
    const [x, paddingsValue] = inputs;
    const rank = x.shape.length;
    const p = c.ints(node, paddingsValue, 'paddings');
    if (p.length !== rank * 2) throw unsupportedNode(node, `${p.length / 2} padding pairs for rank ${rank}`);
    const begins = new Array<number>(rank);
    const ends = new Array<number>(rank);
    for (let a = 0; a < rank; a++) {
      const stored = storedAxisOf(a, rank);
      begins[stored] = p[2 * a];
      ends[stored] = p[2 * a + 1];
    }
    const padInputs = [c.value(node, x), c.g.int64Constant([...begins, ...ends])];
    let mode = 'constant';
    if (kind === 'PadV2') {
      const value = c.floats(node, inputs[2], 'pad value').data[0] ?? 0;
      if (value !== 0) padInputs.push(c.g.floatConstant([], [value]));
    } else if (kind === 'MirrorPad') {
      const m = attrString(node, 'mode', 'REFLECT');
      if (m !== 'REFLECT') throw unsupportedNode(node, `mirror mode ${m}`);
      mode = 'reflect';
    }
    const shape = x.shape.map((d, a) => (d === null ? null : d + p[2 * a] + p[2 * a + 1]));
    return { name: c.g.op('Pad', padInputs, base, { mode: attr.string(mode) }), shape };
  };
}

/** FusedBatchNorm (V2, V3) at inference: scale, offset, mean and variance are constants. */
const batchNorm: OpConverter = ({ c, node, inputs, base }) => {
  requireNhwc(node);
  if (attrBool(node, 'is_training')) throw unsupportedNode(node, 'batch statistics (is_training)');
  const [x, ...params] = inputs;
  const rank = x.shape.length;
  if (rank !== 4 && rank !== 2) throw unsupportedNode(node, `input rank ${rank}`);
  const names = ['scale', 'offset', 'mean', 'variance'].map((what, i) => {
    const p = c.floats(node, params[i], what);
    return c.weight(`${base}/${what}`, [p.data.length], p.data);
  });
  const epsilon = attrFloat(node, 'epsilon', 1e-3);
  return { name: c.g.op('BatchNormalization', [c.value(node, x), ...names], base, { epsilon: attr.float(epsilon) }), shape: x.shape };
};

const passThrough: OpConverter = ({ inputs }) => inputs[0];

/** Every op the graph converter knows, by TensorFlow op name. */
export const GRAPH_OPS: Record<string, OpConverter> = {
  Conv2D: convolution(false, false),
  _FusedConv2D: convolution(false, true),
  DepthwiseConv2dNative: convolution(true, false),
  FusedDepthwiseConv2dNative: convolution(true, true),
  MatMul: matmul(false),
  _FusedMatMul: matmul(true),
  BiasAdd: (s) => {
    requireNhwc(s.node);
    return elementwise('Add')(s);
  },
  Add: elementwise('Add'),
  AddV2: elementwise('Add'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  RealDiv: elementwise('Div'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  AddN: addN,
  Relu: simple('Relu'),
  Relu6: unary((c, x, base) => c.clip(x, 0, 6, base)),
  Elu: unary((c, x, base) => c.g.op('Elu', [x], base, { alpha: attr.float(1) })),
  Selu: simple('Selu'),
  LeakyRelu: unary((c, x, base, node) => c.g.op('LeakyRelu', [x], base, { alpha: attr.float(attrFloat(node, 'alpha', 0.2)) })),
  Sigmoid: simple('Sigmoid'),
  Tanh: simple('Tanh'),
  Softplus: simple('Softplus'),
  Neg: simple('Neg'),
  Abs: simple('Abs'),
  Exp: simple('Exp'),
  Log: simple('Log'),
  Sqrt: simple('Sqrt'),
  Reciprocal: simple('Reciprocal'),
  Rsqrt: unary((c, x, base) => c.g.op('Reciprocal', [c.g.op('Sqrt', [x], `${base}_sqrt`)], base)),
  Square: unary((c, x, base) => c.g.op('Mul', [x, x], base)),
  Softmax: softmax('Softmax'),
  LogSoftmax: softmax('LogSoftmax'),
  AvgPool: pool('AveragePool'),
  MaxPool: pool('MaxPool'),
  Mean: reduction('ReduceMean'),
  Max: reduction('ReduceMax'),
  Min: reduction('ReduceMin'),
  Sum: reduction('ReduceSum'),
  Squeeze: squeeze,
  Reshape: reshape,
  ConcatV2: concat,
  Pad: pad('Pad'),
  PadV2: pad('PadV2'),
  MirrorPad: pad('MirrorPad'),
  FusedBatchNorm: batchNorm,
  FusedBatchNormV2: batchNorm,
  FusedBatchNormV3: batchNorm,
  Identity: passThrough,
  StopGradient: passThrough,
  Snapshot: passThrough,
};
