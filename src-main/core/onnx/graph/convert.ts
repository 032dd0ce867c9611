/**
 * TF.js graph model → ONNX ModelProto: the subgraph from the input Placeholder to one node
 * (the bottleneck, or the model's output), each node converted by its op's converter (ops.ts).
 * Layout as in the layers converter: the boundary is NHWC like TF.js, rank-4 values inside
 * are NCHW.
 */
import { CoreError } from '../../errors.js';
import { CONVERTER_VERSION, DEFAULT_OPSET, type ConversionResult } from '../convert.js';
import { attr, GraphBuilder, type OnnxDim } from '../graph-builder.js';
import { TO_NCHW, TO_NHWC } from '../layers/context.js';
import { GraphContext, unsupportedNode, type GValue, type Shape } from './context.js';
import { GRAPH_OPS } from './ops.js';
import { parseInput, placeholderShape, type TfGraph, type TfNode } from './tf-graph.js';

export type GraphConvertOptions = {
  /** The node whose output 0 is the ONNX output (`name` or `name:0`). */
  outputNode: string;
  /** Default-domain opset, 13–21. Default 13. */
  opset?: number;
  /** ONNX input / output names. Default `input` / `output`. */
  inputName?: string;
  outputName?: string;
  /**
   * `[height, width]` for an input Placeholder whose spatial size is unknown (TF Hub models
   * often take any size): the ONNX graph is built for this size. Ignored when the size is fixed.
   */
  inputSize?: [number, number];
  /** Globally average-pool a rank-4 output to `[N, C]` (and a rank-3 one over axis 1), as FeatureExtractors do. */
  poolSpatialOutputs?: boolean;
  metadata?: Record<string, string>;
};

/** The nodes `output` depends on, inputs first (iterative: real graphs are thousands deep). */
function subgraph(byName: Map<string, TfNode>, output: string): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [output];
  while (stack.length > 0) {
    const name = stack[stack.length - 1];
    const node = byName.get(name);
    if (!node) throw new CoreError('NODE_NOT_FOUND', `The graph has no node '${name}'.`);
    if (state.get(name) === 'done') {
      stack.pop();
      continue;
    }
    const pending = (node.input ?? [])
      .map(parseInput)
      .filter((i): i is NonNullable<typeof i> => i !== null && state.get(i.node) !== 'done');
    if (state.get(name) === 'open' || pending.length === 0) {
      if (pending.length > 0) throw new CoreError('MODEL_INVALID', `The graph has a cycle through '${name}'.`);
      state.set(name, 'done');
      order.push(node);
      stack.pop();
      continue;
    }
    state.set(name, 'open');
    for (const i of pending.reverse()) stack.push(i.node);
  }
  return order;
}

function onnxDims(shape: Shape): OnnxDim[] {
  return shape.map((d, i) => (i === 0 ? 'N' : d == null ? `d${i}` : d));
}

/**
 * Converts `graph` from its only Placeholder to `options.outputNode`. The ONNX input is
 * `[N,H,W,C]` float32 like TF.js with a dynamic batch; the output equals
 * `graphModel.execute(x, outputNode)` (pooled when `poolSpatialOutputs`).
 *
 * Supported ops: see GRAPH_OPS in ops.ts.
 * @throws CoreError `UNSUPPORTED_LAYER` naming the first node that cannot be converted
 *   (`details.layer` = node, `details.className` = op, `details.reason`); NODE_NOT_FOUND;
 *   INVALID_ARGUMENT for an opset outside 13–21.
 */
