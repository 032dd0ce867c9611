/**
 * The TF Hub MobileNetV2 feature_vector graph model in ../shared (uint8-quantized weights)
 * converted to ONNX and checked against TF.js on real flower photos, node by node type.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTfGraphToOnnx, countGraphOps } from '../../../src-main/core/onnx/graph/convert.js';
import { readTfGraph, type TfGraph } from '../../../src-main/core/onnx/graph/tf-graph.js';
import { compareOutputs, createOnnxSession } from '../../../src-main/core/onnx/index.js';
import { loadGraphModelFromDir } from '../../../src-main/core/tf/file-io.js';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';

const DIR = sharedPath('models', 'mobilenet_v2_mid_nsfwjs_graph_224');
const PREFIX = 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict';
const FEATURES = `${PREFIX}/feature_vector/SpatialSqueeze`;

/** Whole photo resized to 224 (no crop), pixel / 255: the nsfwjs models' input. */
async function photos(count: number): Promise<Float32Array> {
  const root = sharedPath('datasets', 'flower_photos_small');
  const out = new Float32Array(count * 224 * 224 * 3);
  const labels = ['daisy', 'roses', 'sunflowers', 'tulips', 'dandelion'];
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, labels[i % labels.length]);
    const name = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort()[Math.floor(i / labels.length)];
    const raw = await sharp(path.join(dir, name)).removeAlpha().resize(224, 224, { fit: 'fill' }).raw().toBuffer();
    for (let j = 0; j < raw.length; j++) out[i * raw.length + j] = raw[j] / 255;
  }
  return out;
}

describe.skipIf(!hasShared)('the shared TF Hub MobileNetV2 graph model on ONNX Runtime', () => {
  let graph: TfGraph;
  let model: tf.GraphModel;
  let pixels: Float32Array;
  const count = 3;

  beforeAll(async () => {
    await useWasm();
    graph = await readTfGraph(DIR);
    model = await loadGraphModelFromDir(DIR);
    pixels = await photos(count);
  });
  afterAll(() => model?.dispose());

  /** TF.js's output of `node` and ONNX Runtime's output of the conversion up to it. */
  async function both(node: string, pool: boolean): Promise<{ reference: Float32Array; candidate: Float32Array }> {
    const reference = tf.tidy(() => {
      let y = model.execute(tf.tensor4d(pixels, [count, 224, 224, 3]), node) as tf.Tensor;
      if (pool && y.rank === 4) y = tf.mean(y, [1, 2]);
      return y.dataSync() as Float32Array;
    });
    const session = await createOnnxSession(convertTfGraphToOnnx(graph, { outputNode: node, poolSpatialOutputs: pool }).bytes, { threads: 1 });
    try {
      return { reference, candidate: await session.run(pixels, count) };
    } finally {
      await session.dispose();
    }
  }

  it('dequantizes the uint8 weights as TF.js does', () => {
    const name = `${PREFIX}/MobilenetV2/Conv/Conv2D_weights`;
    const weights = graph.consts.get(name)!;
    expect(weights.shape).toEqual([3, 3, 3, 48]);
    // q * scale + min with the manifest's min/scale: every value sits on that grid.
    const min = -6.255818266027114;
    const scale = 0.04344318240296607;
    for (const v of weights.data.subarray(0, 50)) {
      const q = (v - min) / scale;
      expect(Math.abs(q - Math.round(q))).toBeLessThan(1e-3);
    }
  });

  it('lists the ops it converts: those of the feature vector, then the classifier', () => {
    expect(countGraphOps(graph, FEATURES)).toEqual({
      Placeholder: 1,
      Const: 106,
      Mul: 1,
      Sub: 1,
      _FusedConv2D: 35,
      FusedDepthwiseConv2dNative: 17,
      AddV2: 10,
      AvgPool: 1,
      Squeeze: 1,
    });
    expect(countGraphOps(graph, 'Identity')).toMatchObject({ _FusedMatMul: 1, Softmax: 1, Identity: 1 });
  });

  it('gives the bottleneck features TF.js gives, within 1e-4 relative, on real photos', async () => {
    const { reference, candidate } = await both(FEATURES, true);
    // MobileNetV2 width 1.4: Conv_1 has 1792 channels (the shared README says 1280).
    expect(candidate.length).toBe(count * 1792);
    const report = compareOutputs(reference, candidate, count, 1e-4);
    console.info(`graph MobileNetV2 features: max |Δ| ${report.maxAbsError.toExponential(2)}, relative ${report.maxRelativeError.toExponential(2)}`);
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true, images: count });
    expect(Math.max(...Array.from(reference, Math.abs))).toBeGreaterThan(0.1);
  });

  it('gives the classifier probabilities TF.js gives (fused MatMul, Softmax, Identity)', async () => {
    const { reference, candidate } = await both('Identity', false);
    expect(candidate.length).toBe(count * 5);
    const report = compareOutputs(reference, candidate, count, 1e-4);
    console.info(`graph MobileNetV2 probabilities: max |Δ| ${report.maxAbsError.toExponential(2)}`);
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true });
  });

  it('matches TF.js at the first node of every op (and fused-op variant) the model uses', async () => {
    const firsts = new Map<string, string>();
    for (const node of graph.nodes) {
      if (node.op === 'Const' || node.op === 'Placeholder') continue;
      const fused = (node.attr?.fused_ops?.list?.s ?? []).map((x) => Buffer.from(x, 'base64').toString()).join('+');
      const kind = fused ? `${node.op}[${fused}]` : node.op;
      if (!firsts.has(kind)) firsts.set(kind, node.name);
    }
    expect([...firsts.keys()].sort()).toEqual([
      'AddV2',
      'AvgPool',
      'FusedDepthwiseConv2dNative[BiasAdd+Relu6]',
      'Identity',
      'Mul',
      'Softmax',
      'Squeeze',
      'Sub',
      '_FusedConv2D[BiasAdd+Relu6]',
      '_FusedConv2D[BiasAdd]',
      '_FusedMatMul[BiasAdd]',
    ]);
    // The ops after the last convolution are checked by the two tests above. One image, one TF.js pass for all nodes.
    const kinds = [...firsts.keys()].filter((k) => !['AvgPool', 'Squeeze', '_FusedMatMul[BiasAdd]', 'Softmax', 'Identity'].includes(k));
    const nodes = kinds.map((k) => firsts.get(k) as string);
    const one = pixels.subarray(0, 224 * 224 * 3);
    const references = tf.tidy(() => (model.execute(tf.tensor4d(one, [1, 224, 224, 3]), nodes) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
    const failures: string[] = [];
    for (const [i, node] of nodes.entries()) {
      const session = await createOnnxSession(convertTfGraphToOnnx(graph, { outputNode: node }).bytes, { threads: 1 });
      try {
        const report = compareOutputs(references[i], await session.run(one, 1), 1, 1e-4);
        if (!report.ok) failures.push(`${kinds[i]} at ${node}: ${JSON.stringify(report)}`);
      } finally {
        await session.dispose();
      }
    }
    expect(failures).toEqual([]);
  });
});
