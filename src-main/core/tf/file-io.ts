/**
 * TF.js model I/O on the local file system. Pure tfjs has no `file://` handler (that
 * comes with tfjs-node, which is optional), so models are read and written here.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { readConfined } from '../access/index.js';
import { writeFileAtomic } from '../files/index.js';

/** The parsed `model.json` of a TF.js layers or graph model. */
export type ModelJson = {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  trainingConfig?: unknown;
};

/** Reads and parses `<dir>/model.json`; throws MODEL_NOT_FOUND / MODEL_INVALID with the path. */
export async function readModelJson(dir: string): Promise<ModelJson> {
  const file = path.join(dir, 'model.json');
  let text: string;
  try {
    text = (await readConfined('model.json', { root: dir, maxBytes: MODEL_JSON_MAX_BYTES, label: file })).bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CoreError && error.code !== 'NOT_FOUND') throw new CoreError('MODEL_INVALID', `${error.message} A model's files must be regular files inside its folder.`);
    throw new CoreError('MODEL_NOT_FOUND', `No model.json in ${dir}. Choose the folder that holds a TF.js model (model.json + weight files).`);
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch {
    // V8's message quotes the text: never echo a file's contents.
    throw new CoreError('MODEL_INVALID', `${file} is not valid JSON. Choose the model.json the converter wrote.`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new CoreError('MODEL_INVALID', `${file} is not a TF.js model: it needs "modelTopology" and "weightsManifest".`);
  }
  if (jsonDepth(json, MODEL_JSON_MAX_DEPTH) > MODEL_JSON_MAX_DEPTH) {
    throw new CoreError('MODEL_INVALID', `${file} nests deeper than ${MODEL_JSON_MAX_DEPTH} levels, which no real model does. Choose the model.json the converter wrote.`);
  }
  return json;
}

/** Largest model.json read (topology + manifest; weights are in the shards). */
const MODEL_JSON_MAX_BYTES = 64 * 1024 * 1024;
/** Largest model read: every shard together (Inception v3 float32 is ~95 MB). */
export const MODEL_WEIGHTS_MAX_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/**
 * Deepest nesting accepted in model.json. Real models nest about 12 levels; code that walks
 * the topology recursively would overflow the stack on a hostile file nested 100000 deep.
 */
export const MODEL_JSON_MAX_DEPTH = 100;

/** The nesting depth of a parsed JSON value, walked without recursion; stops counting past `limit`. */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (!current || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };

/** Bytes the manifest's weight specs need (quantized specs count their stored dtype); null when unknown (string tensors). */
export function manifestWeightBytes(json: ModelJson): number | null {
  let total = 0;
  for (const spec of json.weightsManifest.flatMap((group) => group.weights)) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const bytes = DTYPE_BYTES[dtype];
    if (bytes === undefined || !Array.isArray(spec.shape)) return null;
    total += spec.shape.reduce((n, d) => n * d, 1) * bytes;
  }
  return total;
}

/**
 * The weight shards of a model folder concatenated in manifest order. Shards are read only
 * inside `dir` (regular files; `..`, absolute paths, links out and devices are refused) and
 * must add up to what the weight specs need.
 * @throws CoreError MODEL_INVALID naming the shard that is missing, outside or the wrong size.
 */
export async function readWeightData(dir: string, json: ModelJson): Promise<ArrayBuffer> {
  const expected = manifestWeightBytes(json);
  if (expected !== null && expected > MODEL_WEIGHTS_MAX_BYTES) {
    throw new CoreError('MODEL_INVALID', `model.json in ${dir} declares ${expected} bytes of weights, more than a TF.js model can hold. Choose another model.`);
  }
  const buffers: Buffer[] = [];
  let total = 0;
  for (const group of json.weightsManifest) {
    for (const shard of group.paths) {
      try {
        const { bytes } = await readConfined(shard, { root: dir, maxBytes: MODEL_WEIGHTS_MAX_BYTES - total, label: `Weight file "${shard}" named in ${path.join(dir, 'model.json')}` });
        buffers.push(bytes);
        total += bytes.length;
      } catch (error) {
        if (error instanceof CoreError && error.code !== 'NOT_FOUND') throw new CoreError('MODEL_INVALID', error.message);
        throw new CoreError('MODEL_INVALID', `Weight file ${path.join(dir, shard)} named in model.json is missing. Download or copy the model again.`);
      }
    }
  }
  if (expected !== null && total !== expected) {
    throw new CoreError('MODEL_INVALID', `The weight files of ${dir} hold ${total} bytes but model.json's weight specs need ${expected}. Download or copy the model again.`);
  }
  const joined = Buffer.concat(buffers);
  return joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
}

/** An IOHandler that loads `model.json` and its weight shards from a folder. */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = await readModelJson(dir);
      const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
      const weightData = await readWeightData(dir, json);
      return {
        modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? undefined,
        weightSpecs,
        weightData,
        signature: json.signature as tf.io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
        modelInitializer: json.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
        trainingConfig: json.trainingConfig as tf.io.ModelArtifacts['trainingConfig'],
      };
    },
  };
}

/** Concatenates tfjs weight data (one buffer or several) into one ArrayBuffer. */
export function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((sum, b) => sum + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/**
 * An IOHandler that writes `model.json` + `weights.bin` into `dir` (created if needed).
 * Each file is written to a temp name and renamed, so a crash never leaves a half model.
 */
export function fileSaveHandler(dir: string, extraJson: Partial<ModelJson> = {}): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    await mkdir(dir, { recursive: true });
    const weights = Buffer.from(joinWeightData(artifacts.weightData));
    const json: ModelJson = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      ...extraJson,
    };
    await writeAtomic(path.join(dir, 'weights.bin'), weights);
    await writeAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
        weightDataBytes: weights.byteLength,
      },
    };
  });
}

/** Writes a file via a unique temp name + rename so readers never see a partial file (core/files does it, flushed to disk). */
export const writeAtomic = writeFileAtomic;

/** Loads a TF.js layers model from a folder. */
export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}

/** Loads a TF.js graph model from a folder. */
export async function loadGraphModelFromDir(dir: string): Promise<tf.GraphModel> {
  return tf.loadGraphModel(fileLoadHandler(dir));
}
