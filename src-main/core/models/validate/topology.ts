/** The topology before parsing: known layer classes and graph ops, present producers, unique names, no cycles. */
import * as tf from '@tensorflow/tfjs';
import type { ModelJson } from '../../tf/file-io.js';
import { GRAPH_OPS } from '../graph-ops.js';
import { callNodeRefs, isGraphModelJson, layerName } from '../topology.js';
import { MODEL_CLASSES } from '../topology/layers.js';
import { invalid, isObject, listOf } from './report.js';

/** The raw Keras layer configs of a layers model by topology id (`nested/name`). */
export type RawLayers = Map<string, { className: string; config: Record<string, unknown> }>;

type KerasLayer = { class_name: string; name?: string; config?: unknown; inbound_nodes?: unknown[] };

/** Layer classes TF.js can deserialize (its registry, filled when tfjs-layers loads). */
function knownLayerClass(className: string): boolean {
  return MODEL_CLASSES.has(className) || Object.hasOwn(tf.serialization.SerializationMap.getMap().classNameMap, className);
}

/** Nodes that remain after repeatedly removing those without pending producers: what is left lies on or after a cycle. */
function cyclicNodes(producersOf: Map<string, string[]>): string[] {
  const indegree = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const [node, producers] of producersOf) {
    indegree.set(node, producers.length);
    for (const p of producers) {
      const list = consumers.get(p);
      if (list) list.push(node);
      else consumers.set(p, [node]);
    }
  }
  const ready = [...indegree].filter(([, n]) => n === 0).map(([id]) => id);
  while (ready.length) {
    const id = ready.pop()!;
    for (const consumer of consumers.get(id) ?? []) {
      const left = indegree.get(consumer)! - 1;
      indegree.set(consumer, left);
      if (left === 0) ready.push(consumer);
    }
  }
  return [...indegree].filter(([, n]) => n > 0).map(([id]) => id);
}

function validateKerasModel(dir: string, model: KerasLayer, prefix: string[], raw: RawLayers): void {
  const where = prefix.length ? ` in nested model "${prefix.join('/')}"` : '';
  const config = Array.isArray(model.config) ? { layers: model.config } : model.config;
  if (!isObject(config) || !Array.isArray(config.layers)) throw invalid(dir, `model "${layerName(model)}"${where} has no "layers" list.`);
  const layers = config.layers as unknown[];
  const names = new Set<string>();
  for (const [index, layer] of layers.entries()) {
    if (!isObject(layer) || typeof layer.class_name !== 'string') throw invalid(dir, `layer ${index}${where} has no "class_name".`);
    const keras = layer as unknown as KerasLayer;
    if (keras.config !== undefined && !isObject(keras.config) && !Array.isArray(keras.config)) throw invalid(dir, `layer ${index}${where} has a "config" that is not an object.`);
    const name = layerName(keras);
    if (names.has(name)) throw invalid(dir, `two layers${where} are named "${name}"; layer names must be unique.`, { layer: name });
    names.add(name);
    if (!knownLayerClass(keras.class_name)) {
      throw invalid(dir, `layer "${name}"${where} has class "${keras.class_name.slice(0, 80)}", which TF.js does not know (a custom or Lambda layer cannot be loaded).`, {
        layer: name,
        className: keras.class_name,
      });
    }
    raw.set([...prefix, name].join('/'), { className: keras.class_name, config: isObject(keras.config) ? keras.config : {} });
    if (MODEL_CLASSES.has(keras.class_name)) validateKerasModel(dir, keras, [...prefix, name], raw);
  }
  if (model.class_name === 'Sequential') return;

  const producersOf = new Map<string, string[]>();
  for (const layer of layers as KerasLayer[]) {
    const name = layerName(layer);
    const producers = (Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : []).flatMap((call) => callNodeRefs(call)).map(([p]) => p);
    const missing = producers.filter((p) => !names.has(p));
    if (missing.length) {
      throw invalid(dir, `layer "${name}"${where} takes input from ${listOf([...new Set(missing)])}, which ${missing.length > 1 ? 'are' : 'is'} not a layer of the model.`, {
        layer: name,
        missing,
      });
    }
    producersOf.set(name, [...new Set(producers)]);
  }
  for (const key of ['input_layers', 'output_layers'] as const) {
    const refs = Array.isArray(config[key]) ? (config[key] as unknown[]).map((ref) => callNodeRefs([ref])[0]?.[0]).filter((n): n is string => !!n) : [];
    const missing = refs.filter((n) => !names.has(n));
    if (missing.length) throw invalid(dir, `"${key}"${where} names ${listOf(missing)}, which is not a layer of the model.`, { missing });
  }
  const cycle = cyclicNodes(producersOf);
  if (cycle.length) throw invalid(dir, `layers ${listOf(cycle)}${where} feed each other in a cycle; a model's layers must form a graph without cycles.`, { cycle });
}

