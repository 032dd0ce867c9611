/**
 * Reads a TF.js model.json topology (layers or graph) into one plain node list, without
 * instantiating the model or its weights: names, ops, producers, inferred output shapes,
 * parameter counts and collapsible groups. Used for bottleneck validation and defaults,
 * input inference and the graph view.
 */
import type { ModelJson } from '../tf/file-io.js';
import { elementCount, weightByteLength } from './weights.js';

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

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

function finish(
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

function toShape(value: unknown): Shape | null {
  if (!Array.isArray(value)) return null;
  return value.map((d) => (typeof d === 'number' && d >= 0 ? d : null));
}

function broadcast(shapes: (Shape | null)[]): Shape | null {
  const known = shapes.filter((s): s is Shape => !!s);
  if (known.length === 0) return null;
  const rank = Math.max(...known.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    let dim: number | null = 1;
    for (const s of known) {
      const d = s[s.length - rank + i];
      if (d === undefined) continue;
      if (d === null) dim = dim === 1 ? null : dim;
      else if (d !== 1) dim = d;
    }
    out.push(dim);
  }
  return out;
}

function spatialOut(size: number | null, kernel: number, stride: number, dilation: number, same: boolean): number | null {
  if (size === null) return null;
  const effective = (kernel - 1) * dilation + 1;
  return same ? Math.ceil(size / stride) : Math.max(0, Math.ceil((size - effective + 1) / stride));
}

const pair = (value: unknown, fallback: number): [number, number] => {
  if (Array.isArray(value)) return [Number(value[0] ?? fallback), Number(value[1] ?? value[0] ?? fallback)];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
};

function product(shape: Shape): number | null {
  let p = 1;
  for (const d of shape) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

function reshapeTo(input: Shape | null, target: number[], keepsBatch: boolean): Shape | null {
  const dims: Shape = target.map((d) => (d >= 0 ? d : null));
  const unknown = dims.indexOf(null);
  if (unknown >= 0 && input) {
    const total = product(keepsBatch ? input.slice(1) : input);
    const rest = product(dims.filter((_, i) => i !== unknown));
    if (total !== null && rest) dims[unknown] = total / rest;
  }
  return keepsBatch ? [input ? input[0] ?? null : null, ...dims] : dims;
}

// ---------------------------------------------------------------------------------------
// Layers models
// ---------------------------------------------------------------------------------------

type KerasLayer = { class_name: string; name?: string; config: Record<string, unknown> | unknown[]; inbound_nodes?: unknown[] };
type KerasModelConfig = { name?: string; layers?: KerasLayer[]; input_layers?: unknown[]; output_layers?: unknown[] };

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);
const ELEMENTWISE_LAYERS = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'BatchNormalization',
  'LayerNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout', 'Rescaling', 'Normalization', 'Masking', 'Identity', 'ActivityRegularization',
]);
const MERGE_LAYERS = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);
const SKIPPED_CONFIG_KEYS = new Set(['name', 'trainable', 'dtype', 'batch_input_shape', 'batchInputShape', 'layers', 'sparse', 'ragged']);

type LayersContext = {
  nodes: TopologyNode[];
  byId: Map<string, TopologyNode>;
  groups: TopologyGroup[];
  paramsByLayer: Map<string, number>;
  claimedParams: Set<string>;
};

function layerConfig(layer: KerasLayer): Record<string, unknown> {
  return Array.isArray(layer.config) ? {} : layer.config ?? {};
}

/** A Keras layer's name (its `name`, else `config.name`, else its class). */
export function layerName(layer: { class_name: string; name?: string; config?: unknown }): string {
  return String(layer.name ?? layerConfig(layer as KerasLayer).name ?? layer.class_name);
}

function layerAttributes(config: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SKIPPED_CONFIG_KEYS.has(key) || /_(initializer|regularizer|constraint)$/.test(key)) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value as AttributeValue;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'number' || typeof v === 'string')) out[key] = value.join('×');
    else if (Array.isArray(value) && value.every((v) => Array.isArray(v))) out[key] = JSON.stringify(value);
  }
  return out;
}

