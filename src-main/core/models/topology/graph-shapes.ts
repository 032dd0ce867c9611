/** Output shapes of TF graph ops from their attrs, operand shapes and small constants (the graph shape rules). */
import { broadcast, reshapeTo, spatialOut } from './shape-rules.js';
import type { Shape } from './types.js';

export type AttrValue = {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: Array<string | number>; s?: string[]; f?: number[]; b?: boolean[]; type?: string[] };
  shape?: { dim?: Array<{ size?: string | number }>; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: Array<{ size?: string | number }> }; intVal?: number[] };
};
export type GraphNodeDef = { name: string; op: string; input?: string[]; attr?: Record<string, AttrValue> };

const ELEMENTWISE_OPS = new Set([
  'Identity', 'Relu', 'Relu6', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'LeakyRelu', 'Softplus',
  'BiasAdd', 'FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', 'Rsqrt', 'Sqrt', 'Square', 'Exp', 'Log', 'Neg',
  'Abs', 'Floor', 'Ceil', 'Round', 'Cast', 'StopGradient', 'Snapshot', 'Erf', 'Prelu', 'AddN', 'Reciprocal', 'Sign',
  'ClipByValue', 'IdentityN',
]);
const BINARY_OPS = new Set(['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'FloorDiv']);
const REDUCTION_OPS = new Set(['Mean', 'Max', 'Min', 'Sum', 'Prod', 'All', 'Any']);

export const stripInput = (input: string): string => input.replace(/^\^/, '').replace(/:\d+$/, '');

export function attrString(value: AttrValue | undefined): string | undefined {
  if (value?.s === undefined) return undefined;
  try {
    return Buffer.from(value.s, 'base64').toString('utf8');
  } catch {
    return value.s;
  }
}

export function attrInts(value: AttrValue | undefined): number[] | undefined {
  return value?.list?.i?.map(Number);
}

export function attrShape(value: AttrValue | undefined): Shape | null {
  const shape = value?.shape;
  if (!shape || shape.unknownRank) return null;
  return (shape.dim ?? []).map((d) => {
    const size = Number(d.size ?? -1);
    return size >= 0 ? size : null;
  });
}

export function inferGraphShape(
  def: GraphNodeDef,
  inputShapes: (Shape | null)[],
  inputs: string[],
  constValues: (name: string) => number[] | undefined,
  weightShapes: Map<string, { shape: number[] }>,
): Shape | null {
  const attr = def.attr ?? {};
  const input = inputShapes[0] ?? null;
  const op = def.op;
  if (op === 'Placeholder') return attrShape(attr.shape);
  if (op === 'Const') {
    const w = weightShapes.get(def.name);
    if (w) return [...w.shape];
    const dims = attr.value?.tensor?.tensorShape?.dim;
    return dims ? dims.map((d) => Number(d.size ?? 0)) : [];
  }
  if (ELEMENTWISE_OPS.has(op)) return input;
  if (BINARY_OPS.has(op)) return broadcast(inputShapes);
  if (!input) return null;
  switch (op) {
    case 'Conv2D':
    case '_FusedConv2D':
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
    case 'MaxPool':
    case 'AvgPool': {
      if (input.length !== 4 || (attrString(attr.data_format) ?? 'NHWC') !== 'NHWC') return null;
      const pooling = op === 'MaxPool' || op === 'AvgPool';
      const filter = pooling ? null : inputShapes[1];
      const ksize = pooling ? attrInts(attr.ksize) : filter ? [1, filter[0], filter[1], 1] : undefined;
      if (!ksize || ksize.some((k) => k === null)) return null;
      const strides = attrInts(attr.strides) ?? [1, 1, 1, 1];
      const dilations = attrInts(attr.dilations) ?? [1, 1, 1, 1];
      const padding = attrString(attr.padding) ?? 'VALID';
      let [height, width] = [input[1], input[2]];
      if (padding === 'EXPLICIT') {
        const explicit = attrInts(attr.explicit_paddings) ?? [];
        if (height !== null) height += (explicit[2] ?? 0) + (explicit[3] ?? 0);
        if (width !== null) width += (explicit[4] ?? 0) + (explicit[5] ?? 0);
      }
      const same = padding === 'SAME';
      let channels: number | null = input[3];
      if (!pooling) {
        if (!filter) return null;
        channels = op.includes('Depthwise') ? (filter[2] === null || filter[3] === null ? null : filter[2] * filter[3]) : filter[3];
      }
      return [
        input[0],
        spatialOut(height, Number(ksize[1]), strides[1], dilations[1], same),
        spatialOut(width, Number(ksize[2]), strides[2], dilations[2], same),
        channels,
      ];
    }
    case 'MatMul':
    case '_FusedMatMul':
    case 'BatchMatMul':
    case 'BatchMatMulV2': {
      const other = inputShapes[1];
      if (!other || input.length < 2 || other.length < 2) return null;
      const transposeA = attr.transpose_a?.b ?? attr.adj_x?.b ?? false;
      const transposeB = attr.transpose_b?.b ?? attr.adj_y?.b ?? false;
      const rows = transposeA ? input[input.length - 1] : input[input.length - 2];
      const cols = transposeB ? other[other.length - 2] : other[other.length - 1];
      return [...input.slice(0, -2), rows, cols];
    }
    case 'Squeeze': {
      const dims = attrInts(attr.squeeze_dims) ?? attrInts(attr.axis);
      const rank = input.length;
      const drop = dims && dims.length ? new Set(dims.map((d) => (d + rank) % rank)) : new Set(input.flatMap((d, i) => (d === 1 ? [i] : [])));
      return input.filter((_, i) => !drop.has(i));
    }
    case 'Reshape': {
      const target = constValues(inputs[1]);
      return target ? reshapeTo(input, target, false) : null;
    }
    case 'ExpandDims': {
      const axis = constValues(inputs[1])?.[0];
      if (axis === undefined) return null;
      const at = axis < 0 ? input.length + 1 + axis : axis;
      return [...input.slice(0, at), 1, ...input.slice(at)];
    }
    case 'ConcatV2': {
      const axisValue = constValues(inputs[inputs.length - 1])?.[0];
      const parts = inputShapes.slice(0, -1);
      if (axisValue === undefined || parts.some((s) => !s)) return null;
      const rank = input.length;
      const axis = (axisValue + rank) % rank;
      const out = [...input];
      out[axis] = (parts as Shape[]).reduce<number | null>((sum, s) => (sum === null || s[axis] === null ? null : sum + (s[axis] as number)), 0);
      return out;
    }
    case 'Pad':
    case 'PadV2':
    case 'MirrorPad': {
      const paddings = constValues(inputs[1]);
      if (!paddings) return null;
      return input.map((d, i) => (d === null ? null : d + (paddings[2 * i] ?? 0) + (paddings[2 * i + 1] ?? 0)));
    }
  }
  if (REDUCTION_OPS.has(op)) {
    const axes = constValues(inputs[1]);
    if (!axes) return null;
    const rank = input.length;
    const reduced = new Set(axes.map((a) => (a + rank) % rank));
    const keep = attr.keep_dims?.b ?? attr.keepDims?.b ?? false;
    return keep ? input.map((d, i) => (reduced.has(i) ? 1 : d)) : input.filter((_, i) => !reduced.has(i));
  }
  return null;
}
