/** Reading a model folder's topology and checking node names, without loading the model. */
import path from 'node:path';
import { CoreError } from '../errors.js';
import { readModelJson, readWeightData, type ModelJson } from '../tf/file-io.js';
import { validateManifest, validateShapes, validateShardFiles, validateTopology } from './validate.js';
import { candidateNodes, findNode, isGraphModelJson, parseTopology, type ModelTopology, type TopologyNode } from './topology.js';
import type { ModelFormat } from './types.js';

/** model.json plus its parsed topology. */
export type InspectedModel = { dir: string; json: ModelJson; topology: ModelTopology; format: ModelFormat };

/**
 * Reads `<dir>/model.json`, validates it (manifest, topology, shard sizes, shapes: see
 * validate.ts) and parses its topology. Graph models also read their weight bytes (file I/O
 * only) so small constants can be used to infer shapes.
 * @throws CoreError MODEL_NOT_FOUND / MODEL_INVALID naming what is wrong
 */
export async function inspectModelDir(dir: string, json?: ModelJson): Promise<InspectedModel> {
  const modelJson = json ?? (await readModelJson(dir));
  validateManifest(dir, modelJson);
  const raw = validateTopology(dir, modelJson);
  await validateShardFiles(dir, modelJson);
  const graph = isGraphModelJson(modelJson);
  const weightData = graph ? await readWeightData(dir, modelJson) : undefined;
  const topology = parseTopology(modelJson, { weightData });
  validateShapes(dir, modelJson, topology, raw);
  if (topology.inputs.length === 0 || topology.outputs.length === 0) {
    throw new CoreError('MODEL_INVALID', `${path.join(dir, 'model.json')} has no ${topology.inputs.length === 0 ? 'input' : 'output'} node.`);
  }
  return { dir, json: modelJson, topology, format: graph ? 'graph' : 'layers' };
}

/** Formats candidate bottleneck nodes for an error message. */
export function describeCandidates(topology: ModelTopology): string {
  return candidateNodes(topology)
    .map((n) => `${n.id} ${n.outputShape ? JSON.stringify(n.outputShape).replace(/null/g, '?') : '[?]'}`)
    .join(', ');
}

/**
 * The node `name` (id or unique bare name) of the model, or NODE_NOT_FOUND listing the
 * nodes that would make sense (last layers with 2-D or 4-D outputs).
 */
export function requireNode(model: InspectedModel, name: string): TopologyNode {
  const node = findNode(model.topology, name);
  if (node && node.kind !== 'const') return node;
  throw new CoreError(
    'NODE_NOT_FOUND',
    `No node "${name}" in ${path.join(model.dir, 'model.json')}. Candidates (last nodes with 2-D or 4-D outputs): ` +
      `${describeCandidates(model.topology)}. Pick one of these, or choose a node in the graph view.`,
    { node: name, candidates: candidateNodes(model.topology).map((n) => n.id) },
  );
}

/** Input name/shape and output node of a parsed model. */
export function modelIO(model: InspectedModel): { inputName: string; inputShape: (number | null)[]; outputNode: string } {
  const input = model.topology.byId.get(model.topology.inputs[0])!;
  const output = model.topology.byId.get(model.topology.outputs[0])!;
  return { inputName: input.name, inputShape: input.outputShape ?? [null, null, null, 3], outputNode: output.id };
}