/** Output shape of one Keras layer from its config and input shapes (null if unknown). */
export function inferLayerShape(className: string, config: Record<string, unknown>, inputShapes: (Shape | null)[]): Shape | null {
  const input = inputShapes[0] ?? null;
  if (className === 'InputLayer') {
    return toShape(config.batch_input_shape ?? config.batchInputShape ?? config.batch_shape) ??
      (Array.isArray(config.input_shape) ? [null, ...(toShape(config.input_shape) ?? [])] : null);
  }
  if (ELEMENTWISE_LAYERS.has(className)) return input;
  if (MERGE_LAYERS.has(className)) return broadcast(inputShapes);
  if (!input) return null;
  const channelsFirst = config.data_format === 'channels_first';
  switch (className) {
    case 'Dense':
      return [...input.slice(0, -1), Number(config.units)];
    case 'Flatten':
      return [input[0] ?? null, product(input.slice(1))];
    case 'Reshape':
      return Array.isArray(config.target_shape) ? reshapeTo(input, config.target_shape.map(Number), true) : null;
    case 'Permute': {
      const dims = Array.isArray(config.dims) ? config.dims.map(Number) : null;
      return dims ? [input[0] ?? null, ...dims.map((d) => input[d] ?? null)] : null;
    }
    case 'RepeatVector':
      return [input[0] ?? null, Number(config.n), input[1] ?? null];
    case 'Concatenate': {
      const known = inputShapes.filter((s): s is Shape => !!s);
      if (known.length !== inputShapes.length) return null;
      const rank = input.length;
      const axis = ((Number(config.axis ?? -1) % rank) + rank) % rank;
      const out = [...input];
      out[axis] = known.reduce<number | null>((sum, s) => (sum === null || s[axis] === null ? null : sum + (s[axis] as number)), 0);
      return out;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      if (input.length !== 4) return null;
      const channels = channelsFirst ? input[1] : input[3];
      return config.keepdims ? (channelsFirst ? [input[0], channels, 1, 1] : [input[0], 1, 1, channels]) : [input[0], channels];
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
      return input.length === 3 ? [input[0], input[2]] : null;
  }
  if (input.length !== 4 || channelsFirst) return null;
  const [batch, height, width, channels] = input;
  const same = config.padding === 'same';
  switch (className) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const [kh, kw] = pair(config.kernel_size, 1);
      const [sh, sw] = pair(config.strides, 1);
      const [dh, dw] = pair(config.dilation_rate, 1);
      const out =
        className === 'DepthwiseConv2D' ? (channels === null ? null : channels * Number(config.depth_multiplier ?? 1)) : Number(config.filters);
      return [batch, spatialOut(height, kh, sh, dh, same), spatialOut(width, kw, sw, dw, same), out];
    }
    case 'Conv2DTranspose': {
      const [kh, kw] = pair(config.kernel_size, 1);
      const [sh, sw] = pair(config.strides, 1);
      const grow = (size: number | null, k: number, s: number): number | null =>
        size === null ? null : same ? size * s : size * s + Math.max(k - s, 0);
      return [batch, grow(height, kh, sh), grow(width, kw, sw), Number(config.filters)];
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(config.pool_size, 2);
      const strides = config.strides ?? config.pool_size;
      const [sh, sw] = pair(strides, 2);
      return [batch, spatialOut(height, ph, sh, 1, same), spatialOut(width, pw, sw, 1, same), channels];
    }
    case 'ZeroPadding2D': {
      const padding = config.padding;
      let top = 1, bottom = 1, left = 1, right = 1;
      if (typeof padding === 'number') top = bottom = left = right = padding;
      else if (Array.isArray(padding) && Array.isArray(padding[0])) {
        [top, bottom] = pair(padding[0], 0);
        [left, right] = pair(padding[1], 0);
      } else if (Array.isArray(padding)) {
        top = bottom = Number(padding[0]);
        left = right = Number(padding[1] ?? padding[0]);
      }
      return [batch, height === null ? null : height + top + bottom, width === null ? null : width + left + right, channels];
    }
    case 'Cropping2D': {
      const cropping = config.cropping;
      let top = 0, bottom = 0, left = 0, right = 0;
      if (typeof cropping === 'number') top = bottom = left = right = cropping;
      else if (Array.isArray(cropping) && Array.isArray(cropping[0])) {
        [top, bottom] = pair(cropping[0], 0);
        [left, right] = pair(cropping[1], 0);
      }
      return [batch, height === null ? null : height - top - bottom, width === null ? null : width - left - right, channels];
    }
    case 'UpSampling2D': {
      const [fh, fw] = pair(config.size, 2);
      return [batch, height === null ? null : height * fh, width === null ? null : width * fw, channels];
    }
  }
  return null;
}

