/**
 * A TensorBoard-like description of a model's graph, read from model.json alone (no
 * weights are instantiated): nodes with ops, shapes and parameter counts, edges with the
 * shape flowing along them, and collapsible groups (nested models, blocks, name scopes).
 */
import { describeNormalization } from '../images/spec.js';
import { inspectModelDir } from './inspect.js';
import type { GraphEdge, GraphNode, ModelGraph } from './data-types.js';
import { findNode } from './topology.js';
import type { ModelInfo } from './types.js';

export type { GraphEdge, GraphGroup, GraphNode, ModelGraph } from './data-types.js';

/**
 * Describes `info`'s model graph. Constants of graph models are not nodes: their
 * parameters are counted on the op that consumes them first.
 * @throws CoreError MODEL_NOT_FOUND / MODEL_INVALID when model.json is missing or broken
 */
export async function describeGraph(info: ModelInfo): Promise<ModelGraph> {
  const { topology } = await inspectModelDir(info.dir);
  const visible = topology.nodes.filter((n) => n.kind !== 'const');
  const visibleIds = new Set(visible.map((n) => n.id));
  const nodes: GraphNode[] = visible.map((n) => ({
    id: n.id,
    name: n.name,
    op: n.op,
    outputShape: n.outputShape,
    params: n.params,
    ...(n.group ? { group: n.group } : {}),
    attributes: n.attributes,
  }));
  const edges: GraphEdge[] = visible.flatMap((n) =>
    n.inputs
      .filter((from) => visibleIds.has(from))
      .map((from) => ({ from, to: n.id, shape: topology.byId.get(from)?.outputShape ?? null })),
  );
  const usedGroups = new Set<string>();
  const groupById = new Map(topology.groups.map((g) => [g.id, g]));
  for (const node of nodes) {
    for (let id = node.group; id && !usedGroups.has(id); id = groupById.get(id)?.parent) usedGroups.add(id);
  }
  const input = topology.byId.get(topology.inputs[0]);
  const bottleneck = findNode(topology, info.bottleneckNode);
  const output = findNode(topology, info.outputNode) ?? topology.byId.get(topology.outputs[0]);
  return {
    modelId: info.id,
    format: topology.format,
    nodes,
    edges,
    groups: topology.groups.filter((g) => usedGroups.has(g.id)),
    input: {
      name: input?.id ?? info.inputName,
      shape: input?.outputShape ?? info.inputShape,
      dtype: 'float32',
      normalization: describeNormalization(info.spec.normalization),
      crop: info.spec.crop,
    },
    bottleneck: { name: bottleneck?.id ?? info.bottleneckNode, shape: bottleneck?.outputShape ?? null },
    output: { name: output?.id ?? info.outputNode, shape: output?.outputShape ?? null },
    totalParams: topology.totalParams,
  };
}
