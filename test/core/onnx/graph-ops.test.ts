/**
 * Every graph op the converter knows, on small hand-written TF.js graph models: each node's
 * output from ONNX Runtime against TF.js's `execute(x, node)` on seeded random input.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { compareOutputs, convertTfGraphToOnnx, createOnnxSession, readTfGraph, type TfGraph } from '../../../src-main/core/onnx/index.js';
import { loadGraphModelFromDir } from '../../../src-main/core/tf/file-io.js';
import { useWasm } from '../../helpers/tf.js';
import { a, GraphFixture } from './graph-builder-fixture.js';
import { randomArray } from './helpers.js';

const SAME = a.s('SAME');
const VALID = a.s('VALID');
const NHWC = a.s('NHWC');
const conv = (strides: number, padding: object, extra: object = {}) => ({ strides: a.ints([1, strides, strides, 1]), dilations: a.ints([1, 1, 1, 1]), padding, data_format: NHWC, ...extra });
const pool = (k: number, s: number, padding: object) => ({ ksize: a.ints([1, k, k, 1]), strides: a.ints([1, s, s, 1]), padding, data_format: NHWC });

/** One graph using every converted op; returns the nodes to compare, in order. */
function buildGraph(): { fixture: GraphFixture; checks: string[] } {
  const f = new GraphFixture([2, 9, 9, 3]);
  const checks: string[] = [];
  const n = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string => {
    checks.push(f.node(name, op, input, attr));
    return name;
  };
  const scaled = n('scale', 'Mul', [f.floats('scale/y', [], { min: 1.5, max: 1.6 }), 'input']);
  const shifted = n('shift', 'Sub', [scaled, f.floats('shift/y', [3])]);
  const padded = n('pad', 'Pad', [shifted, f.ints('pad/p', [0, 0, 1, 1, 2, 0, 0, 0], [4, 2])]);
  // uint16-quantized filter, fused bias + relu, stride 2 SAME on an odd size.
  const c1 = n('c1', '_FusedConv2D', [padded, f.floats('c1/w', [3, 3, 3, 4], { quantization: { dtype: 'uint16' } }), f.floats('c1/b', [4])], {
    ...conv(2, SAME),
    fused_ops: a.strings(['BiasAdd', 'Relu']),
    num_args: { i: '1' },
  });
  const dw = n('dw', 'DepthwiseConv2dNative', [c1, f.floats('dw/w', [3, 3, 4, 2])], conv(1, VALID));
  const bn = n('bn', 'FusedBatchNormV3', [dw, f.floats('bn/scale', [8]), f.floats('bn/offset', [8]), f.floats('bn/mean', [8]), f.floats('bn/var', [8], { min: 0.5, max: 1.5 })], {
    epsilon: a.f(0.001),
    data_format: NHWC,
    is_training: a.b(false),
  });
  const r6 = n('r6', 'Relu6', [bn]);
  const fdw = n('fdw', 'FusedDepthwiseConv2dNative', [c1, f.floats('fdw/w', [3, 3, 4, 2], { quantization: { dtype: 'uint8' } }), f.floats('fdw/b', [8])], {
    ...conv(1, VALID),
    fused_ops: a.strings(['BiasAdd', 'Relu6']),
    num_args: { i: '1' },
  });
  const c2 = n('c2', 'Conv2D', [c1, f.floats('c2/w', [3, 3, 4, 8])], conv(1, VALID));
  const biased = n('biased', 'BiasAdd', [c2, f.floats('biased/b', [8])], { data_format: NHWC });
  const sum = n('sum', 'AddV2', [r6, biased]);
  const addn = n('addn', 'AddN', [sum, fdw, r6], { N: { i: '3' } });
  const channelMul = n('cmul', 'Mul', [addn, f.floats('cmul/y', [8])]);
  const divided = n('div', 'RealDiv', [channelMul, f.floats('div/y', [1, 1, 8], { min: 1, max: 2 })]);
  const elu = n('elu', 'Elu', [divided]);
  const cat = n('cat', 'ConcatV2', [elu, r6, f.ints('cat/axis', [-1], [])], { N: { i: '2' } });
  const mp = n('mp', 'MaxPool', [cat], pool(3, 2, SAME));
  const ap = n('ap', 'AvgPool', [cat], pool(3, 2, SAME));
  const mx = n('mx', 'Maximum', [mp, ap]);
  const mean = n('mean', 'Mean', [mx, f.ints('mean/axes', [1, 2])], { keep_dims: a.b(true) });
  const squeezed = n('sq', 'Squeeze', [mean], { squeeze_dims: a.ints([1, 2]) });
  const dense = n('dense', '_FusedMatMul', [squeezed, f.floats('dense/w', [16, 5], { quantization: { dtype: 'uint8' } }), f.floats('dense/b', [5])], {
    transpose_a: a.b(false),
    transpose_b: a.b(false),
    fused_ops: a.strings(['BiasAdd', 'Relu6']),
    num_args: { i: '1' },
  });
  const soft = n('soft', 'Softmax', [dense]);
  // Removing only H: the result is [N, W, C] in TensorFlow's order (the converter transposes first).
  const rowMean = n('rowmean', 'Mean', [cat, f.ints('rowmean/axes', [1])], { keep_dims: a.b(false) });
  const rowMax = n('rowmax', 'Mean', [cat, f.ints('rowmax/axes', [1])], { keep_dims: a.b(true) });
  const rowSqueezed = n('rowsq', 'Squeeze', [rowMax], { squeeze_dims: a.ints([1]) });
  const rows = n('rows', 'AddV2', [rowMean, rowSqueezed]);
  const flat = n('flat', 'Reshape', [rows, f.ints('flat/shape', [-1, 64])]);
  const back = n('back', 'Reshape', [flat, f.ints('back/shape', [-1, 2, 2, 16])]);
  const backPool = n('backmean', 'Mean', [back, f.ints('backmean/axes', [1, 2])], { keep_dims: a.b(false) });
  const mm = n('mm', 'MatMul', [flat, f.floats('mm/w', [3, 64])], { transpose_a: a.b(false), transpose_b: a.b(true) });
  const tanh = n('tanh', 'Tanh', [mm]);
  const sig = n('sig', 'Sigmoid', [n('neg', 'Neg', [tanh])]);
  const relu = n('relu', 'Relu', [n('sub2', 'Sub', [sig, f.floats('sub2/y', [], { min: 0.4, max: 0.5 })])]);
  const padV2 = n('padv2', 'PadV2', [relu, f.ints('padv2/p', [0, 0, 1, 2], [2, 2]), f.floats('padv2/v', [], { min: 0.25, max: 0.26 })]);
  const final = n('final', 'ConcatV2', [soft, padV2, backPool, f.ints('final/axis', [1], [])], { N: { i: '3' } });
  n('Identity', 'Identity', [final]);
  return { fixture: f, checks };
}