/** Producer layer references `[name, tensorIndex]` of one Keras call node (Keras 2 and 3 forms). */
export function callNodeRefs(callNode: unknown): Array<[string, number]> {
  const refs: Array<[string, number]> = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      if (typeof value[0] === 'string' && typeof value[1] === 'number' && typeof value[2] === 'number') {
        refs.push([value[0], value[2]]);
        return;
      }
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      const history = (value as { config?: { keras_history?: unknown } }).config?.keras_history;
      if (Array.isArray(history)) refs.push([String(history[0]), Number(history[2] ?? 0)]);
      else Object.values(value).forEach(visit);
    }
  };
  visit(callNode);
  return refs;
}

const BLOCK_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^(block_\d+)_/, (m) => m[1]],
  [/^conv_(?:dw|pw|pad)_(\d+)(?:_|$)/, (m) => `conv_block_${m[1]}`],
  [/^(conv\d+_block\d+)_/, (m) => m[1]],
  [/^(block\d+[a-z]?)_/, (m) => m[1]],
  [/^(expanded_conv(?:_\d+)?)[/_]/, (m) => m[1]],
];

function addGroup(ctx: LayersContext, id: string, label: string, parent?: string): void {
  if (!ctx.groups.some((g) => g.id === id)) ctx.groups.push({ id, label, ...(parent ? { parent } : {}) });
}

function addLayerNode(
  ctx: LayersContext,
  layer: KerasLayer,
  prefix: string[],
  parentGroup: string | undefined,
  inputIds: string[],
  kind: 'input' | 'layer' = 'layer',
): TopologyNode {
  const name = layerName(layer);
  const config = layerConfig(layer);
  const path = [...prefix, name];
  const inputShapes = inputIds.map((id) => ctx.byId.get(id)?.outputShape ?? null);
  let outputShape = inferLayerShape(layer.class_name, config, inputShapes);
  if (layer.class_name === 'InputLayer' && !outputShape) outputShape = inputShapes[0] ?? null;
  let group = parentGroup;
  for (const [pattern, label] of BLOCK_PATTERNS) {
    const match = name.match(pattern);
    if (match) {
      const block = label(match);
      group = parentGroup ? `${parentGroup}/${block}` : block;
      addGroup(ctx, group, block, parentGroup);
      break;
    }
  }
  let params = 0;
  if (!ctx.claimedParams.has(name)) {
    params = ctx.paramsByLayer.get(name) ?? 0;
    ctx.claimedParams.add(name);
  }
  const node: TopologyNode = {
    id: path.join('/'),
    name,
    path,
    op: layer.class_name,
    kind,
    inputs: [...new Set(inputIds)],
    outputShape,
    params,
    ...(group ? { group } : {}),
    attributes: layerAttributes(config),
  };
  ctx.nodes.push(node);
  ctx.byId.set(node.id, node);
  return node;
}

