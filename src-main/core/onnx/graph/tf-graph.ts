/**
 * A TF.js graph model (`format: graph-model`) as plain data: its nodes (TensorFlow GraphDef
 * ops as the tfjs-converter writes them) and its constants, dequantized exactly as TF.js does
 * on load (`tf.io.decodeWeights`: uint8/uint16 `q * scale + min`, float16 widened), so the
 * converted graph computes with the same weights as the TF.js model it is checked against.
 */
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../../errors.js';
import { readModelJson, readWeightData, type ModelJson } from '../../tf/file-io.js';

/** One attribute as GraphDef JSON spells it (int64 lists as strings, strings base64). */
export type TfAttr = {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: { dim?: Array<{ size?: string | number }>; unknownRank?: boolean };
  list?: { s?: string[]; i?: Array<string | number>; f?: number[]; type?: string[] };
  tensor?: unknown;
};

/** One GraphDef node. */
export type TfNode = { name: string; op: string; input?: string[]; attr?: Record<string, TfAttr> };

/** A constant's value: float32 for float weights, int32 for shapes and axes. */
export type TfConst = { shape: number[]; data: Float32Array | Int32Array };

export type TfGraph = { nodes: TfNode[]; consts: Map<string, TfConst> };

/** Reads `<dir>/model.json` and its weights as a {@link TfGraph}. */
export async function readTfGraph(dir: string): Promise<TfGraph> {
  const json = await readModelJson(dir);
  return parseTfGraph(json, await readWeightData(dir, json), dir);
}

/** The graph of an already read model.json and its concatenated weight shards. */
export function parseTfGraph(json: ModelJson, weightData: ArrayBuffer, dir = 'the model folder'): TfGraph {
  const topology = json.modelTopology as { node?: TfNode[]; library?: { function?: unknown[] } };
  if (json.format !== 'graph-model' && !Array.isArray(topology.node)) {
    throw new CoreError('MODEL_INVALID', `${dir} is not a TF.js graph model (no modelTopology.node).`);
  }
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const consts = new Map<string, TfConst>();
  // decodeWeights makes tensors; copy them out as arrays and free them at once.
  const tensors = tf.io.decodeWeights(weightData, specs);
  try {
    for (const [name, tensor] of Object.entries(tensors)) {
      const data = tensor.dataSync();
      if (tensor.dtype === 'float32') consts.set(name, { shape: tensor.shape, data: Float32Array.from(data as Float32Array) });
      else if (tensor.dtype === 'int32') consts.set(name, { shape: tensor.shape, data: Int32Array.from(data as Int32Array) });
      // Other dtypes (bool, string) have no use in the ops converted; a node that needs one says so.
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { nodes: topology.node ?? [], consts };
}

// ── attribute access ──

const text = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

export function attrString(node: TfNode, key: string, fallback = ''): string {
  const a = node.attr?.[key];
  return a?.s === undefined ? fallback : text(a.s);
}

export function attrInts(node: TfNode, key: string): number[] {
  return (node.attr?.[key]?.list?.i ?? []).map(Number);
}

export function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr?.[key]?.list?.s ?? []).map(text);
}

export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  const b = node.attr?.[key]?.b;
  return b === undefined ? fallback : b;
}

export function attrFloat(node: TfNode, key: string, fallback: number): number {
  const f = node.attr?.[key]?.f;
  return f === undefined ? fallback : Number(f);
}

export function attrInt(node: TfNode, key: string, fallback: number): number {
  const i = node.attr?.[key]?.i;
  return i === undefined ? fallback : Number(i);
}

/** A Placeholder's declared shape; `null` for unknown (-1) dimensions. */
export function placeholderShape(node: TfNode): (number | null)[] | null {
  const shape = node.attr?.shape?.shape;
  if (!shape || shape.unknownRank || !shape.dim) return null;
  return shape.dim.map((d) => {
    const n = Number(d.size ?? -1);
    return n >= 0 ? n : null;
  });
}

/** `name`, `name:0` and `^name` (a control edge) → the node name and output index; null for control edges. */
export function parseInput(input: string): { node: string; output: number } | null {
  if (input.startsWith('^')) return null;
  const m = /^(.*):(\d+)$/.exec(input);
  return m ? { node: m[1], output: Number(m[2]) } : { node: input, output: 0 };
}
