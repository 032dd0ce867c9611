/**
 * TF.js layers model → ONNX ModelProto. Each layer is converted by its family's converter
 * (layers/: conv, dense, normalization, activations, merge, pooling, reshape, identity).
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
import { ConversionContext, LAYER_CONVERTERS, TO_NCHW, TO_NHWC, unsupported, type Value } from './layers/index.js';
import { planModels, type GraphPlan, type KerasShape, type PlanStep } from './plan.js';

/**
 * Bump when the converter's output changes, so cached `.onnx` files are rebuilt, and when it
 * learns a layer or op, so parity records of models it could not convert (parity-record.ts) are retried.
 */
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

/** Converts one planned layer application with its family's converter. */
function convertStep(ctx: ConversionContext, step: PlanStep, inputs: Value[]): string[] {
  const { layer } = step;
  const className = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  if ('dataFormat' in config && config.dataFormat !== 'channelsLast') {
    throw unsupported(layer, `data format ${String(config.dataFormat)}`);
  }
  const convert = LAYER_CONVERTERS[className];
  if (!convert) throw unsupported(layer);
  const x = inputs[0];
  return convert({
    ctx,
    g: ctx.g,
    layer,
    className,
    config,
    step,
    inputs,
    x,
    rank: x?.shape.length ?? 0,
    outShape: step.outputs[0].shape,
    base: layer.name,
  });
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
  const converter = new ConversionContext(g);
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
    const names = convertStep(converter, step, inputs);
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
