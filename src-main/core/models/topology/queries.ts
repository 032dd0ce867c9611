/** Questions asked of a parsed topology: find a node, bottleneck candidates and defaults, softmax outputs. */
import type { ModelTopology, TopologyNode } from './types.js';

/**
 * Finds a node by id, or by bare name when exactly one node has it (so `out_relu` finds
 * `model2/out_relu`). Graph node names may be given with a `:0` output suffix.
 */
export function findNode(topology: ModelTopology, nameOrId: string): TopologyNode | undefined {
  const exact = topology.byId.get(nameOrId);
  if (exact) return exact;
  const stripped = nameOrId.replace(/:0$/, '');
  const bare = topology.byId.get(stripped);
  if (bare) return bare;
  const matches = topology.nodes.filter((n) => n.name === stripped && n.kind !== 'const');
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Nodes worth offering as bottlenecks: the last `limit` nodes (topological order) with a
 * 2-D or 4-D output, topped up with nodes of unknown shape when too few are known.
 */
export function candidateNodes(topology: ModelTopology, limit = 10): TopologyNode[] {
  const usable = topology.nodes.filter((n) => n.kind !== 'const' && n.kind !== 'input');
  const ranked = usable.filter((n) => n.outputShape && (n.outputShape.length === 2 || n.outputShape.length === 4));
  const chosen = ranked.length >= limit ? ranked : usable.filter((n) => ranked.includes(n) || !n.outputShape);
  return chosen.slice(-limit);
}

/** Feature length of a node's output after global average pooling (last dim), or null if unknown. */
export function featureSizeOf(node: TopologyNode): number | null {
  const shape = node.outputShape;
  if (!shape || shape.length < 2) return null;
  return shape[shape.length - 1] ?? null;
}

const HEAD_PASSTHROUGH = new Set([
  'Softmax', 'Activation', 'Reshape', 'Flatten', 'Dropout', 'Identity', 'Squeeze', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'BiasAdd', 'Mean', 'Max', 'SpatialDropout2D', 'Cast',
]);
const CLASSIFICATION_OPS = new Set(['Dense', 'Conv2D', 'MatMul', '_FusedMatMul', '_FusedConv2D']);
const FEATURE_PASSTHROUGH = new Set(['Dropout', 'Reshape', 'Flatten', 'Identity', 'SpatialDropout2D']);

function producers(topology: ModelTopology, node: TopologyNode): TopologyNode[] {
  return node.inputs.map((id) => topology.byId.get(id)).filter((n): n is TopologyNode => !!n && n.kind !== 'const');
}

/**
 * The default bottleneck: for a classifier, the node feeding its final classification layer
 * (skipping dropout / reshape); otherwise the model's own output.
 */
export function defaultBottleneckNode(topology: ModelTopology, isClassifier: boolean): TopologyNode {
  const output = topology.byId.get(topology.outputs[0])!;
  if (!isClassifier) return output;
  let current: TopologyNode | undefined = output;
  for (let guard = 0; current && guard < 50; guard++) {
    if (CLASSIFICATION_OPS.has(current.op)) {
      let feature: TopologyNode | undefined = producers(topology, current)[0];
      while (feature && FEATURE_PASSTHROUGH.has(feature.op)) feature = producers(topology, feature)[0];
      return feature ?? output;
    }
    if (!HEAD_PASSTHROUGH.has(current.op)) break;
    current = producers(topology, current)[0];
  }
  return output;
}

/** Whether the model's output is already a softmax (probabilities) rather than logits. */
export function outputIsSoftmax(topology: ModelTopology): boolean {
  let current: TopologyNode | undefined = topology.byId.get(topology.outputs[0]);
  for (let guard = 0; current && guard < 20; guard++) {
    if (current.op === 'Softmax') return true;
    if (current.attributes.activation === 'softmax') return true;
    if (!['Reshape', 'Flatten', 'Identity', 'Squeeze'].includes(current.op)) return false;
    current = producers(topology, current)[0];
  }
  return false;
}
