/**
 * Validation of a model folder before anything is built from it, so a hostile or broken
 * model is refused at import with MODEL_INVALID naming what is wrong, instead of failing
 * later (at training or classify) as INTERNAL. Checks, in order:
 *   1. the weights manifest: well-formed specs, a size a TF.js model can hold;
 *   2. the topology: every layer class / graph op known to TF.js, every referenced node
 *      present, names unique, no cycles;
 *   3. the shard files: inside the folder, regular, and exactly the bytes the specs need;
 *   4. (after parsing) shapes: each layer's weights as its config and input need, graph ops'
 *      operands consistent with their weights.
 * JSON depth is checked where model.json is parsed (core/tf readModelJson).
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { openConfined } from '../access/index.js';
import { CoreError } from '../errors.js';
import { MODEL_WEIGHTS_MAX_BYTES, type ModelJson } from '../tf/file-io.js';
import { GRAPH_OPS } from './graph-ops.js';
import { callNodeRefs, isGraphModelJson, layerName, type ModelTopology, type Shape, type TopologyNode } from './topology.js';
import { MODEL_CLASSES } from './topology/layers.js';
import { pair } from './topology/shape-rules.js';
import { elementCount, weightByteLength } from './weights.js';

const DTYPES = new Set(['float32', 'int32', 'bool', 'complex64', 'string', 'uint8', 'uint16', 'float16']);
const QUANTIZED_DTYPES = new Set(['uint8', 'uint16', 'float16']);
/** Names listed in one message before "and N more". */
const LIST_LIMIT = 5;

function invalid(dir: string, problem: string, details: Record<string, unknown> = {}): CoreError {
  const file = path.join(dir, 'model.json');
  return new CoreError('MODEL_INVALID', `${file}: ${problem} Choose a TF.js model as tensorflowjs_converter writes it, or convert the model again.`, { file, ...details });
}

const listOf = (names: string[]): string =>
  names.slice(0, LIST_LIMIT).map((n) => `"${n}"`).join(', ') + (names.length > LIST_LIMIT ? ` and ${names.length - LIST_LIMIT} more` : '');

const isObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

// ---------------------------------------------------------------------------------------
// 1. The weights manifest
// ---------------------------------------------------------------------------------------

/** Checks the manifest's structure and total size. @throws CoreError MODEL_INVALID */
export function validateManifest(dir: string, json: ModelJson): void {
  let totalBytes = 0;
  let largest: { name: string; shape: number[]; bytes: number } | null = null;
  json.weightsManifest.forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw invalid(dir, `weightsManifest[${g}] must be an object with "paths" and "weights" lists.`);
    }
    if (group.weights.length > 0 && group.paths.length === 0) throw invalid(dir, `weightsManifest[${g}] lists weights but no weight files ("paths" is empty).`);
    for (const shard of group.paths) {
      if (typeof shard !== 'string' || shard.length === 0) throw invalid(dir, `weightsManifest[${g}].paths holds ${JSON.stringify(shard)?.slice(0, 40)}, not a file name.`);
    }
    for (const spec of group.weights as unknown[]) {
      if (!isObject(spec) || typeof spec.name !== 'string') throw invalid(dir, `weightsManifest[${g}] has a weight without a name.`);
      const { name, shape, dtype } = spec;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
        throw invalid(dir, `weight "${name}" has shape ${JSON.stringify(shape)?.slice(0, 60)}; a shape is a list of whole numbers ≥ 0.`, { weight: name });
      }
      if (typeof dtype !== 'string' || !DTYPES.has(dtype)) throw invalid(dir, `weight "${name}" has dtype ${JSON.stringify(dtype)?.slice(0, 30)}, which TF.js does not know.`, { weight: name });
      const quantization = spec.quantization;
      if (quantization !== undefined && (!isObject(quantization) || !QUANTIZED_DTYPES.has(String(quantization.dtype)))) {
        throw invalid(dir, `weight "${name}" has a quantization TF.js does not know (dtype ${JSON.stringify(isObject(quantization) ? quantization.dtype : quantization)?.slice(0, 30)}).`, { weight: name });
      }
      const bytes = weightByteLength(spec as unknown as tf.io.WeightsManifestEntry) ?? 0;
      totalBytes += bytes;
      if (!largest || bytes > largest.bytes) largest = { name, shape: shape as number[], bytes };
    }
  });
  if (totalBytes > MODEL_WEIGHTS_MAX_BYTES && largest) {
    const big = largest as { name: string; shape: number[]; bytes: number };
    throw invalid(
      dir,
      `the weights manifest declares ${totalBytes} bytes of weights (the largest, "${big.name}", has shape ${JSON.stringify(big.shape)}: ` +
        `${elementCount(big.shape)} values), more than a TF.js model can hold (${MODEL_WEIGHTS_MAX_BYTES} bytes).`,
      { weight: big.name, declaredBytes: totalBytes },
    );
  }
}