type GraphNodeDef = { name: string; op: string; input?: string[]; attr?: Record<string, { tensor?: unknown } | undefined> };

function validateGraph(dir: string, json: ModelJson): void {
  const top = json.modelTopology as { node?: unknown };
  if (!Array.isArray(top.node)) throw invalid(dir, 'modelTopology.node must be a list of graph nodes.');
  const weightNames = new Set(json.weightsManifest.flatMap((g) => g.weights.map((w) => w.name)));
  const defs = new Map<string, GraphNodeDef>();
  for (const [index, node] of (top.node as unknown[]).entries()) {
    if (!isObject(node) || typeof node.name !== 'string' || typeof node.op !== 'string') throw invalid(dir, `graph node ${index} needs a "name" and an "op".`);
    if (node.input !== undefined && !(Array.isArray(node.input) && node.input.every((i) => typeof i === 'string'))) {
      throw invalid(dir, `graph node "${node.name}" has an "input" that is not a list of node names.`, { node: node.name });
    }
    if (node.attr !== undefined && !isObject(node.attr)) throw invalid(dir, `graph node "${node.name}" has an "attr" that is not an object.`, { node: node.name });
    if (defs.has(node.name)) throw invalid(dir, `two graph nodes are named "${node.name}"; node names must be unique.`, { node: node.name });
    if (!GRAPH_OPS.has(node.op)) {
      throw invalid(dir, `graph node "${node.name}" has op "${node.op.slice(0, 80)}", which TF.js cannot run.`, { node: node.name, op: node.op });
    }
    defs.set(node.name, node as unknown as GraphNodeDef);
  }
  const producersOf = new Map<string, string[]>();
  for (const def of defs.values()) {
    const producers = (def.input ?? []).map((i) => i.replace(/^\^/, '').replace(/:\d+$/, ''));
    const missing = producers.filter((p) => !defs.has(p));
    if (missing.length) {
      throw invalid(dir, `graph node "${def.name}" takes input from ${listOf([...new Set(missing)])}, which ${missing.length > 1 ? 'are' : 'is'} not a node of the graph.`, {
        node: def.name,
        missing,
      });
    }
    // NextIteration → Merge is the back edge of a TF while loop, the one legitimate cycle.
    producersOf.set(def.name, def.op === 'Merge' ? [...new Set(producers)].filter((p) => defs.get(p)!.op !== 'NextIteration') : [...new Set(producers)]);
    if (def.op === 'Const' && !weightNames.has(def.name) && !def.attr?.value?.tensor) {
      throw invalid(dir, `constant "${def.name}" has no value: it is neither in the weights manifest nor written inline.`, { node: def.name });
    }
  }
  const cycle = cyclicNodes(producersOf);
  if (cycle.length) throw invalid(dir, `graph nodes ${listOf(cycle)} feed each other in a cycle; a graph must have no cycles outside while loops.`, { cycle });
}

/**
 * Checks the topology's structure before it is parsed. Returns the raw layer configs of a
 * layers model (for the shape checks).
 * @throws CoreError MODEL_INVALID
 */
export function validateTopology(dir: string, json: ModelJson): RawLayers {
  const raw: RawLayers = new Map();
  if (!isObject(json.modelTopology)) throw invalid(dir, '"modelTopology" must be an object.');
  if (isGraphModelJson(json)) {
    validateGraph(dir, json);
    return raw;
  }
  let root: unknown = json.modelTopology;
  if (isObject(root) && 'model_config' in root) root = root.model_config;
  if (!isObject(root) || typeof root.class_name !== 'string' || !MODEL_CLASSES.has(root.class_name)) {
    throw invalid(dir, `the layers model must be a Sequential, Model or Functional, not ${isObject(root) && typeof root.class_name === 'string' ? `"${root.class_name.slice(0, 40)}"` : 'something else'}.`);
  }
  validateKerasModel(dir, root as unknown as KerasLayer, [], raw);
  return raw;
}