/** Adds a (possibly nested) Keras model; returns its input and output node ids. */
function addKerasModel(
  ctx: LayersContext,
  model: KerasLayer,
  prefix: string[],
  parentGroup: string | undefined,
  feed: string[] | undefined,
): { inputs: string[]; outputs: string[] } {
  const config = (Array.isArray(model.config) ? { layers: model.config } : model.config) as KerasModelConfig;
  const layers = config.layers ?? [];
  if (model.class_name === 'Sequential') {
    let previous: string | undefined = feed?.[0];
    const inputs: string[] = [];
    layers.forEach((layer, index) => {
      const name = layerName(layer);
      if (MODEL_CLASSES.has(layer.class_name)) {
        const nested = nestModel(ctx, layer, prefix, parentGroup, previous ? [previous] : undefined);
        if (index === 0 && !previous) inputs.push(...nested.inputs);
        previous = nested.outputs[0];
        return;
      }
      if (layer.class_name === 'InputLayer') {
        const node = addLayerNode(ctx, layer, prefix, parentGroup, previous ? [previous] : [], previous ? 'layer' : 'input');
        if (!previous) inputs.push(node.id);
        previous = node.id;
        return;
      }
      if (!previous) {
        const cfg = layerConfig(layer);
        const synthetic: KerasLayer = {
          class_name: 'InputLayer',
          config: { name: `${name}_input`, batch_input_shape: cfg.batch_input_shape ?? cfg.batchInputShape ?? null },
        };
        const input = addLayerNode(ctx, synthetic, prefix, parentGroup, [], 'input');
        inputs.push(input.id);
        previous = input.id;
      }
      previous = addLayerNode(ctx, layer, prefix, parentGroup, [previous]).id;
    });
    return { inputs, outputs: previous ? [previous] : [] };
  }

  // Functional model: resolve layers once their producers exist (configs are usually in order).
  const outputsByLayer = new Map<string, string[]>();
  const inputNames = (config.input_layers ?? []).map((ref) => callNodeRefs([ref])[0]?.[0]).filter(Boolean) as string[];
  const inputs: string[] = [];
  const pending = [...layers];
  let progressed = true;
  while (pending.length > 0 && progressed) {
    progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const layer = pending[i];
      const name = layerName(layer);
      const refs = (layer.inbound_nodes ?? []).flatMap((callNode) => callNodeRefs(callNode));
      if (!refs.every(([producer]) => outputsByLayer.has(producer))) continue;
      const producerIds = refs.map(([producer, tensorIndex]) => {
        const outs = outputsByLayer.get(producer)!;
        return outs[tensorIndex] ?? outs[0];
      });
      if (layer.class_name === 'InputLayer') {
        const feedIndex = inputNames.indexOf(name);
        const fed = feed && feedIndex >= 0 ? feed[feedIndex] : undefined;
        const node = addLayerNode(ctx, layer, prefix, parentGroup, fed ? [fed] : [], fed ? 'layer' : 'input');
        if (!fed) inputs.push(node.id);
        outputsByLayer.set(name, [node.id]);
      } else if (MODEL_CLASSES.has(layer.class_name)) {
        const nested = nestModel(ctx, layer, prefix, parentGroup, producerIds);
        outputsByLayer.set(name, nested.outputs);
      } else {
        outputsByLayer.set(name, [addLayerNode(ctx, layer, prefix, parentGroup, producerIds).id]);
      }
      pending.splice(i, 1);
      i--;
      progressed = true;
    }
  }
  const outputs = (config.output_layers ?? [])
    .map((ref) => callNodeRefs([ref])[0])
    .filter((ref): ref is [string, number] => !!ref)
    .map(([producer, tensorIndex]) => outputsByLayer.get(producer)?.[tensorIndex] ?? outputsByLayer.get(producer)?.[0])
    .filter((id): id is string => !!id);
  groupInceptionBlocks(ctx, prefix, parentGroup);
  return { inputs, outputs };
}

function nestModel(
  ctx: LayersContext,
  layer: KerasLayer,
  prefix: string[],
  parentGroup: string | undefined,
  feed: string[] | undefined,
): { inputs: string[]; outputs: string[] } {
  const name = layerName(layer);
  const group = [...prefix, name].join('/');
  addGroup(ctx, group, `${name} (${layer.class_name})`, parentGroup);
  return addKerasModel(ctx, layer, [...prefix, name], group, feed);
}