export function convertTfGraphToOnnx(graph: TfGraph, options: GraphConvertOptions): ConversionResult {
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) {
    throw new CoreError('INVALID_ARGUMENT', `ONNX opset ${opset} is not supported: use a whole number from 13 to 21 (default 13).`);
  }
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const target = parseInput(options.outputNode);
  if (!target || target.output !== 0) throw new CoreError('INVALID_ARGUMENT', `Output '${options.outputNode}' must be output 0 of a node.`);
  const nodes = subgraph(byName, target.node);

  const g = new GraphBuilder();
  const c = new GraphContext(g, opset);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  if (inputName === outputName) throw new CoreError('INVALID_ARGUMENT', `ONNX input and output names must differ (got '${inputName}' twice).`);
  g.reserve(inputName);
  g.reserve(outputName);

  const values = new Map<string, GValue>();
  let inputShape: Shape | undefined;
  for (const node of nodes) {
    if (node.op === 'Const') {
      const constant = graph.consts.get(node.name);
      if (!constant) throw unsupportedNode(node, 'its value is not in the weights manifest');
      values.set(node.name, { node: node.name, shape: constant.shape, constant });
      continue;
    }
    if (node.op === 'Placeholder') {
      if (inputShape) throw unsupportedNode(node, 'a second graph input');
      let shape = placeholderShape(node);
      if (shape?.length === 4 && options.inputSize) {
        shape = [shape[0], shape[1] ?? options.inputSize[0], shape[2] ?? options.inputSize[1], shape[3] ?? 3];
      }
      if (!shape || shape.length !== 4 || shape.slice(1).some((d) => d === null)) throw unsupportedNode(node, 'an input that is not [batch, height, width, channels] of fixed size');
      inputShape = shape;
      g.addInput(inputName, onnxDims(shape));
      values.set(node.name, { node: node.name, shape, name: c.transpose(inputName, TO_NCHW, `${inputName}_nchw`) });
      continue;
    }
    const convert = Object.hasOwn(GRAPH_OPS, node.op) ? GRAPH_OPS[node.op] : undefined;
    if (!convert) throw unsupportedNode(node);
    const inputs: GValue[] = [];
    for (const ref of node.input ?? []) {
      const i = parseInput(ref);
      if (!i) continue;
      if (i.output !== 0) throw unsupportedNode(node, `it reads output ${i.output} of '${i.node}'`);
      inputs.push(values.get(i.node) as GValue);
    }
    const result = convert({ c, node, inputs, base: node.name });
    values.set(node.name, { ...result, node: node.name });
  }
  if (!inputShape) throw new CoreError('MODEL_INVALID', `Node '${target.node}' does not depend on the graph's input.`);

  const out = values.get(target.node) as GValue;
  let shape = out.shape;
  const outValue = c.value(byName.get(target.node) as TfNode, out);
  if (options.poolSpatialOutputs && shape.length === 4) {
    const pooled = g.op('GlobalAveragePool', [outValue], `${outputName}_pool`);
    g.addNode('Flatten', [pooled], [outputName], { axis: attr.int(1) });
    shape = [shape[0], shape[3]];
  } else if (options.poolSpatialOutputs && shape.length === 3) {
    g.addNode('Identity', [c.reduce('ReduceMean', outValue, [1], false, `${outputName}_mean`)], [outputName]);
    shape = [shape[0], shape[2]];
  } else if (shape.length === 4) {
    g.addNode('Transpose', [outValue], [outputName], { perm: attr.ints(TO_NHWC) });
  } else {
    g.addNode('Identity', [outValue], [outputName]);
  }
  g.addOutput(outputName, onnxDims(shape));
  const bytes = g.encode({
    opset,
    graphName: 'retrain_studio',
    producerName: 'retrain-studio',
    producerVersion: CONVERTER_VERSION,
    metadata: options.metadata,
  });
  return {
    bytes,
    inputNames: [inputName],
    outputNames: [outputName],
    inputShapes: [onnxDims(inputShape)],
    outputShapes: [onnxDims(shape)],
    opset,
    nodeCount: g.nodeCount,
  };
}

/** The op types of the nodes `outputNode` depends on, with counts (for reports and tests). */
export function countGraphOps(graph: TfGraph, outputNode: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of subgraph(new Map(graph.nodes.map((n) => [n.name, n])), outputNode)) counts[node.op] = (counts[node.op] ?? 0) + 1;
  return counts;
}
