/**
 * What the graph-op converters share: values (ONNX name + TensorFlow NHWC shape, or a
 * constant not yet stored), the layout rule (rank-4 values are stored NCHW, as in the layers
 * converter), constants stored on first use, and the error for a node that cannot be converted.
 */
import { CoreError } from '../../errors.js';
import { attr, type GraphBuilder } from '../graph-builder.js';
import { TO_NCHW, TO_NHWC, transposeData } from '../layers/context.js';
import type { TfConst, TfNode } from './tf-graph.js';

/** A TensorFlow shape; `null` is unknown. */
export type Shape = (number | null)[];

/**
 * A value flowing through the graph. `shape` is TensorFlow's (NHWC for rank 4); `name` is
 * the ONNX value (stored NCHW when rank 4). Constants carry `constant` and get a name only
 * when an op needs them as a tensor (many are read at conversion time: weights, axes, shapes).
 */
export type GValue = { node: string; shape: Shape; name?: string; constant?: TfConst };

export function unsupportedNode(node: TfNode, why?: string): CoreError {
  return new CoreError(
    'UNSUPPORTED_LAYER',
    `Graph node '${node.name}' (${node.op}) cannot be converted to ONNX yet${why ? ` (${why})` : ''}; Retrain Studio will use TF.js for this model.`,
    { layer: node.name, className: node.op, ...(why ? { reason: why } : {}) },
  );
}

/** TensorFlow axis (may be negative) of a rank-`rank` value → its axis in the stored layout. */
export function storedAxisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return rank === 4 ? TO_NHWC[a] : a;
}

export class GraphContext {
  /** Stored constants by (node, layout), so a constant used by many ops is stored once. */
  private readonly stored = new Map<string, string>();

  constructor(
    readonly g: GraphBuilder,
    readonly opset: number,
  ) {}

  /** The constant behind `v`, or an error naming `node` and what it needed. */
  constant(node: TfNode, v: GValue | undefined, what: string): TfConst {
    if (!v?.constant) throw unsupportedNode(node, `its ${what} is computed in the graph, not a constant`);
    return v.constant;
  }

  /** Integer values of a constant (axes, shapes, paddings). */
  ints(node: TfNode, v: GValue | undefined, what: string): number[] {
    return Array.from(this.constant(node, v, what).data);
  }

  /** Float data of a constant (weights). */
  floats(node: TfNode, v: GValue | undefined, what: string): TfConst & { data: Float32Array } {
    const c = this.constant(node, v, what);
    if (!(c.data instanceof Float32Array)) throw unsupportedNode(node, `its ${what} is not float32`);
    return c as TfConst & { data: Float32Array };
  }

  /** A float32 initializer for weights read by an op (already in the layout it needs). */
  weight(base: string, dims: number[], data: Float32Array): string {
    return this.g.addFloatTensor(base, dims, data);
  }

  /**
   * `v` as an ONNX operand of an elementwise op whose other operands reach rank `targetRank`:
   * TensorFlow broadcasts from the right in NHWC, so a lower-rank operand of a rank-4 op is
   * padded to rank 4 with leading 1s and moved to NCHW like every rank-4 value.
   */
  operand(node: TfNode, v: GValue, targetRank: number): string {
    const rank = v.shape.length;
    const widen = targetRank === 4 && rank >= 1 && rank < 4;
    if (v.constant) {
      const key = `${v.node}|${widen || rank === 4 ? 'nchw' : 'plain'}`;
      const known = this.stored.get(key);
      if (known) return known;
      const c = this.floats(node, v, 'operand');
      let dims = c.shape;
      let data = c.data;
      if (widen || rank === 4) {
        const shape4 = [...new Array<number>(4 - rank).fill(1), ...c.shape];
        ({ shape: dims, data } = transposeData(c.data, shape4, TO_NCHW));
      }
      const name = this.g.addFloatTensor(v.node, dims, data);
      this.stored.set(key, name);
      return name;
    }
    const name = v.name as string;
    if (!widen) return name;
    const unsqueezed = this.g.op('Unsqueeze', [name, this.g.int64Constant(Array.from({ length: 4 - rank }, (_, i) => i))], `${v.node}_rank4`);
    return this.transpose(unsqueezed, TO_NCHW, `${v.node}_nchw`);
  }

  /** The ONNX name of a computed (or constant) value in its stored layout. */
  value(node: TfNode, v: GValue): string {
    return v.constant ? this.operand(node, v, v.shape.length) : (v.name as string);
  }

  transpose(name: string, perm: number[], base: string): string {
    return this.g.op('Transpose', [name], base, { perm: attr.ints(perm) });
  }

  /** `v` in TensorFlow's own memory order (NHWC for rank 4). */
  toTfLayout(node: TfNode, v: GValue, base: string): string {
    const name = this.value(node, v);
    return v.shape.length === 4 ? this.transpose(name, TO_NHWC, `${base}_nhwc`) : name;
  }

  /** A value produced in TensorFlow's memory order, stored in the internal layout. */
  fromTfLayout(name: string, shape: Shape, base: string): string {
    return shape.length === 4 ? this.transpose(name, TO_NCHW, `${base}_nchw`) : name;
  }

  clip(x: string, min: number, max: number, base: string): string {
    return this.g.op('Clip', [x, this.g.floatConstant([], [min]), this.g.floatConstant([], [max])], base);
  }

  /** ReduceMean/Max/Min/Sum over stored `axes`: axes are an attribute before opset 18 (ReduceSum: 13). */
  reduce(op: 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSum', x: string, axes: number[], keepdims: boolean, base: string): string {
    const keep = { keepdims: attr.int(keepdims ? 1 : 0) };
    if (op === 'ReduceSum' || this.opset >= 18) return this.g.op(op, [x, this.g.int64Constant(axes)], base, keep);
    return this.g.op(op, [x], base, { axes: attr.ints(axes), ...keep });
  }

  /**
   * Where to remove TensorFlow axes `axes` of `v` (Squeeze, reductions without keep_dims):
   * in the stored layout when what remains is in TensorFlow's order anyway (the channel axis
   * or both spatial axes go), otherwise after moving `v` to NHWC.
   */
  dropAxes(node: TfNode, v: GValue, axes: number[], base: string): { input: string; axes: number[] } {
    const rank = v.shape.length;
    const normal = axes.map((a) => (a < 0 ? a + rank : a));
    if (normal.some((a) => a < 0 || a >= rank)) throw unsupportedNode(node, `axis out of range for rank ${rank}`);
    if (rank !== 4) return { input: this.value(node, v), axes: normal };
    const keepsOrder = normal.includes(3) || (normal.includes(1) && normal.includes(2));
    if (keepsOrder) return { input: this.value(node, v), axes: normal.map((a) => TO_NHWC[a]).sort((a, b) => a - b) };
    return { input: this.toTfLayout(node, v, base), axes: [...normal].sort((a, b) => a - b) };
  }
}
