import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSaveHandler, loadLayersModelFromDir, readModelJson } from '../../../src-main/core/tf/file-io.js';
import { createModelStore, describeGraph, parseTopology, type ModelInfo, type ModelStore } from '../../../src-main/core/models/index.js';
import { inferLayerShape } from '../../../src-main/core/models/topology.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { makeGraphModel, makeLayersClassifier, makeNestedFeatureModel } from './fixtures.js';

let tf: typeof tfTypes;
let root: string;
let store: ModelStore;

beforeAll(async () => {
  tf = await useWasm();
  root = await mkdtemp(path.join(os.tmpdir(), 'rs-graph-'));
  store = createModelStore({ dir: path.join(root, 'store') });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every layer's inferred shape equals what TF.js computes when it builds the model. */
async function expectShapesMatchTfjs(info: ModelInfo): Promise<number> {
  const topology = parseTopology(await readModelJson(info.dir));
  const model = await loadLayersModelFromDir(info.dir);
  let checked = 0;
  try {
    for (const node of topology.nodes) {
      let container: tfTypes.LayersModel = model;
      let layer: tfTypes.layers.Layer | undefined;
      for (const [i, name] of node.path.entries()) {
        try {
          layer = container.getLayer(name);
        } catch {
          layer = undefined;
          break;
        }
        if (i < node.path.length - 1) container = layer as tfTypes.LayersModel;
      }
      if (!layer) continue; // a Sequential's implicit input layer
      expect(node.outputShape, node.id).toEqual(layer.outputShape);
      checked++;
    }
  } finally {
    model.dispose();
  }
  return checked;
}

describe('describeGraph on tiny models', () => {
  it('describes a hand-written graph model: ops, shapes, params on consumers, name-scope groups', async () => {
    const dir = path.join(root, 'graph');
    await makeGraphModel(dir);
    const info = await store.importModel(dir);
    const graph = await describeGraph(info);
    expect(graph.format).toBe('graph');
    expect(graph.modelId).toBe(info.id);
    expect(graph.nodes.map((n) => [n.id, n.op, n.outputShape, n.params, n.group ?? null])).toEqual([
      ['images', 'Placeholder', [null, 8, 8, 3], 0, null],
      ['net/conv/Conv2D', 'Conv2D', [null, 4, 4, 4], 108, 'net/conv'],
      ['net/conv/Relu', 'Relu', [null, 4, 4, 4], 0, 'net/conv'],
      ['net/pool/Mean', 'Mean', [null, 4], 0, 'net/pool'],
      ['head/MatMul', 'MatMul', [null, 3], 12, 'head'],
      ['head/Softmax', 'Softmax', [null, 3], 0, 'head'],
    ]);
    expect(graph.edges).toEqual([
      { from: 'images', to: 'net/conv/Conv2D', shape: [null, 8, 8, 3] },
      { from: 'net/conv/Conv2D', to: 'net/conv/Relu', shape: [null, 4, 4, 4] },
      { from: 'net/conv/Relu', to: 'net/pool/Mean', shape: [null, 4, 4, 4] },
      { from: 'net/pool/Mean', to: 'head/MatMul', shape: [null, 4] },
      { from: 'head/MatMul', to: 'head/Softmax', shape: [null, 3] },
    ]);
    expect(graph.groups).toEqual([
      { id: 'net', label: 'net' },
      { id: 'net/conv', label: 'conv', parent: 'net' },
      { id: 'net/pool', label: 'pool', parent: 'net' },
      { id: 'head', label: 'head' },
    ]);
    expect(graph.nodes[1].attributes).toMatchObject({ padding: 'SAME', strides: '1,2,2,1', data_format: 'NHWC' });
    expect(graph.input).toEqual({ name: 'images', shape: [null, 8, 8, 3], dtype: 'float32', normalization: '[0, 1] (pixel / 255)', crop: 'center' });
    expect(graph.bottleneck).toEqual({ name: 'net/pool/Mean', shape: [null, 4] });
    expect(graph.output).toEqual({ name: 'head/Softmax', shape: [null, 3] });
    expect(graph.totalParams).toBe(108 + 12);
  });

  it('describes a layers classifier with params from the weights manifest and block groups', async () => {
    const dir = path.join(root, 'classifier');
    (await makeLayersClassifier(dir)).dispose();
    const info = await store.importModel(dir, { spec: { normalization: { kind: 'range', min: -1, max: 1 } } });
    const graph = await describeGraph(info);
    expect(graph.nodes.map((n) => [n.id, n.op, n.outputShape, n.params])).toEqual([
      ['image', 'InputLayer', [null, 8, 8, 3], 0],
      ['conv1', 'Conv2D', [null, 8, 8, 4], 3 * 3 * 3 * 4 + 4],
      ['block_1_expand', 'Conv2D', [null, 4, 4, 6], 3 * 3 * 4 * 6 + 6],
      ['pool', 'GlobalAveragePooling2D', [null, 6], 0],
      ['logits', 'Dense', [null, 3], 6 * 3 + 3],
    ]);
    expect(graph.edges).toHaveLength(4);
    expect(graph.nodes.find((n) => n.id === 'block_1_expand')?.group).toBe('block_1');
    expect(graph.groups).toEqual([{ id: 'block_1', label: 'block_1' }]);
    expect(graph.nodes.find((n) => n.id === 'logits')?.attributes).toMatchObject({ units: 3, activation: 'softmax', use_bias: true });
    expect(graph.input.normalization).toBe('[-1, 1] (pixel / 127.5 - 1)');
    expect(graph.totalParams).toBe(112 + 222 + 21);
    expect(await expectShapesMatchTfjs(info)).toBe(5);
  });

  it('flattens nested models into a group, with edges across the boundary', async () => {
    const dir = path.join(root, 'nested');
    (await makeNestedFeatureModel(dir)).dispose();
    const info = await store.setBottleneckNode((await store.importModel(dir)).id, 'out_relu');
    const graph = await describeGraph(info);
    expect(graph.nodes.map((n) => n.id)).toEqual(['backbone/input_1', 'backbone/Conv1', 'backbone/Conv_1', 'backbone/out_relu', 'features']);
    expect(graph.nodes.filter((n) => n.group === 'backbone')).toHaveLength(4);
    expect(graph.groups).toEqual([{ id: 'backbone', label: 'backbone (Model)' }]);
    expect(graph.edges).toContainEqual({ from: 'backbone/out_relu', to: 'features', shape: [null, 8, 8, 12] });
    expect(graph.bottleneck).toEqual({ name: 'backbone/out_relu', shape: [null, 8, 8, 12] });
    expect(graph.input.name).toBe('backbone/input_1');
    expect(await expectShapesMatchTfjs(info)).toBe(5);
  });

  it('groups Inception-style mixed blocks without swallowing the stem', async () => {
    const input = tf.input({ shape: [9, 9, 3], name: 'input_1' });
    const conv = (name: string, filters: number, x: tfTypes.SymbolicTensor, strides = 1): tfTypes.SymbolicTensor =>
      tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', name }).apply(x) as tfTypes.SymbolicTensor;
    const stem = conv('stem', 4, input, 2);
    const mixed0 = tf.layers.concatenate({ name: 'mixed0' }).apply([conv('a1', 2, stem), conv('b2', 3, conv('b1', 2, stem))]) as tfTypes.SymbolicTensor;
    const mixed1 = tf.layers.concatenate({ name: 'mixed1' }).apply([conv('c1', 1, mixed0), mixed0]) as tfTypes.SymbolicTensor;
    const out = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(mixed1) as tfTypes.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const dir = path.join(root, 'inception');
    await model.save(fileSaveHandler(dir));
    model.dispose();

    const info = await store.importModel(dir);
    const graph = await describeGraph(info);
    const groupOf = Object.fromEntries(graph.nodes.map((n) => [n.id, n.group ?? null]));
    expect(groupOf).toEqual({ input_1: null, stem: null, a1: 'mixed0', b1: 'mixed0', b2: 'mixed0', mixed0: 'mixed0', c1: 'mixed1', mixed1: 'mixed1', avg_pool: null });
    expect(graph.nodes.find((n) => n.id === 'mixed1')?.outputShape).toEqual([null, 5, 5, 6]);
    expect(await expectShapesMatchTfjs(info)).toBe(9);
  });
});

describe('inferLayerShape', () => {
  it('computes Keras output shapes from configs', () => {
    const x: (number | null)[] = [null, 224, 224, 3];
    expect(inferLayerShape('ZeroPadding2D', { padding: [[0, 1], [0, 1]] }, [x])).toEqual([null, 225, 225, 3]);
    expect(inferLayerShape('Conv2D', { filters: 32, kernel_size: [3, 3], strides: [2, 2], padding: 'valid' }, [[null, 225, 225, 3]])).toEqual([null, 112, 112, 32]);
    expect(inferLayerShape('DepthwiseConv2D', { kernel_size: [3, 3], strides: [1, 1], padding: 'same', depth_multiplier: 2 }, [[null, 7, 7, 8]])).toEqual([null, 7, 7, 16]);
    expect(inferLayerShape('MaxPooling2D', { pool_size: [3, 3], strides: [2, 2], padding: 'valid' }, [[null, 147, 147, 64]])).toEqual([null, 73, 73, 64]);
    expect(inferLayerShape('Reshape', { target_shape: [1, 1, -1] }, [[null, 1024]])).toEqual([null, 1, 1, 1024]);
    expect(inferLayerShape('Flatten', {}, [[null, 7, 7, 2]])).toEqual([null, 98]);
    expect(inferLayerShape('Concatenate', { axis: -1 }, [[null, 5, 5, 2], [null, 5, 5, 3]])).toEqual([null, 5, 5, 5]);
    expect(inferLayerShape('Add', {}, [[null, 7, 7, 8], [null, 7, 7, 8]])).toEqual([null, 7, 7, 8]);
    expect(inferLayerShape('GlobalAveragePooling2D', { keepdims: true }, [[null, 7, 7, 8]])).toEqual([null, 1, 1, 8]);
    expect(inferLayerShape('SomeCustomLayer', {}, [x])).toBeNull();
  });
});

describe.skipIf(!hasShared)('describeGraph on the shared models', () => {
  it('mobilenet_v2_0.35_224: nested Model flattened, 16 inverted-residual blocks, shapes as TF.js builds them', async () => {
    const info = await store.setBottleneckNode((await store.importModel(sharedPath('models', 'mobilenet_v2_0.35_224'))).id, 'out_relu');
    const graph = await describeGraph(info);
    expect(graph.nodes).toHaveLength(156);
    expect(graph.edges).toHaveLength(165); // 155 chain edges + 10 residual Add inputs
    expect(graph.nodes.filter((n) => n.op === 'Add')).toHaveLength(10);
    expect(graph.groups).toContainEqual({ id: 'model2', label: 'model2 (Model)' });
    expect(graph.groups).toContainEqual({ id: 'model2/block_16', label: 'block_16', parent: 'model2' });
    expect(graph.groups.filter((g) => /^model2\/block_\d+$/.test(g.id))).toHaveLength(16);
    expect(graph.nodes.find((n) => n.id === 'model2/block_3_depthwise')?.group).toBe('model2/block_3');
    expect(graph.bottleneck).toEqual({ name: 'model2/out_relu', shape: [null, 7, 7, 1280] });
    expect(graph.output).toEqual({ name: 'global_average_pooling2d_GlobalAveragePooling2D2', shape: [null, 1280] });
    expect(graph.input).toMatchObject({ name: 'model2/input_1', shape: [null, 224, 224, 3] });
    expect(graph.totalParams).toBe(1640832 / 4);
    expect(graph.nodes.reduce((sum, n) => sum + n.params, 0)).toBe(graph.totalParams);
    expect(await expectShapesMatchTfjs(info)).toBe(156);
  });

  it('darknet_tiny_imagenet: 52 layers in a chain, 1000 logits', async () => {
    const info = await store.importModel(sharedPath('models', 'darknet_tiny_imagenet'), { labelsFile: 'labels_darknet_order.json', spec: { crop: 'squash' } });
    const graph = await describeGraph(info);
    expect(graph.nodes).toHaveLength(52);
    expect(graph.edges).toHaveLength(51);
    expect(graph.groups).toEqual([]);
    expect(graph.bottleneck).toEqual({ name: 'leaky_re_lu_15', shape: [null, 14, 14, 128] });
    expect(graph.output).toEqual({ name: 'global_average_pooling2d_1', shape: [null, 1000] });
    expect(graph.input.crop).toBe('squash');
    expect(graph.totalParams).toBe(1046488);
    expect(await expectShapesMatchTfjs(info)).toBe(52);
  });
});
