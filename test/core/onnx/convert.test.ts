import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { CoreError } from '../../../src-main/core/errors.js';
import { convertLayersModelToOnnx, convertLayersModelsToOnnx } from '../../../src-main/core/onnx/index.js';
import { useWasm } from '../../helpers/tf.js';
import { expectOnnxMatchesTfjs, randomizeWeights } from './helpers.js';

const { onnx } = onnxProto;

/** A functional model from `input` through `build`, with seeded random weights. */
function functional(inputShape: number[], build: (x: tf.SymbolicTensor) => tf.SymbolicTensor, seed = 1): tf.LayersModel {
  const input = tf.input({ shape: inputShape });
  const model = tf.model({ inputs: input, outputs: build(input) });
  randomizeWeights(model, seed);
  return model;
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;

describe('convertLayersModelToOnnx', () => {
  beforeAll(async () => {
    await useWasm();
  });

  it('writes a valid ModelProto with an NHWC input, dynamic batch and opset 13', () => {
    const model = functional([8, 8, 3], (x) => apply(tf.layers.conv2d({ filters: 4, kernelSize: 3 }), x));
    const bytes = convertLayersModelToOnnx(model, { inputName: 'image', outputName: 'features' });
    const decoded = onnx.ModelProto.decode(bytes);
    expect(Number(decoded.opsetImport[0].version)).toBe(13);
    const graph = decoded.graph as InstanceType<typeof onnx.GraphProto>;
    expect(graph.input.map((i) => i.name)).toEqual(['image']);
    expect(graph.output.map((o) => o.name)).toEqual(['features']);
    const dims = graph.input[0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims).toEqual(['N', 8, 8, 3]);
    const outDims = graph.output[0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(outDims).toEqual(['N', 6, 6, 4]);
    // One transpose in, one out: the conv itself runs NCHW.
    expect(graph.node.map((n) => n.opType)).toEqual(['Transpose', 'Conv', 'Add', 'Transpose']);
    model.dispose();
  });

  describe('Conv2D', () => {
    for (const [size, stride, padding] of [
      [7, 2, 'same'],
      [8, 2, 'same'],
      [9, 3, 'same'],
      [7, 2, 'valid'],
      [6, 1, 'same'],
    ] as const) {
      it(`${size}×${size} input, stride ${stride}, padding ${padding}, bias + relu6`, async () => {
        const model = functional([size, size, 3], (x) =>
          apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: stride, padding, activation: 'relu6' }), x),
        );
        const report = await expectOnnxMatchesTfjs(model);
        const expectedSide = padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - 3) / stride) + 1;
        expect(report.onnxOutputLength).toBe(2 * expectedSide * expectedSide * 5);
        model.dispose();
      });
    }

    it('even kernel 2×4, stride 1, same padding (asymmetric pads on both axes)', async () => {
      const model = functional([6, 7, 2], (x) => apply(tf.layers.conv2d({ filters: 3, kernelSize: [2, 4], padding: 'same' }), x));
      await expectOnnxMatchesTfjs(model);
      model.dispose();
    });

    it('even kernel, dilation 2, no bias, same padding', async () => {
      const model = functional([9, 9, 2], (x) =>
        apply(tf.layers.conv2d({ filters: 3, kernelSize: [2, 4], dilationRate: 2, padding: 'same', useBias: false }), x),
      );
      await expectOnnxMatchesTfjs(model);
      model.dispose();
    });
  });

  it('DepthwiseConv2D with depth_multiplier 2, stride 2 same padding, odd input', async () => {
    const model = functional([7, 7, 3], (x) =>
      apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu' }), x),
    );
    const report = await expectOnnxMatchesTfjs(model);
    expect(report.onnxOutputLength).toBe(2 * 4 * 4 * 6);
    model.dispose();
  });

  it('SeparableConv2D', async () => {
    const model = functional([8, 8, 3], (x) =>
      apply(tf.layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same', strides: 2 }), x),
    );
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('MobileNetV2 stem: ZeroPadding2D (asymmetric) + valid stride-2 conv + BN + ReLU(6)', async () => {
    const model = functional([9, 9, 3], (x) => {
      let y = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]] }), x);
      y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false }), y);
      y = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), y);
      return apply(tf.layers.reLU({ maxValue: 6 }), y);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  for (const [scale, center] of [
    [true, true],
    [false, true],
    [true, false],
  ] as const) {
    it(`BatchNormalization scale=${scale} center=${center} after a conv and after a dense`, async () => {
      const model = functional([5, 5, 3], (x) => {
        let y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1 }), x);
        y = apply(tf.layers.batchNormalization({ scale, center, epsilon: 0.01 }), y);
        y = apply(tf.layers.flatten(), y);
        y = apply(tf.layers.dense({ units: 6 }), y);
        return apply(tf.layers.batchNormalization({ scale, center }), y);
      });
      await expectOnnxMatchesTfjs(model);
      model.dispose();
    });
  }

  it('BatchNormalization on a rank-3 tensor (folded into Mul + Add)', async () => {
    const model = functional([4, 6], (x) => apply(tf.layers.batchNormalization({}), x));
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  for (const activation of ['relu', 'relu6', 'sigmoid', 'hardSigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'mish', 'gelu', 'softmax', 'logSoftmax']) {
    it(`Activation '${activation}' on a 4-D tensor`, async () => {
      const model = functional([3, 3, 4], (x) => apply(tf.layers.activation({ activation: activation as 'relu' }), x));
      await expectOnnxMatchesTfjs(model, { inputRange: [-8, 8] });
      model.dispose();
    });
  }

  it('ReLU, ReLU(max_value), LeakyReLU, ELU, ThresholdedReLU, PReLU, Softmax layers', async () => {
    const model = functional([4, 4, 3], (x) => {
      const a = apply(tf.layers.reLU({}), x);
      const b = apply(tf.layers.reLU({ maxValue: 0.5 }), x);
      const c = apply(tf.layers.leakyReLU({ alpha: 0.2 }), x);
      const d = apply(tf.layers.elu({}), x);
      const e = apply(tf.layers.thresholdedReLU({ theta: 0.3 }), x);
      const f = apply(tf.layers.prelu({ sharedAxes: [1, 2] }), x);
      const g = apply(tf.layers.prelu({}), x);
      const h = apply(tf.layers.softmax({ axis: -1 }), x);
      return apply(tf.layers.concatenate({ axis: -1 }), [a, b, c, d, e, f, g, h]);
    });
    await expectOnnxMatchesTfjs(model, { inputRange: [-3, 3] });
    model.dispose();
  });

  it('hard-swish built as Keras MobileNetV3 does: x * ReLU6(x + 3) / 6', async () => {
    const model = functional([5, 5, 3], (x) => {
      const y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x);
      let s = apply(tf.layers.rescaling({ scale: 1, offset: 3 }), y);
      s = apply(tf.layers.reLU({ maxValue: 6 }), s);
      s = apply(tf.layers.rescaling({ scale: 1 / 6 }), s);
      return apply(tf.layers.multiply(), [y, s]);
    });
    await expectOnnxMatchesTfjs(model, { inputRange: [-4, 4] });
    model.dispose();
  });

  it('squeeze-excite block: GAP → Reshape → 1×1 convs → Multiply broadcasting over H, W', async () => {
    const model = functional([6, 6, 4], (x) => {
      let se = apply(tf.layers.globalAveragePooling2d({}), x);
      se = apply(tf.layers.reshape({ targetShape: [1, 1, 4] }), se);
      se = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu' }), se);
      se = apply(tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'hardSigmoid' }), se);
      return apply(tf.layers.multiply(), [x, se]);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('Add, Average, Maximum, Minimum and Concatenate on channels, height and width', async () => {
    const model = functional([4, 5, 3], (x) => {
      const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1 }), x);
      const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), x);
      const sum = apply(tf.layers.add(), [a, b, x]);
      const mean = apply(tf.layers.average(), [a, b]);
      const max = apply(tf.layers.maximum(), [a, b]);
      const min = apply(tf.layers.minimum(), [a, b]);
      const channels = apply(tf.layers.concatenate({ axis: -1 }), [sum, mean]);
      const height = apply(tf.layers.concatenate({ axis: 1 }), [max, min]);
      const width = apply(tf.layers.concatenate({ axis: 2 }), [channels, channels]);
      const flat = apply(tf.layers.concatenate({ axis: 1 }), [apply(tf.layers.flatten(), height), apply(tf.layers.flatten(), width)]);
      return flat;
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  for (const kind of ['max', 'average'] as const) {
    for (const [size, pool, stride, padding] of [
      [7, 3, 2, 'same'],
      [8, 3, 2, 'same'],
      [7, 3, 2, 'valid'],
      [8, 2, 2, 'valid'],
      [5, 3, 1, 'same'],
    ] as const) {
      it(`${kind} pooling ${pool}×${pool} stride ${stride} ${padding} on ${size}×${size}`, async () => {
        const model = functional([size, size, 2], (x) => {
          const options = { poolSize: pool, strides: stride, padding };
          return apply(kind === 'max' ? tf.layers.maxPooling2d(options) : tf.layers.averagePooling2d(options), x);
        });
        await expectOnnxMatchesTfjs(model);
        model.dispose();
      });
    }
  }

  it('Inception v3 block: conv (no bias) + BN (scale=false) + ReLU branches, pools, concat on channels', async () => {
    const model = functional([11, 11, 4], (x) => {
      const unit = (y: tf.SymbolicTensor, filters: number, kernelSize: [number, number], strides = 1, padding: 'same' | 'valid' = 'same') => {
        let z = apply(tf.layers.conv2d({ filters, kernelSize, strides, padding, useBias: false }), y);
        z = apply(tf.layers.batchNormalization({ scale: false }), z);
        return apply(tf.layers.activation({ activation: 'relu' }), z);
      };
      const b1 = unit(x, 3, [1, 1]);
      const b2 = unit(unit(x, 2, [1, 1]), 3, [1, 7]);
      const b3 = unit(apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x), 2, [7, 1]);
      const mixed = apply(tf.layers.concatenate({ axis: 3 }), [b1, b2, b3]);
      const reduced = apply(tf.layers.concatenate({ axis: -1 }), [
        unit(mixed, 4, [3, 3], 2, 'valid'),
        apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2 }), mixed),
      ]);
      return apply(tf.layers.globalAveragePooling2d({}), reduced);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('MobileNet v1 Keras classifier top: GAP → Reshape(1,1,C) → Dropout → 1×1 conv → Reshape(K) → softmax', async () => {
    const model = functional([7, 7, 6], (x) => {
      let y = apply(tf.layers.globalAveragePooling2d({}), x);
      y = apply(tf.layers.reshape({ targetShape: [1, 1, 6] }), y);
      y = apply(tf.layers.dropout({ rate: 0.001 }), y);
      y = apply(tf.layers.conv2d({ filters: 5, kernelSize: 1, padding: 'same' }), y);
      y = apply(tf.layers.reshape({ targetShape: [5] }), y);
      return apply(tf.layers.activation({ activation: 'softmax' }), y);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('global average / max pooling → dense → hidden dense → softmax', async () => {
    const model = functional([6, 6, 3], (x) => {
      const y = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }), x);
      const avg = apply(tf.layers.globalAveragePooling2d({}), y);
      const max = apply(tf.layers.globalMaxPooling2d({}), y);
      let z = apply(tf.layers.concatenate({}), [avg, max]);
      z = apply(tf.layers.dropout({ rate: 0.5 }), z);
      z = apply(tf.layers.dense({ units: 10, activation: 'relu' }), z);
      return apply(tf.layers.dense({ units: 4, activation: 'softmax' }), z);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('Flatten and Reshape keep Keras (NHWC) element order', async () => {
    const model = functional([3, 4, 5], (x) => {
      const y = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1 }), x);
      const flat = apply(tf.layers.flatten(), y);
      const dense = apply(tf.layers.dense({ units: 7 }), flat);
      const reshaped = apply(tf.layers.reshape({ targetShape: [4, 3, 2] }), y);
      const permuted = apply(tf.layers.permute({ dims: [2, 1, 3] }), reshaped);
      const back = apply(tf.layers.flatten(), apply(tf.layers.conv2d({ filters: 2, kernelSize: 1 }), permuted));
      return apply(tf.layers.concatenate({}), [dense, back]);
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('Dense on a 4-D input, Cropping2D and rank-3 Reshape with -1', async () => {
    const model = functional([6, 5, 3], (x) => {
      let y = apply(tf.layers.cropping2D({ cropping: [[1, 0], [1, 2]] }), x);
      y = apply(tf.layers.dense({ units: 4, activation: 'tanh' }), y);
      y = apply(tf.layers.reshape({ targetShape: [-1, 4] }), y);
      y = apply(tf.layers.globalAveragePooling1d({}), y);
      return y;
    });
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('nested: a Sequential holding a functional Model (the shared MobileNetV2 layout)', async () => {
    const inner = functional([8, 8, 3], (x) => {
      let y = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', useBias: false }), x);
      y = apply(tf.layers.batchNormalization({}), y);
      const r = apply(tf.layers.reLU({ maxValue: 6 }), y);
      const d = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }), r);
      return apply(tf.layers.add(), [r, d]);
    });
    const seq = tf.sequential();
    seq.add(inner);
    seq.add(tf.layers.globalAveragePooling2d({}));
    const report = await expectOnnxMatchesTfjs(seq, { count: 3 });
    expect(report.onnxOutputLength).toBe(3 * 4);
    seq.dispose();
  });

  it('nested: a functional model calling a Sequential sub-model and a layer shared twice', async () => {
    const head = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [6], units: 5, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
    });
    const shared = tf.layers.dense({ units: 6, name: 'shared_dense' });
    const model = functional([4, 4, 2], (x) => {
      const pooled = apply(tf.layers.globalAveragePooling2d({}), apply(tf.layers.conv2d({ filters: 6, kernelSize: 3 }), x));
      const twice = apply(shared, apply(shared, pooled));
      return apply(head, twice);
    });
    const converted = convertLayersModelsToOnnx(model);
    expect(converted.outputShapes[0]).toEqual(['N', 3]);
    // Applied twice, stored once.
    const initializers = onnx.ModelProto.decode(converted.bytes).graph?.initializer ?? [];
    expect(initializers.filter((t) => t.name?.startsWith('shared_dense/')).map((t) => t.name).sort()).toEqual(['shared_dense/bias', 'shared_dense/kernel']);
    await expectOnnxMatchesTfjs(model);
    model.dispose();
  });

  it('chains a backbone and a head into one graph', async () => {
    const backbone = functional([6, 6, 3], (x) => apply(tf.layers.globalAveragePooling2d({}), apply(tf.layers.conv2d({ filters: 8, kernelSize: 3 }), x)));
    const head = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 3, activation: 'softmax' })] });
    randomizeWeights(head, 5);
    const converted = convertLayersModelsToOnnx([backbone, head]);
    expect(converted.outputShapes[0]).toEqual(['N', 3]);
    const combined = tf.model({ inputs: backbone.inputs, outputs: head.apply(backbone.outputs[0]) as tf.SymbolicTensor });
    await expectOnnxMatchesTfjs(combined);
    backbone.dispose();
    head.dispose();
  });

  it('poolSpatialOutputs turns a 4-D output into pooled features', async () => {
    const model = functional([6, 6, 3], (x) => apply(tf.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }), x));
    const converted = convertLayersModelsToOnnx(model, { poolSpatialOutputs: true });
    expect(converted.outputShapes[0]).toEqual(['N', 5]);
    const pooledModel = tf.model({ inputs: model.inputs, outputs: apply(tf.layers.globalAveragePooling2d({}), model.outputs[0]) });
    await expectOnnxMatchesTfjs(pooledModel);
    model.dispose();
  });

  it('rejects unsupported layers with UNSUPPORTED_LAYER naming the layer', () => {
    const transposed = functional([4, 4, 2], (x) => apply(tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up_conv' }), x));
    let error: unknown;
    try {
      convertLayersModelToOnnx(transposed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CoreError);
    expect((error as CoreError).code).toBe('UNSUPPORTED_LAYER');
    expect((error as CoreError).message).toBe(
      "Layer 'up_conv' (Conv2DTranspose) cannot be converted to ONNX yet; Retrain Studio will use TF.js for this model.",
    );
    transposed.dispose();

    const recurrent = functional([5, 3], (x) => apply(tf.layers.lstm({ units: 2, name: 'my_lstm' }), x));
    expect(() => convertLayersModelToOnnx(recurrent)).toThrow(/Layer 'my_lstm' \(LSTM\) cannot be converted/);
    recurrent.dispose();
  });

  it('keeps the graph valid when layers are named like the graph input and output', async () => {
    const model = functional([4, 4, 2], (x) => {
      const y = apply(tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'input' }), x);
      return apply(tf.layers.globalAveragePooling2d({ name: 'output' }), y);
    });
    await expectOnnxMatchesTfjs(model);
    expect(() => convertLayersModelToOnnx(model, { inputName: 'x', outputName: 'x' })).toThrow(/must differ/);
    model.dispose();
  });

  it('rejects an opset outside 13–21', () => {
    const model = functional([4, 4, 1], (x) => apply(tf.layers.flatten(), x));
    expect(() => convertLayersModelToOnnx(model, { opset: 11 })).toThrow(CoreError);
    model.dispose();
  });

  it('converts at a newer opset too', async () => {
    const model = functional([6, 6, 3], (x) => apply(tf.layers.dense({ units: 2, activation: 'softmax' }), apply(tf.layers.flatten(), x)));
    await expectOnnxMatchesTfjs(model, { convert: { opset: 17 } });
    model.dispose();
  });
});
