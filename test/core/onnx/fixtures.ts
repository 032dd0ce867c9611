/** A FeatureExtractor on TF.js around any layers model, for testing the ONNX path against it. */
import * as tf from '@tensorflow/tfjs';
import type { FeatureExtractor, ModelInfo } from '../../../src-main/core/models/types.js';

/**
 * Wraps `model` (input → features; 4-D outputs are average-pooled) as a `tfjs-wasm` FeatureExtractor.
 * `distort` changes the features, to simulate an engine that disagrees.
 */
export function tfjsExtractor(model: tf.LayersModel, options: { id?: string; distort?: (x: tf.Tensor) => tf.Tensor } = {}): FeatureExtractor & { calls: number } {
  const inputShape = model.inputs[0].shape;
  const outputShape = model.outputs[0].shape;
  const featureSize = outputShape[outputShape.length - 1] as number;
  const info: ModelInfo = {
    id: options.id ?? 'tiny_test_model',
    name: 'Tiny test model',
    origin: 'imported',
    format: 'layers',
    dir: '/nonexistent',
    spec: { heightPx: inputShape[1] as number, widthPx: inputShape[2] as number, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
    inputName: 'input',
    inputShape,
    bottleneckNode: model.outputs[0].name,
    featureSize,
    outputNode: model.outputs[0].name,
  };
  const extractor = {
    info,
    engine: 'tfjs-wasm',
    layersModel: model,
    calls: 0,
    async extract(pixels: Float32Array, count: number): Promise<Float32Array> {
      extractor.calls++;
      const size = (inputShape.slice(1) as number[]).reduce((a, b) => a * b, 1);
      const output = tf.tidy(() => {
        let y = model.predict(tf.tensor(pixels.subarray(0, count * size), [count, ...(inputShape.slice(1) as number[])])) as tf.Tensor;
        // 4-D bottlenecks are globally average-pooled, as the FeatureExtractor contract says.
        if (y.rank === 4) y = tf.mean(y, [1, 2]);
        return options.distort ? options.distort(y) : y;
      });
      const data = (await output.data()) as Float32Array;
      output.dispose();
      return data;
    },
    dispose(): void {
      model.dispose();
    },
  };
  return extractor;
}
