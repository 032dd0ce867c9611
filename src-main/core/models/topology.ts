/**
 * Reads a TF.js model.json topology (layers or graph) into one plain node list, without
 * instantiating the model or its weights: names, ops, producers, inferred output shapes,
 * parameter counts and collapsible groups. Used for bottleneck validation and defaults,
 * input inference and the graph view.
 */
import type { ModelJson } from '../tf/file-io.js';
import { parseGraph } from './topology/graph.js';
import { parseLayers } from './topology/layers.js';
import type { ModelTopology, ParseTopologyOptions } from './topology/types.js';

export type { AttributeValue, ModelTopology, ParseTopologyOptions, Shape, TopologyGroup, TopologyNode } from './topology/types.js';
export { inferLayerShape } from './topology/layer-shapes.js';
export { callNodeRefs, layerName } from './topology/layers.js';
export { candidateNodes, defaultBottleneckNode, featureSizeOf, findNode, outputIsSoftmax } from './topology/queries.js';

/** Parses model.json's topology; format is taken from `json.format` or the topology's shape. */
export function parseTopology(json: ModelJson, options: ParseTopologyOptions = {}): ModelTopology {
  return isGraphModelJson(json) ? parseGraph(json, options) : parseLayers(json);
}

/** Whether model.json describes a graph model (`modelTopology.node`) rather than a layers model. */
export function isGraphModelJson(json: ModelJson): boolean {
  if (json.format === 'graph-model') return true;
  if (json.format === 'layers-model') return false;
  const top = json.modelTopology as { node?: unknown } | null;
  return Array.isArray(top?.node);
}