/**
 * Keras Inception names its block outputs `mixed0…mixed10` (Concatenate). A block is every
 * ancestor of `mixedN` that is not a common ancestor of all of `mixedN`'s inputs.
 */
function groupInceptionBlocks(ctx: LayersContext, prefix: string[], parentGroup: string | undefined): void {
  const scope = prefix.join('/');
  const inScope = ctx.nodes.filter((n) => n.path.slice(0, -1).join('/') === scope);
  const byId = new Map(inScope.map((n) => [n.id, n]));
  const mixed = inScope.filter((n) => /^mixed\d+$/.test(n.name) && n.op === 'Concatenate');
  const ancestors = (id: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [id];
    while (stack.length) {
      const current = byId.get(stack.pop()!);
      for (const p of current?.inputs ?? []) {
        if (!seen.has(p) && byId.has(p)) {
          seen.add(p);
          stack.push(p);
        }
      }
    }
    return seen;
  };
  for (const block of mixed) {
    const inputSets = block.inputs.map((id) => new Set([id, ...ancestors(id)]));
    const common = inputSets.length ? [...inputSets[0]].filter((id) => inputSets.every((s) => s.has(id))) : [];
    const members = [...ancestors(block.id)].filter((id) => !common.includes(id));
    const group = parentGroup ? `${parentGroup}/${block.name}` : block.name;
    addGroup(ctx, group, block.name, parentGroup);
    for (const id of [...members, block.id]) {
      const node = byId.get(id)!;
      if (node.group === parentGroup) node.group = group;
    }
  }
}

function parseLayers(json: ModelJson): ModelTopology {
  let top = json.modelTopology as Record<string, unknown>;
  if (top && typeof top === 'object' && 'model_config' in top) top = top.model_config as Record<string, unknown>;
  const root = top as unknown as KerasLayer;
  const paramsByLayer = new Map<string, number>();
  for (const group of json.weightsManifest ?? []) {
    for (const w of group.weights) {
      const parts = w.name.split('/');
      const owner = parts.length >= 2 ? parts[parts.length - 2] : parts[0];
      paramsByLayer.set(owner, (paramsByLayer.get(owner) ?? 0) + elementCount(w.shape));
    }
  }
  const ctx: LayersContext = { nodes: [], byId: new Map(), groups: [], paramsByLayer, claimedParams: new Set() };
  const { inputs, outputs } = addKerasModel(ctx, root, [], undefined, undefined);
  return finish('layers', ctx.nodes, ctx.groups, inputs, outputs, json);
}

// ---------------------------------------------------------------------------------------
// Graph models
// ---------------------------------------------------------------------------------------

type AttrValue = {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { i?: Array<string | number>; s?: string[]; f?: number[]; b?: boolean[]; type?: string[] };
  shape?: { dim?: Array<{ size?: string | number }>; unknownRank?: boolean };
  tensor?: { dtype?: string; tensorShape?: { dim?: Array<{ size?: string | number }> }; intVal?: number[] };
};
type GraphNodeDef = { name: string; op: string; input?: string[]; attr?: Record<string, AttrValue> };

const ELEMENTWISE_OPS = new Set([
  'Identity', 'Relu', 'Relu6', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'LeakyRelu', 'Softplus',
  'BiasAdd', 'FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3', 'Rsqrt', 'Sqrt', 'Square', 'Exp', 'Log', 'Neg',
  'Abs', 'Floor', 'Ceil', 'Round', 'Cast', 'StopGradient', 'Snapshot', 'Erf', 'Prelu', 'AddN', 'Reciprocal', 'Sign',
  'ClipByValue', 'IdentityN',
]);
const BINARY_OPS = new Set(['Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Div', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'FloorDiv']);
const REDUCTION_OPS = new Set(['Mean', 'Max', 'Min', 'Sum', 'Prod', 'All', 'Any']);