// ---------------------------------------------------------------------------------------
// 2. The topology
// ---------------------------------------------------------------------------------------

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
    for (const p of producers) consumers.set(p, [...(consumers.get(p) ?? []), node]);
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

// ---------------------------------------------------------------------------------------
// 3. The shard files
// ---------------------------------------------------------------------------------------

/**
 * Each weights group's files must exist inside `dir`, be regular files and hold exactly the
 * bytes its specs need. Only sizes are read (the files are opened and closed, not read).
 * @throws CoreError MODEL_INVALID naming the files
 */
export async function validateShardFiles(dir: string, json: ModelJson): Promise<void> {
  for (const group of json.weightsManifest) {
    let bytes = 0;
    for (const shard of group.paths) {
      try {
        const opened = await openConfined(shard, { root: dir, maxBytes: MODEL_WEIGHTS_MAX_BYTES, label: `Weight file "${shard}" named in ${path.join(dir, 'model.json')}` });
        await opened.handle.close();
        bytes += opened.sizeBytes;
      } catch (error) {
        if (error instanceof CoreError && error.code !== 'NOT_FOUND') throw new CoreError('MODEL_INVALID', error.message, { file: path.join(dir, 'model.json'), shard });
        throw new CoreError('MODEL_INVALID', `Weight file ${path.join(dir, shard)} named in model.json is missing. Download or copy the model again.`, { shard });
      }
    }
    let expected = 0;
    for (const w of group.weights) expected += weightByteLength(w) ?? NaN;
    if (Number.isFinite(expected) && bytes !== expected) {
      throw new CoreError(
        'MODEL_INVALID',
        `The weight files [${group.paths.join(', ')}] of ${dir} hold ${bytes} bytes, but model.json's weight specs for them need ${expected}: ` +
          'the files are truncated or belong to another model. Download or copy the model again.',
        { file: path.join(dir, 'model.json'), paths: group.paths, bytes, expectedBytes: expected },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// 4. Shapes against the weights
// ---------------------------------------------------------------------------------------

type WeightRule = (config: Record<string, unknown>, input: Shape) => Record<string, Shape>;
const bias = (config: Record<string, unknown>, size: number | null): Record<string, Shape> => (config.use_bias === false ? {} : { bias: [size] });

/** The weights a layer needs, by suffix (`kernel`, `bias`…), for the layer classes whose weights are fixed by config and input. */
const LAYER_WEIGHTS: Record<string, WeightRule> = {
  Dense: (c, input) => ({ kernel: [input[input.length - 1] ?? null, Number(c.units)], ...bias(c, Number(c.units)) }),
  Conv2D: (c, input) => {
    // A grouped convolution's kernel sees channels / groups inputs.
    const groups = Number(c.groups ?? 1) || 1;
    const channels = input[3] ?? null;
    return { kernel: [...pair(c.kernel_size, 1), channels === null ? null : channels / groups, Number(c.filters)], ...bias(c, Number(c.filters)) };
  },
  Conv2DTranspose: (c, input) => ({ kernel: [...pair(c.kernel_size, 1), Number(c.filters), input[3] ?? null], ...bias(c, Number(c.filters)) }),
  DepthwiseConv2D: (c, input) => {
    const multiplier = Number(c.depth_multiplier ?? 1);
    const channels = input[3] ?? null;
    return { depthwise_kernel: [...pair(c.kernel_size, 1), channels, multiplier], ...bias(c, channels === null ? null : channels * multiplier) };
  },
  SeparableConv2D: (c, input) => {
    const multiplier = Number(c.depth_multiplier ?? 1);
    const channels = input[3] ?? null;
    return {
      depthwise_kernel: [...pair(c.kernel_size, 1), channels, multiplier],
      pointwise_kernel: [1, 1, channels === null ? null : channels * multiplier, Number(c.filters)],
      ...bias(c, Number(c.filters)),
    };
  },
  BatchNormalization: (c, input) => {
    const axis = Number(Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1));
    const size = input[(axis + input.length) % input.length] ?? null;
    return {
      ...(c.scale === false ? {} : { gamma: [size] }),
      ...(c.center === false ? {} : { beta: [size] }),
      moving_mean: [size],
      moving_variance: [size],
    };
  },
};

const sameShape = (actual: readonly number[], expected: Shape): boolean =>
  actual.length === expected.length && expected.every((d, i) => d === null || !Number.isFinite(d) || d === actual[i]);
const shapeText = (shape: Shape): string => JSON.stringify(shape).replace(/null/g, '?');

function validateLayerWeights(dir: string, json: ModelJson, topology: ModelTopology, raw: RawLayers): void {
  // Weights are named `<layer>/<weight>` (nested models may prefix more scopes).
  const byLayer = new Map<string, Map<string, number[]>>();
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const parts = w.name.replace(/:\d+$/, '').split('/');
    if (parts.length < 2) continue;
    const layer = parts[parts.length - 2];
    if (!byLayer.has(layer)) byLayer.set(layer, new Map());
    byLayer.get(layer)!.set(parts[parts.length - 1], w.shape);
  }
  const layerCount = new Map<string, number>();
  for (const node of topology.nodes) layerCount.set(node.name, (layerCount.get(node.name) ?? 0) + 1);
  for (const node of topology.nodes) {
    const layer = raw.get(node.id);
    const rule = layer && LAYER_WEIGHTS[layer.className];
    // Two layers of one name (in different nested models) share weight names: skip, it is ambiguous.
    if (!layer || !rule || layerCount.get(node.name) !== 1 || layer.config.data_format === 'channels_first') continue;
    const input = node.inputs.length === 1 ? topology.byId.get(node.inputs[0])?.outputShape : null;
    if (!input) continue;
    const have = byLayer.get(node.name) ?? new Map<string, number[]>();
    for (const [suffix, expected] of Object.entries(rule(layer.config, input))) {
      const actual = have.get(suffix);
      if (!actual) {
        throw invalid(dir, `layer "${node.id}" (${layer.className}) needs a weight "${node.name}/${suffix}" of shape ${shapeText(expected)}, which the weights manifest lacks.`, {
          layer: node.id,
          weight: `${node.name}/${suffix}`,
        });
      }
      if (!sameShape(actual, expected)) {
        throw invalid(
          dir,
          `weight "${node.name}/${suffix}" has shape ${JSON.stringify(actual)} in the weights manifest, but layer "${node.id}" (${layer.className}) ` +
            `with input ${shapeText(input)} needs ${shapeText(expected)}.`,
          { layer: node.id, weight: `${node.name}/${suffix}`, shape: actual, expectedShape: expected },
        );
      }
    }
  }
}

function validateGraphShapes(dir: string, topology: ModelTopology): void {
  const shapeOf = (id: string | undefined): Shape | null => (id ? (topology.byId.get(id)?.outputShape ?? null) : null);
  const mismatch = (node: TopologyNode, what: string): CoreError =>
    invalid(dir, `graph node "${node.id}" (${node.op}): ${what}.`, { node: node.id });
  const known = (...dims: Array<number | null | undefined>): boolean => dims.every((d) => typeof d === 'number');
  for (const node of topology.nodes) {
    const [x, w, b] = [shapeOf(node.inputs[0]), shapeOf(node.inputs[1]), shapeOf(node.inputs[2])];
    if (!x || !w) continue;
    const fused = String(node.attributes.fused_ops ?? '').split(',');
    if (['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'].includes(node.op)) {
      if (x.length === 4 && w.length === 4 && known(x[3], w[2]) && x[3] !== w[2]) {
        throw mismatch(node, `its input has ${x[3]} channels but its filter "${node.inputs[1]}" has shape ${JSON.stringify(w)} (expects ${w[2]} input channels)`);
      }
      const out = node.op.includes('Depthwise') ? (known(w[2], w[3]) ? (w[2] as number) * (w[3] as number) : null) : w[3];
      if (fused.includes('BiasAdd') && b && b.length === 1 && known(b[0], out) && b[0] !== out) {
        throw mismatch(node, `its bias "${node.inputs[2]}" has ${b[0]} values for ${out} output channels`);
      }
    }
    if (['MatMul', '_FusedMatMul'].includes(node.op) && x.length === 2 && w.length === 2) {
      const inner = node.attributes.transpose_a === true ? x[0] : x[1];
      const rows = node.attributes.transpose_b === true ? w[1] : w[0];
      if (known(inner, rows) && inner !== rows) {
        throw mismatch(node, `its input has ${inner} features but its weights "${node.inputs[1]}" have shape ${JSON.stringify(w)} (expect ${rows})`);
      }
      const cols = node.attributes.transpose_b === true ? w[0] : w[1];
      if (fused.includes('BiasAdd') && b && b.length === 1 && known(b[0], cols) && b[0] !== cols) {
        throw mismatch(node, `its bias "${node.inputs[2]}" has ${b[0]} values for ${cols} outputs`);
      }
    }
    if (node.op === 'BiasAdd' && w.length === 1 && known(w[0], x[x.length - 1]) && w[0] !== x[x.length - 1]) {
      throw mismatch(node, `its bias "${node.inputs[1]}" has ${w[0]} values for ${x[x.length - 1]} channels`);
    }
  }
}

/** Checks shapes of a parsed topology against the weights manifest. @throws CoreError MODEL_INVALID */
export function validateShapes(dir: string, json: ModelJson, topology: ModelTopology, raw: RawLayers): void {
  if (topology.format === 'graph') validateGraphShapes(dir, topology);
  else validateLayerWeights(dir, json, topology, raw);
}
