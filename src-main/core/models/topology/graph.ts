/** TF.js graph models (model.json `node` lists) → topology nodes in topological order, with shapes and parameters. */
import type { ModelJson } from '../../tf/file-io.js';
import { elementCount, weightByteLength } from '../weights.js';
import { attrShape, attrString, inferGraphShape, stripInput, type AttrValue, type GraphNodeDef } from './graph-shapes.js';
import { assembleTopology, type AttributeValue, type ModelTopology, type ParseTopologyOptions, type Shape, type TopologyGroup, type TopologyNode } from './types.js';

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

export function parseGraph(json: ModelJson, options: ParseTopologyOptions): ModelTopology {
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
  return assembleTopology('graph', nodes, [...groups.values()], inputs, outputs, json);
}
