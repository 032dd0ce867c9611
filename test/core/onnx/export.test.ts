import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreError } from '../../../src-main/core/errors.js';
import { checkOnnxParity, compareOutputs, createOnnxSession, exportOnnxClassifier, writeOnnxModel } from '../../../src-main/core/onnx/index.js';
import { useWasm } from '../../helpers/tf.js';
import { predictData, randomArray, randomizeWeights } from './helpers.js';

const IMAGE = 12 * 12 * 3;

function buildBackbone(): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3] });
  let y = tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }).apply(input) as tf.SymbolicTensor;
  y = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, useBias: false }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.batchNormalization({}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reLU({ maxValue: 6 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y });
  randomizeWeights(model, 21);
  return model;
}

function buildHead(): tf.LayersModel {
  const head = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 4, activation: 'softmax' }),
    ],
  });
  randomizeWeights(head, 22);
  return head;
}

describe('ONNX export', () => {
  let dir: string;
  let backbone: tf.LayersModel;
  let head: tf.LayersModel;
  const pixels = randomArray(3 * IMAGE, 5);

  beforeAll(async () => {
    await useWasm();
    dir = await mkdtemp(path.join(os.tmpdir(), 'onnx-export-'));
    backbone = buildBackbone();
    head = buildHead();
  });
  afterAll(async () => {
    backbone.dispose();
    head.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('exportOnnxClassifier writes one graph from image to probabilities that matches TF.js', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const file = path.join(dir, 'classifier', 'model.onnx');
    const result = await exportOnnxClassifier({ backbone, head, file, parity: { pixels, count: 3 } });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(result).toMatchObject({ file, inputName: 'input', outputName: 'output', inputShape: ['N', 12, 12, 3], outputShape: ['N', 4], opset: 13 });
    expect(result.parity?.ok).toBe(true);
    expect(await readdir(path.dirname(file))).toEqual(['model.onnx']);

    const session = await createOnnxSession(new Uint8Array(await readFile(file)));
    const probabilities = await session.run(pixels, 3);
    await session.dispose();
    for (let i = 0; i < 3; i++) {
      const row = probabilities.subarray(i * 4, i * 4 + 4);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const reference = tf.tidy(() => (head.predict(backbone.predict(tf.tensor(pixels, [3, 12, 12, 3])) as tf.Tensor) as tf.Tensor).dataSync() as Float32Array);
    expect(compareOutputs(reference, probabilities, 3).ok).toBe(true);
  });

  it('writeOnnxModel converts a combined layers model (backbone + head) and checkOnnxParity agrees', async () => {
    const combined = tf.model({ inputs: backbone.inputs, outputs: head.apply(backbone.outputs[0]) as tf.SymbolicTensor });
    const file = path.join(dir, 'combined.onnx');
    const result = await writeOnnxModel(combined, file, { metadata: { labels: 'a,b,c,d' } });
    expect(result.parity).toBeUndefined();
    const bytes = new Uint8Array(await readFile(file));
    expect(bytes.byteLength).toBe(result.bytes);
    const parity = await checkOnnxParity({ model: combined, onnx: bytes, pixels, count: 3 });
    expect(parity).toMatchObject({ ok: true, images: 3 });
    const reference = predictData(combined, pixels, [3, 12, 12, 3]);
    expect(reference.length).toBe(12);
  });

  it('writes nothing when parity fails, with PARITY_FAILED', async () => {
    const file = path.join(dir, 'rejected.onnx');
    // A negative tolerance can never be met: it exercises the refusal path.
    const error = await exportOnnxClassifier({ backbone, head, file, parity: { pixels, count: 2, tolerance: -1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('PARITY_FAILED');
    expect(await readdir(dir)).not.toContain('rejected.onnx');
  });

  it('refuses a head that does not fit the backbone with MODEL_INVALID', async () => {
    const wrongHead = tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 2 })] });
    const error = await exportOnnxClassifier({ backbone, head: wrongHead, file: path.join(dir, 'x.onnx') }).catch((e: unknown) => e);
    expect((error as CoreError).code).toBe('MODEL_INVALID');
    wrongHead.dispose();
  });
});