const stripInput = (input: string): string => input.replace(/^\^/, '').replace(/:\d+$/, '');

function attrString(value: AttrValue | undefined): string | undefined {
  if (value?.s === undefined) return undefined;
  try {
    return Buffer.from(value.s, 'base64').toString('utf8');
  } catch {
    return value.s;
  }
}

function attrInts(value: AttrValue | undefined): number[] | undefined {
  return value?.list?.i?.map(Number);
}

function attrShape(value: AttrValue | undefined): Shape | null {
  const shape = value?.shape;
  if (!shape || shape.unknownRank) return null;
  return (shape.dim ?? []).map((d) => {
    const size = Number(d.size ?? -1);
    return size >= 0 ? size : null;
  });
}

function graphAttributes(attr: Record<string, AttrValue> | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(attr ?? {})) {
    if (key === 'value' || key.startsWith('_')) continue;
    if (value.s !== undefined) out[key] = attrString(value) ?? null;
    else if (value.i !== undefined) out[key] = Number(value.i);
    else if (value.f !== undefined) out[key] = value.f;
    else if (value.b !== undefined) out[key] = value.b;
    else if (value.type !== undefined) out[key] = value.type;
    else if (value.shape !== undefined) out[key] = JSON.stringify(attrShape(value));
    else if (value.list !== undefined) {
      const list = value.list;
      const items = list.i ?? list.f ?? list.b ?? list.type ?? list.s?.map((s) => attrString({ s }) ?? s) ?? [];
      out[key] = items.map(String).join(',');
    }
  }
  return out;
}

/** Reads small int32 constants (axes, shapes, paddings) from the weight bytes. */
function smallIntConstants(json: ModelJson, weightData: ArrayBuffer | undefined): Map<string, number[]> {
  const values = new Map<string, number[]>();
  if (!weightData) return values;
  let offset = 0;
  for (const group of json.weightsManifest ?? []) {
    for (const w of group.weights) {
      const bytes = weightByteLength(w);
      if (bytes === null) return values;
      const count = elementCount(w.shape);
      if (w.dtype === 'int32' && !w.quantization && count <= 64 && offset + bytes <= weightData.byteLength) {
        values.set(w.name, Array.from(new Int32Array(weightData.slice(offset, offset + bytes))));
      }
      offset += bytes;
    }
  }
  return values;
}

