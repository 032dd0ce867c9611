/**
 * Keras (TF.js layers) model configs → topology nodes: nested models inlined with qualified
 * ids, call nodes resolved to producers, weights counted per layer, blocks grouped.
 */
import type { ModelJson } from '../../tf/file-io.js';
import { elementCount } from '../weights.js';
import { inferLayerShape } from './layer-shapes.js';
import { assembleTopology, type AttributeValue, type ModelTopology, type TopologyGroup, type TopologyNode } from './types.js';

type KerasLayer = { class_name: string; name?: string; config: Record<string, unknown> | unknown[]; inbound_nodes?: unknown[] };
type KerasModelConfig = { name?: string; layers?: KerasLayer[]; input_layers?: unknown[]; output_layers?: unknown[] };

/** Layer classes that are (nested) models. */
export const MODEL_CLASSES: ReadonlySet<string> = new Set(['Model', 'Functional', 'Sequential']);
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

export function parseLayers(json: ModelJson): ModelTopology {
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
  return assembleTopology('layers', ctx.nodes, ctx.groups, inputs, outputs, json);
}
