/**
 * What every per-layer converter shares: the graph being built, the layout rules (rank-4
 * values are stored NCHW inside the graph, Keras shapes are NHWC), weight access, and the
 * error for a layer that cannot be converted.
 */
import type * as tf from '@tensorflow/tfjs';
import { CoreError } from '../../errors.js';
import { attr, type GraphBuilder } from '../graph-builder.js';
import type { KerasShape, PlanStep } from '../plan.js';

export type Config = Record<string, unknown>;

/** A value inside the ONNX graph plus its Keras (NHWC) shape. Rank-4 values are stored NCHW. */
export type Value = { name: string; shape: KerasShape };

export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

export function unsupported(layer: tf.layers.Layer, why?: string): CoreError {
  const className = layer.getClassName();
  return new CoreError(
    'UNSUPPORTED_LAYER',
    `Layer '${layer.name}' (${className}) cannot be converted to ONNX yet${why ? ` (${why})` : ''}; Retrain Studio will use TF.js for this model.`,
    { layer: layer.name, className, ...(why ? { reason: why } : {}) },
  );
}

/** Keras axis (NHWC, may be negative) → axis in the stored layout. */
export function storedAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return rank === 4 ? TO_NHWC[a] : a;
}

export function pair(value: unknown, fallback: number): [number, number] {
  if (value == null) return [fallback, fallback];
  if (typeof value === 'number') return [value, value];
  const v = value as number[];
  return [v[0], v.length > 1 ? v[1] : v[0]];
}

/** Reads a layer's weight variable by its property name (`kernel`, `gamma`, …) as float32 data. */
export function weight(layer: tf.layers.Layer, property: string): { shape: number[]; data: Float32Array } | undefined {
  const variable = (layer as unknown as Record<string, { read(): tf.Tensor } | null | undefined>)[property];
  if (!variable) return undefined;
  const tensor = variable.read();
  return { shape: tensor.shape, data: tensor.dataSync() as Float32Array };
}

export function requireWeight(layer: tf.layers.Layer, property: string): { shape: number[]; data: Float32Array } {
  const w = weight(layer, property);
  if (!w) throw unsupported(layer, `its ${property} weights are missing`);
  return w;
}

/** Permutes a dense row-major array of `shape` by `perm` (like numpy.transpose). */
export function transposeData(data: Float32Array, shape: number[], perm: number[]): { shape: number[]; data: Float32Array } {
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
export function tfPads(
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

/** The graph under construction plus the helpers converters build with. */
export class ConversionContext {
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
}

/** One layer application to convert, with what every converter reads. */
export type LayerStep = {
  ctx: ConversionContext;
  g: GraphBuilder;
  layer: tf.layers.Layer;
  className: string;
  config: Config;
  step: PlanStep;
  inputs: Value[];
  /** The first input. */
  x: Value;
  /** Rank of the first input (Keras). */
  rank: number;
  /** Keras shape of the (first) output. */
  outShape: KerasShape;
  /** Name prefix for the ONNX nodes: the layer's name. */
  base: string;
};

/** Converts one layer application; returns the ONNX value names of its outputs. */
export type LayerConverter = (s: LayerStep) => string[];