describe('graph ops on ONNX Runtime against TF.js', () => {
  let dir: string;
  let graph: TfGraph;
  let model: tf.GraphModel;
  let checks: string[];
  const input = randomArray(2 * 9 * 9 * 3, 11, 0, 1);

  beforeAll(async () => {
    await useWasm();
    dir = await mkdtemp(path.join(os.tmpdir(), 'graph-ops-'));
    const built = buildGraph();
    checks = built.checks;
    await built.fixture.write(dir);
    graph = await readTfGraph(dir);
    model = await loadGraphModelFromDir(dir);
  });
  afterAll(async () => {
    model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('matches TF.js at the output of every node (max relative error 1e-5)', async () => {
    const outputs = tf.tidy(() => {
      const ys = model.execute(tf.tensor4d(input, [2, 9, 9, 3]), checks) as tf.Tensor[];
      return ys.map((y) => ({ shape: y.shape, data: y.dataSync() as Float32Array }));
    });
    const failures: string[] = [];
    for (const [i, node] of checks.entries()) {
      const converted = convertTfGraphToOnnx(graph, { outputNode: node });
      const session = await createOnnxSession(converted.bytes, { threads: 1 });
      try {
        const candidate = await session.run(input, 2);
        const report = compareOutputs(outputs[i].data, candidate, 2, 1e-5);
        // Declared output shapes (batch aside) agree with TF.js's.
        const declared = converted.outputShapes[0].slice(1);
        const shapeOk = JSON.stringify(declared) === JSON.stringify(outputs[i].shape.slice(1));
        if (!report.ok || !shapeOk) failures.push(`${node}: ${JSON.stringify(report)} shape ${JSON.stringify(declared)} vs ${JSON.stringify(outputs[i].shape)}`);
        expect(Math.max(...Array.from(outputs[i].data, Math.abs)), node).toBeGreaterThan(1e-3);
      } finally {
        await session.dispose();
      }
    }
    expect(failures).toEqual([]);
  });

  it('pools a 4-D output like a FeatureExtractor does', async () => {
    const reference = tf.tidy(() => tf.mean(model.execute(tf.tensor4d(input, [2, 9, 9, 3]), 'cat') as tf.Tensor, [1, 2]).dataSync() as Float32Array);
    const converted = convertTfGraphToOnnx(graph, { outputNode: 'cat', poolSpatialOutputs: true });
    expect(converted.outputShapes).toEqual([['N', 16]]);
    const session = await createOnnxSession(converted.bytes, { threads: 1 });
    try {
      expect(compareOutputs(reference, await session.run(input, 2), 2, 1e-5)).toMatchObject({ ok: true });
    } finally {
      await session.dispose();
    }
  });

  it('builds a graph whose input takes any size for the size asked for', async () => {
    const f = new GraphFixture([1, 4, 4, 3]);
    f.nodes[0].attr = { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } } };
    f.node('pool', 'AvgPool', ['input'], pool(3, 2, SAME));
    const anySize = { nodes: f.nodes as TfGraph['nodes'], consts: new Map() };
    expect(() => convertTfGraphToOnnx(anySize, { outputNode: 'pool' })).toThrow(/not \[batch, height, width, channels\] of fixed size/);
    const converted = convertTfGraphToOnnx(anySize, { outputNode: 'pool', inputSize: [5, 7] });
    expect(converted.inputShapes).toEqual([['N', 5, 7, 3]]);
    expect(converted.outputShapes).toEqual([['N', 3, 4, 3]]);
  });

  it('names the first node it cannot convert, with its op and why', () => {
    const f = new GraphFixture([1, 4, 4, 3]);
    f.node('odd', 'Cos', ['input']);
    const cos = { nodes: f.nodes as TfGraph['nodes'], consts: new Map() };
    const error = (() => {
      try {
        convertTfGraphToOnnx(cos, { outputNode: 'odd' });
      } catch (e) {
        return e;
      }
    })() as CoreError;
    expect(error).toBeInstanceOf(CoreError);
    expect(error.code).toBe('UNSUPPORTED_LAYER');
    expect(error.message).toBe("Graph node 'odd' (Cos) cannot be converted to ONNX yet; Retrain Studio will use TF.js for this model.");
    expect(error.details).toMatchObject({ layer: 'odd', className: 'Cos' });

    const g = new GraphFixture([1, 4, 4, 3]);
    g.node('conv', '_FusedConv2D', ['input', g.floats('w', [1, 1, 3, 2]), g.floats('b', [2])], { ...conv(1, SAME), fused_ops: a.strings(['BiasAdd', 'Selu']) });
    expect(() => convertTfGraphToOnnx({ nodes: g.nodes as TfGraph['nodes'], consts: new Map([['w', { shape: [1, 1, 3, 2], data: new Float32Array(6) }], ['b', { shape: [2], data: new Float32Array(2) }]]) }, { outputNode: 'conv' })).toThrow(
      "Graph node 'conv' (_FusedConv2D) cannot be converted to ONNX yet (fused activation Selu)",
    );
  });
});
