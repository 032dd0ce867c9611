/**
 * One block of the similarity matrix, rows · colsᵀ, on the fastest engine at hand: ONNX
 * Runtime's Gemm (transB = 1, multithreaded MLAS) when it loads, else TF.js matMul.
 * Measured for 1024×1280 · (2048×1280)ᵀ on this 2-core machine: ONNX Runtime 147 GFLOP/s,
 * tfjs-wasm 21–28 GFLOP/s (and 2.6 with transposeB, hence the explicit transpose there).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, attr } from '../onnx/graph-builder.js';

export type BlockProduct = {
  readonly engine: 'onnxruntime' | 'tfjs';
  /** `rows` `[r, d]` times `cols` `[c, d]` transposed: `[r, c]` row-major. */
  run(rows: Float32Array, r: number, cols: Float32Array, c: number, d: number): Promise<Float32Array>;
  dispose(): Promise<void>;
};

function tfjsProduct(): BlockProduct {
  return {
    engine: 'tfjs',
    async run(rows, r, cols, c, d) {
      const product = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [r, d]), tf.transpose(tf.tensor2d(cols, [c, d]))));
      try {
        return (await product.data()) as Float32Array;
      } finally {
        product.dispose();
      }
    },
    async dispose() {},
  };
}

async function onnxProduct(d: number): Promise<BlockProduct> {
  const g = new GraphBuilder();
  const a = g.addInput('rows', ['r', d]);
  const b = g.addInput('cols', ['c', d]);
  const y = g.op('Gemm', [a, b], 'similarity', { transB: attr.int(1) });
  g.addOutput(y, ['r', 'c']);
  const bytes = g.encode({ opset: 13, graphName: 'block_similarity', producerName: 'retrain-studio', producerVersion: '1' });
  // No spinning: idle pool threads would burn the cores the scan of each block needs.
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' } } } });
  return {
    engine: 'onnxruntime',
    async run(rows, r, cols, c) {
      const out = await session.run({ [a]: new ort.Tensor('float32', rows, [r, d]), [b]: new ort.Tensor('float32', cols, [c, d]) });
      return out[y].data as Float32Array;
    },
    async dispose() {
      await session.release();
    },
  };
}

/** ONNX Runtime unless `engine` says TF.js or it cannot start (then TF.js, on the current backend). */
export async function createBlockProduct(featureSize: number, engine: 'auto' | 'onnxruntime' | 'tfjs' = 'auto'): Promise<BlockProduct> {
  if (engine === 'tfjs') return tfjsProduct();
  try {
    return await onnxProduct(featureSize);
  } catch (error) {
    if (engine === 'onnxruntime') throw error;
    return tfjsProduct();
  }
}