function parseGraph(json: ModelJson, options: ParseTopologyOptions): ModelTopology {
  const top = json.modelTopology as { node?: GraphNodeDef[] };
  const defs = top.node ?? [];
  const weightShapes = new Map<string, { shape: number[]; dtype: string }>();
  for (const group of json.weightsManifest ?? []) {
    for (const w of group.weights) weightShapes.set(w.name, { shape: w.shape, dtype: w.dtype });
  }
  const intConstants = smallIntConstants(json, options.weightData);
  const defsByName = new Map(defs.map((d) => [d.name, d]));

  // Topological order (model.json node lists are usually, not always, ordered).
  const ordered: GraphNodeDef[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (def: GraphNodeDef): void => {
    const stack: Array<[GraphNodeDef, number]> = [[def, 0]];
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const [current, index] = frame;
      if (index === 0) {
        if (state.has(current.name)) {
          stack.pop();
          continue;
        }
        state.set(current.name, 1);
      }
      const inputs = (current.input ?? []).filter((i) => !i.startsWith('^')).map(stripInput);
      if (index < inputs.length) {
        frame[1]++;
        const next = defsByName.get(inputs[index]);
        if (next && !state.has(next.name)) stack.push([next, 0]);
        continue;
      }
      state.set(current.name, 2);
      ordered.push(current);
      stack.pop();
    }
  };
  defs.forEach(visit);

  const shapes = new Map<string, Shape | null>();
  const constValues = (name: string): number[] | undefined =>
    intConstants.get(name) ?? defsByName.get(name)?.attr?.value?.tensor?.intVal?.map(Number);

  const nodes: TopologyNode[] = [];
  const groups = new Map<string, TopologyGroup>();
  const consumed = new Set<string>();
  const paramsClaimed = new Set<string>();
  for (const def of ordered) {
    const inputs = (def.input ?? []).filter((i) => !i.startsWith('^')).map(stripInput);
    inputs.forEach((i) => consumed.add(i));
    const kind: TopologyNode['kind'] = def.op === 'Const' ? 'const' : def.op === 'Placeholder' ? 'input' : 'op';
    const shape = inferGraphShape(def, inputs.map((i) => shapes.get(i) ?? null), inputs, constValues, weightShapes);
    shapes.set(def.name, shape);
    let params = 0;
    if (kind === 'const') {
      const w = weightShapes.get(def.name);
      params = w && w.dtype === 'float32' ? elementCount(w.shape) : 0;
    } else {
      for (const input of inputs) {
        const producer = defsByName.get(input);
        if (producer?.op !== 'Const' || paramsClaimed.has(input)) continue;
        paramsClaimed.add(input);
        const w = weightShapes.get(input);
        if (w && w.dtype === 'float32') params += elementCount(w.shape);
      }
    }
    const slash = def.name.lastIndexOf('/');
    const group = slash > 0 ? def.name.slice(0, slash) : undefined;
    if (group && kind !== 'const') {
      const parts = group.split('/');
      for (let i = 1; i <= parts.length; i++) {
        const id = parts.slice(0, i).join('/');
        if (!groups.has(id)) groups.set(id, { id, label: parts[i - 1], ...(i > 1 ? { parent: parts.slice(0, i - 1).join('/') } : {}) });
      }
    }
    nodes.push({
      id: def.name,
      name: def.name,
      path: [def.name],
      op: def.op,
      kind,
      inputs: [...new Set(inputs.filter((i) => defsByName.has(i)))],
      outputShape: shape,
      params,
      ...(group ? { group } : {}),
      attributes: graphAttributes(def.attr),
    });
  }

  const signature = json.signature as
    | { inputs?: Record<string, { name?: string }>; outputs?: Record<string, { name?: string }> }
    | undefined;
  const fromSignature = (entries: Record<string, { name?: string }> | undefined): string[] =>
    Object.values(entries ?? {})
      .map((e) => (e.name ? stripInput(e.name) : ''))
      .filter((name) => defsByName.has(name));
  let inputs = fromSignature(signature?.inputs);
  if (inputs.length === 0) inputs = nodes.filter((n) => n.kind === 'input').map((n) => n.id);
  let outputs = fromSignature(signature?.outputs);
  if (outputs.length === 0) {
    outputs = nodes.filter((n) => n.kind === 'op' && !consumed.has(n.id) && n.op !== 'NoOp').map((n) => n.id);
  }
  return finish('graph', nodes, [...groups.values()], inputs, outputs, json);
}

