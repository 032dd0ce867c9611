/** The plain node list a model.json topology is read into (see ../topology.ts). */
import type { ModelJson } from '../../tf/file-io.js';
import { elementCount } from '../weights.js';

/** A tensor shape; null for unknown dimensions (the batch, or -1 in a graph). */
export type Shape = (number | null)[];
/** A displayable scalar setting of a layer or node. */
export type AttributeValue = string | number | boolean | null;

/** One layer (layers models) or op (graph models) of a parsed topology. */
export type TopologyNode = {
  /** Unique id. Layers inside a nested model are qualified: `model2/out_relu`. */
  id: string;
  /** The layer or graph node name as written in model.json. */
  name: string;
  /** Nested model names followed by the layer name (layers); `[name]` for graph nodes. */
  path: string[];
  /** Layer class (`Conv2D`) or graph op (`Conv2D`, `Placeholder`). */
  op: string;
  kind: 'input' | 'layer' | 'op' | 'const';
  /** Producer node ids, in order, without duplicates. */
  inputs: string[];
  /** Output shape with the batch dimension as null; null when it cannot be inferred. */
  outputShape: Shape | null;
  /** Weight elements owned by this node (graph: the constants it consumes first). */
  params: number;
  /** Innermost group (nested model, block or name scope) for collapsing. */
  group?: string;
  /** Scalar settings from the layer config or node attrs. */
  attributes: Record<string, AttributeValue>;
};

/** A collapsible group: nested model, block (`block_3`, `mixed5`) or name scope. */
export type TopologyGroup = { id: string; label: string; parent?: string };

/** A parsed model.json topology. */
export type ModelTopology = {
  format: 'layers' | 'graph';
  /** In topological order. */
  nodes: TopologyNode[];
  byId: Map<string, TopologyNode>;
  groups: TopologyGroup[];
  /** Input node ids. */
  inputs: string[];
  /** Output node ids. */
  outputs: string[];
  /** Float weight elements in the weights manifest. */
  totalParams: number;
};

/** Options for parseTopology. */
export type ParseTopologyOptions = {
  /**
   * The concatenated weight bytes (manifest order). When given, small int32 constants
   * (reduction axes, reshape targets, paddings) are read so graph shapes can be inferred.
   */
  weightData?: ArrayBuffer;
};

/** Assembles a parsed topology; counts the manifest's float weights as its parameters. */
export function assembleTopology(
  format: 'layers' | 'graph',
  nodes: TopologyNode[],
  groups: TopologyGroup[],
  inputs: string[],
  outputs: string[],
  json: ModelJson,
): ModelTopology {
  let totalParams = 0;
  for (const group of json.weightsManifest ?? []) {
    for (const w of group.weights) {
      if (w.dtype === 'float32') totalParams += elementCount(w.shape);
    }
  }
  return { format, nodes, byId: new Map(nodes.map((n) => [n.id, n])), groups, inputs, outputs, totalParams };
}
