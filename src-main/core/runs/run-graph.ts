/**
 * The graph of a finished run's classifier, as its export holds it: the backbone up to the
 * bottleneck, then the trained head. Read from the model folders' model.json files only:
 * nothing is loaded and nothing is written.
 */
import path from 'node:path';
import { CoreError } from '../errors.js';
import { describeGraph, type GraphEdge, type GraphGroup, type GraphNode, type ModelGraph } from '../models/index.js';
import type { ModelInfo } from '../models/types.js';
import type { RunStore } from './store.js';

/** The group the head's nodes are shown in. */
export const HEAD_GROUP: GraphGroup = { id: 'retrained_head', label: 'Retrained head' };

/** Node ids `target` depends on, itself included (the backbone as far as the bottleneck). */
function ancestors(edges: GraphEdge[], target: string): Set<string> {
  const inputs = new Map<string, string[]>();
  for (const edge of edges) inputs.set(edge.to, [...(inputs.get(edge.to) ?? []), edge.from]);
  const seen = new Set<string>();
  const stack = [target];
  while (stack.length) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(inputs.get(id) ?? []));
  }
  return seen;
}

/** The layer that turns a 3-D or 4-D bottleneck into feature vectors; none for 2-D (or unknown) outputs. */
function poolingNode(shape: (number | null)[] | null, featureSize: number, taken: Set<string>): GraphNode | null {
  if (!shape || shape.length === 2) return null;
  const [op, name] = shape.length === 4 ? ['GlobalAveragePooling2D', 'bottleneck_pool'] : shape.length === 3 ? ['GlobalAveragePooling1D', 'bottleneck_pool'] : ['Flatten', 'bottleneck_flatten'];
  const id = taken.has(name) ? `${HEAD_GROUP.id}/${name}` : name;
  return { id, name: id, op, outputShape: [null, featureSize], params: 0, attributes: {} };
}

/**
 * Describes run `runId`'s backbone (its record's model, cut at the bottleneck) joined to the
 * head in `<run>/model/`: the head's input node is replaced by an edge from the bottleneck
 * (through a pooling node where the bottleneck is 3-D or 4-D, as the extractor pools it).
 * @throws CoreError NOT_FOUND (unknown run), INVALID_ARGUMENT (not completed), MODEL_NOT_FOUND /
 *   MODEL_INVALID (a model.json missing or broken)
 */
export async function describeRunGraph(runs: RunStore, runId: string): Promise<ModelGraph> {
  const record = await runs.get(runId);
  if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${runId} is ${record.status}; only completed runs have a trained model to show.`);
  const backbone = await describeGraph(record.model);
  const headInfo: ModelInfo = {
    ...record.model,
    id: `run:${runId}:head`,
    format: 'layers',
    dir: path.join(await runs.runDir(runId), 'model'),
    inputName: '',
    inputShape: [null, record.model.featureSize],
    bottleneckNode: '',
    outputNode: '',
  };
  const head = await describeGraph(headInfo);

  const kept = ancestors(backbone.edges, backbone.bottleneck.name);
  const nodes = backbone.nodes.filter((n) => kept.has(n.id));
  const edges = backbone.edges.filter((e) => kept.has(e.from) && kept.has(e.to));
  const taken = new Set(nodes.map((n) => n.id));
  // Features are pooled as the extractor pools them (loadFeatureExtractor), so the export has this layer too.
  const pool = poolingNode(backbone.bottleneck.shape, record.model.featureSize, taken);
  if (pool) {
    nodes.push(pool);
    edges.push({ from: backbone.bottleneck.name, to: pool.id, shape: backbone.bottleneck.shape });
    taken.add(pool.id);
  }
  const features = pool?.id ?? backbone.bottleneck.name;
  // Head layer names ('hidden', 'final_result'…) could repeat a backbone name: keep ids unique.
  const headId = (id: string): string => (id === head.input.name ? features : taken.has(id) ? `${HEAD_GROUP.id}/${id}` : id);
  const headNodes: GraphNode[] = head.nodes
    .filter((n) => n.id !== head.input.name)
    .map((n) => ({ ...n, id: headId(n.id), group: n.group ?? HEAD_GROUP.id }));
  const allNodes = [...nodes, ...headNodes];
  const allGroups = [...backbone.groups, ...head.groups, HEAD_GROUP];
  const groupById = new Map(allGroups.map((g) => [g.id, g]));
  const usedGroups = new Set<string>();
  for (const node of allNodes) {
    for (let id = node.group; id && !usedGroups.has(id); id = groupById.get(id)?.parent) usedGroups.add(id);
  }
  return {
    modelId: `run:${runId}`,
    format: backbone.format,
    nodes: allNodes,
    edges: [...edges, ...head.edges.map((e) => ({ ...e, from: headId(e.from), to: headId(e.to) }))],
    groups: allGroups.filter((g) => usedGroups.has(g.id)),
    input: backbone.input,
    bottleneck: backbone.bottleneck,
    output: { name: headId(head.output.name), shape: head.output.shape },
    totalParams: allNodes.reduce((sum, n) => sum + n.params, 0),
  };
}
