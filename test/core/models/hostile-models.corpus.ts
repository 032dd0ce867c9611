/**
 * The bad-model corpus: one row per hostile or broken model folder, how it is built from a
 * good tiny model, and what import must answer. Used by hostile-models.test.ts.
 */
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../../../src-main/core/errors.js';

/** A model.json as the rows edit it (loosely typed on purpose: rows write what a hostile file may hold). */
export type Json = any;

export type CorpusRow = {
  name: string;
  /** The good model the row starts from. */
  base: 'layers' | 'graph';
  /** Turns the good copy in `dir` into the bad input. */
  build: (dir: string) => Promise<void>;
  code: ErrorCode;
  /** A fragment the error message must contain (it names what is wrong). */
  message: string | RegExp;
};

async function editJson(dir: string, edit: (json: Json) => void): Promise<void> {
  const file = path.join(dir, 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8'));
  edit(json);
  await writeFile(file, JSON.stringify(json));
}
const edit = (fn: (json: Json) => void) => (dir: string) => editJson(dir, fn);

/** The layers of the tiny functional classifier: image → conv1 → block_1_expand → pool → logits. */
const layers = (json: Json): Json[] => json.modelTopology.config.layers;
const layer = (json: Json, name: string): Json => layers(json).find((l: Json) => l.name === name || l.config.name === name);
const weight = (json: Json, name: string): Json => json.weightsManifest[0].weights.find((w: Json) => w.name === name);
const graphNode = (json: Json, name: string): Json => json.modelTopology.node.find((n: Json) => n.name === name);
/** Points a Keras 2 inbound node at another producer. */
const feedFrom = (l: Json, producer: string): void => {
  l.inbound_nodes = [[[producer, 0, 0, {}]]];
};

export const CORPUS: CorpusRow[] = [
  // --- layers models -----------------------------------------------------------------
  { name: 'layer input from a missing layer', base: 'layers', code: 'MODEL_INVALID', message: 'layer "block_1_expand" takes input from "ghost", which is not a layer',
    build: edit((j) => feedFrom(layer(j, 'block_1_expand'), 'ghost')) },
  { name: 'output_layers naming a missing layer', base: 'layers', code: 'MODEL_INVALID', message: '"output_layers" names "nowhere"',
    build: edit((j) => (j.modelTopology.config.output_layers = [['nowhere', 0, 0]])) },
  { name: 'layer graph cycle', base: 'layers', code: 'MODEL_INVALID', message: /layers .*"conv1".*"block_1_expand".* cycle|layers .*"block_1_expand".*"conv1".* cycle/,
    build: edit((j) => feedFrom(layer(j, 'conv1'), 'block_1_expand')) },
  { name: 'unknown layer class', base: 'layers', code: 'MODEL_INVALID', message: 'layer "pool" has class "FancyPooling", which TF.js does not know',
    build: edit((j) => (layer(j, 'pool').class_name = 'FancyPooling')) },
  { name: 'prototype key as layer class', base: 'layers', code: 'MODEL_INVALID', message: 'class "constructor", which TF.js does not know',
    build: edit((j) => (layer(j, 'pool').class_name = 'constructor')) },
  { name: 'duplicate layer names', base: 'layers', code: 'MODEL_INVALID', message: 'two layers are named "conv1"',
    build: edit((j) => { const l = layer(j, 'block_1_expand'); l.name = 'conv1'; l.config.name = 'conv1'; }) },
  { name: 'layer without class_name', base: 'layers', code: 'MODEL_INVALID', message: 'has no "class_name"',
    build: edit((j) => delete layer(j, 'pool').class_name) },
  { name: 'root that is not a model', base: 'layers', code: 'MODEL_INVALID', message: 'must be a Sequential, Model or Functional',
    build: edit((j) => (j.modelTopology.class_name = 'Dense')) },
  { name: 'Dense units ≠ kernel in the manifest', base: 'layers', code: 'MODEL_INVALID', message: 'weight "logits/kernel" has shape [6,3] in the weights manifest, but layer "logits" (Dense) with input [?,6] needs [6,5]',
    build: edit((j) => (layer(j, 'logits').config.units = 5)) },
  { name: 'Conv2D kernel transposed (same byte size)', base: 'layers', code: 'MODEL_INVALID', message: 'weight "block_1_expand/kernel" has shape [3,3,6,4]',
    build: edit((j) => (weight(j, 'block_1_expand/kernel').shape = [3, 3, 6, 4])) },
  { name: 'a needed weight missing from the manifest', base: 'layers', code: 'MODEL_INVALID', message: 'needs a weight "logits/bias" of shape [3]',
    build: edit((j) => { const w = weight(j, 'logits/bias'); w.name = 'logits/extra'; }) },
  // --- weights manifest and files ----------------------------------------------------
  { name: 'weight file shorter than the manifest', base: 'layers', code: 'MODEL_INVALID', message: /hold \d+ bytes, but model.json's weight specs for them need \d+/,
    build: async (dir) => truncate(path.join(dir, 'weights.bin'), 100) },
  { name: 'manifest bigger than the weight file', base: 'layers', code: 'MODEL_INVALID', message: /hold \d+ bytes, but model.json's weight specs for them need \d+/,
    build: edit((j) => (weight(j, 'logits/bias').shape = [30])) },
  { name: 'a 100000×100000 weight in the manifest', base: 'layers', code: 'MODEL_INVALID', message: 'the largest, "logits/kernel", has shape [100000,100000]: 10000000000 values',
    build: edit((j) => (weight(j, 'logits/kernel').shape = [100000, 100000])) },
  { name: 'negative dimension', base: 'layers', code: 'MODEL_INVALID', message: 'weight "logits/kernel" has shape [6,-3]',
    build: edit((j) => (weight(j, 'logits/kernel').shape = [6, -3])) },
  { name: 'fractional dimension', base: 'layers', code: 'MODEL_INVALID', message: 'weight "logits/kernel" has shape [6,1.5]',
    build: edit((j) => (weight(j, 'logits/kernel').shape = [6, 1.5])) },
  { name: 'unknown dtype', base: 'layers', code: 'MODEL_INVALID', message: 'weight "logits/kernel" has dtype "float64"',
    build: edit((j) => (weight(j, 'logits/kernel').dtype = 'float64')) },
  { name: 'manifest group without paths', base: 'layers', code: 'MODEL_INVALID', message: 'weightsManifest[0] must be an object with "paths" and "weights"',
    build: edit((j) => delete j.weightsManifest[0].paths) },
  { name: 'missing weight file', base: 'layers', code: 'MODEL_INVALID', message: 'weights.bin named in model.json is missing',
    build: async (dir) => rm(path.join(dir, 'weights.bin')) },
  { name: 'deeply nested JSON (100000 levels)', base: 'layers', code: 'MODEL_INVALID', message: 'nests deeper than 100 levels',
    build: async (dir) => {
      const file = path.join(dir, 'model.json');
      const text = await readFile(file, 'utf8');
      await writeFile(file, text.replace('"modelTopology":', `"deep":${'['.repeat(100_000)}${']'.repeat(100_000)},"modelTopology":`));
    } },
  { name: 'deeply nested layer config (200 levels)', base: 'layers', code: 'MODEL_INVALID', message: 'nests deeper than 100 levels',
    build: edit((j) => { let v: Json = {}; for (let i = 0; i < 200; i++) v = { v }; layer(j, 'pool').config.extra = v; }) },
  // --- graph models ------------------------------------------------------------------
  { name: 'graph node input from a missing node', base: 'graph', code: 'MODEL_INVALID', message: 'graph node "net/conv/Relu" takes input from "net/ghost", which is not a node',
    build: edit((j) => (graphNode(j, 'net/conv/Relu').input = ['net/ghost'])) },
  { name: 'unknown graph op', base: 'graph', code: 'MODEL_INVALID', message: 'graph node "net/conv/Relu" has op "FancyRelu", which TF.js cannot run',
    build: edit((j) => (graphNode(j, 'net/conv/Relu').op = 'FancyRelu')) },
  { name: 'graph cycle', base: 'graph', code: 'MODEL_INVALID', message: /graph nodes .*"net\/conv\/Conv2D".* cycle/,
    build: edit((j) => (graphNode(j, 'net/conv/Conv2D').input = ['net/conv/Relu', 'net/conv/kernel'])) },
  { name: 'duplicate graph node names', base: 'graph', code: 'MODEL_INVALID', message: 'two graph nodes are named "net/conv/Relu"',
    build: edit((j) => j.modelTopology.node.push({ ...graphNode(j, 'net/conv/Relu') })) },
  { name: 'constant without a value', base: 'graph', code: 'MODEL_INVALID', message: 'constant "net/extra" has no value',
    build: edit((j) => j.modelTopology.node.push({ name: 'net/extra', op: 'Const', attr: {} })) },
  { name: 'MatMul weights of the wrong shape (same byte size)', base: 'graph', code: 'MODEL_INVALID', message: 'graph node "head/MatMul" (MatMul): its input has 4 features but its weights "head/weights" have shape [6,2]',
    build: edit((j) => (weight(j, 'head/weights').shape = [6, 2])) },
  { name: 'Conv2D filter for other input channels', base: 'graph', code: 'MODEL_INVALID', message: 'its input has 3 channels but its filter "net/conv/kernel" has shape [3,3,4,3]',
    build: edit((j) => (weight(j, 'net/conv/kernel').shape = [3, 3, 4, 3])) },
  { name: 'graph node without op', base: 'graph', code: 'MODEL_INVALID', message: 'graph node 3 needs a "name" and an "op"',
    build: edit((j) => delete j.modelTopology.node[3].op) },
];