function inferGraphShape(
  def: GraphNodeDef,
  inputShapes: (Shape | null)[],
  inputs: string[],
  constValues: (name: string) => number[] | undefined,
  weightShapes: Map<string, { shape: number[] }>,
): Shape | null {
  const attr = def.attr ?? {};
  const input = inputShapes[0] ?? null;
  const op = def.op;
  if (op === 'Placeholder') return attrShape(attr.shape);
  if (op === 'Const') {
    const w = weightShapes.get(def.name);
    if (w) return [...w.shape];
    const dims = attr.value?.tensor?.tensorShape?.dim;
    return dims ? dims.map((d) => Number(d.size ?? 0)) : [];
  }
  if (ELEMENTWISE_OPS.has(op)) return input;
  if (BINARY_OPS.has(op)) return broadcast(inputShapes);
  if (!input) return null;
  switch (op) {
    case 'Conv2D':
    case '_FusedConv2D':
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
    case 'MaxPool':
    case 'AvgPool': {
      if (input.length !== 4 || (attrString(attr.data_format) ?? 'NHWC') !== 'NHWC') return null;
      const pooling = op === 'MaxPool' || op === 'AvgPool';
      const filter = pooling ? null : inputShapes[1];
      const ksize = pooling ? attrInts(attr.ksize) : filter ? [1, filter[0], filter[1], 1] : undefined;
      if (!ksize || ksize.some((k) => k === null)) return null;
      const strides = attrInts(attr.strides) ?? [1, 1, 1, 1];
      const dilations = attrInts(attr.dilations) ?? [1, 1, 1, 1];
      const padding = attrString(attr.padding) ?? 'VALID';
      let [height, width] = [input[1], input[2]];
      if (padding === 'EXPLICIT') {
        const explicit = attrInts(attr.explicit_paddings) ?? [];
        if (height !== null) height += (explicit[2] ?? 0) + (explicit[3] ?? 0);
        if (width !== null) width += (explicit[4] ?? 0) + (explicit[5] ?? 0);
      }
      const same = padding === 'SAME';
      let channels: number | null = input[3];
      if (!pooling) {
        if (!filter) return null;
        channels = op.includes('Depthwise') ? (filter[2] === null || filter[3] === null ? null : filter[2] * filter[3]) : filter[3];
      }
      return [
        input[0],
        spatialOut(height, Number(ksize[1]), strides[1], dilations[1], same),
        spatialOut(width, Number(ksize[2]), strides[2], dilations[2], same),
        channels,
      ];
    }
    case 'MatMul':
    case '_FusedMatMul':
    case 'BatchMatMul':
    case 'BatchMatMulV2': {
      const other = inputShapes[1];
      if (!other || input.length < 2 || other.length < 2) return null;
      const transposeA = attr.transpose_a?.b ?? attr.adj_x?.b ?? false;
      const transposeB = attr.transpose_b?.b ?? attr.adj_y?.b ?? false;
      const rows = transposeA ? input[input.length - 1] : input[input.length - 2];
      const cols = transposeB ? other[other.length - 2] : other[other.length - 1];
      return [...input.slice(0, -2), rows, cols];
    }
    case 'Squeeze': {
      const dims = attrInts(attr.squeeze_dims) ?? attrInts(attr.axis);
      const rank = input.length;
      const drop = dims && dims.length ? new Set(dims.map((d) => (d + rank) % rank)) : new Set(input.flatMap((d, i) => (d === 1 ? [i] : [])));
      return input.filter((_, i) => !drop.has(i));
    }
    case 'Reshape': {
      const target = constValues(inputs[1]);
      return target ? reshapeTo(input, target, false) : null;
    }
    case 'ExpandDims': {
      const axis = constValues(inputs[1])?.[0];
      if (axis === undefined) return null;
      const at = axis < 0 ? input.length + 1 + axis : axis;
      return [...input.slice(0, at), 1, ...input.slice(at)];
    }
    case 'ConcatV2': {
      const axisValue = constValues(inputs[inputs.length - 1])?.[0];
      const parts = inputShapes.slice(0, -1);
      if (axisValue === undefined || parts.some((s) => !s)) return null;
      const rank = input.length;
      const axis = (axisValue + rank) % rank;
      const out = [...input];
      out[axis] = (parts as Shape[]).reduce<number | null>((sum, s) => (sum === null || s[axis] === null ? null : sum + (s[axis] as number)), 0);
      return out;
    }
    case 'Pad':
    case 'PadV2':
    case 'MirrorPad': {
      const paddings = constValues(inputs[1]);
      if (!paddings) return null;
      return input.map((d, i) => (d === null ? null : d + (paddings[2 * i] ?? 0) + (paddings[2 * i + 1] ?? 0)));
    }
  }
  if (REDUCTION_OPS.has(op)) {
    const axes = constValues(inputs[1]);
    if (!axes) return null;
    const rank = input.length;
    const reduced = new Set(axes.map((a) => (a + rank) % rank));
    const keep = attr.keep_dims?.b ?? attr.keepDims?.b ?? false;
    return keep ? input.map((d, i) => (reduced.has(i) ? 1 : d)) : input.filter((_, i) => !reduced.has(i));
  }
  return null;
}
