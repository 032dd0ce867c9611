/**
 * One softmax layer trained in a single fused step per batch: the batch's rows are read in
 * place (no gather), logits are one dot product per row and class, the softmax-cross-entropy
 * gradient is formed in JS, dW is one axpy per row and class, and the SGD/Adam update is
 * applied in place. The GEMM kernels are WebAssembly SIMD (simd-kernels.ts: two rows by
 * up to four classes per pass) with the rows copied once into the module's memory; without
 * SIMD, plain typed-array loops.
 *
 * Why not TF.js: on wasm a step of the head is ~20 kernel dispatches (≈2.6 ms) for
 * 1.3 M multiply-adds; here it is the arithmetic alone. The maths is TF.js's:
 * `tf.losses.softmaxCrossEntropy` (mean over the batch; with per-example weights, the
 * weighted sum over the count of non-zero weights), `tf.train.sgd` and `tf.train.adam`
 * (β1 0.9, β2 0.999, ε 1e-7, bias-corrected moments, β^t kept as float32), so a seed gives
 * the same run within float rounding.
 */
import { createSimdKernels, type BlockKernels } from './simd-kernels.js';

export type FusedOptimizer = { kind: 'sgd' | 'adam'; learningRate: number };
export type FusedKernels = 'wasm-simd' | 'js';

/** Rows bound to a layer: `count` feature vectors, each `stride` floats apart from `base`. */
export type RowSet = { readonly base: number; readonly stride: number; readonly count: number };

/** TF.js's Adam defaults (tf.train.adam) and float32 backends' epsilon. */
const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-7;

/** Rows copied into wasm memory must fit its 32-bit address space with room to spare. */
const MAX_WASM_BYTES = 2 ** 31;

export type FusedSoftmaxOptions = {
  featureSize: number;
  classCount: number;
  /** Initial kernel in TF.js layout [featureSize, classCount]. Copied. */
  kernel: Float32Array;
  bias: Float32Array;
  optimizer: FusedOptimizer;
  /** Every row count that will be bound (for one up-front allocation); rows of a per-step batch included. */
  reserveRows: number;
  /** Default: WebAssembly SIMD where available and the rows fit, else JS. */
  kernels?: FusedKernels;
};

export class FusedSoftmaxLayer {
  readonly featureSize: number;
  readonly classCount: number;
  readonly kernels: FusedKernels;
  /** Floats per stored row: featureSize padded to 4 for the SIMD loops (zeros in the padding). */
  private readonly stride: number;
  /** SIMD kernels per class block (4 classes, then the rest), or null for JS loops. */
  private readonly blocks: Array<{ first: number; size: number; kernels: BlockKernels }> | null;
  /** Float offset of 8 scratch floats: the kernels' dot products out, gradients in. */
  private readonly scratchAt: number;
  /** JS engine: one heap of floats; SIMD engine: a view of the wasm memory. */
  private heap: Float32Array;
  private next = 0;
  /** Float offsets into heap: weights and gradient, class-major [classCount, stride]. */
  private readonly weightsAt: number;
  private readonly gradAt: number;
  private readonly bias: Float32Array;
  private readonly gradB: Float64Array;
  private readonly optimizer: FusedOptimizer;
  private readonly m: Float32Array | null;
  private readonly v: Float32Array | null;
  private accBeta1 = Math.fround(BETA1);
  private accBeta2 = Math.fround(BETA2);
  private logits = new Float64Array(0);

  constructor(options: FusedSoftmaxOptions) {
    const { featureSize: F, classCount: C, kernel, bias } = options;
    if (kernel.length !== F * C || bias.length !== C) {
      throw new Error(`FusedSoftmaxLayer: kernel of ${kernel.length} and bias of ${bias.length} values do not fit ${F} features × ${C} classes.`);
    }
    this.featureSize = F;
    this.classCount = C;
    this.optimizer = options.optimizer;
    const stride = Math.ceil(F / 4) * 4;
    const floats = (2 * C + options.reserveRows) * stride + 8;
    const wanted = options.kernels ?? 'wasm-simd';
    const simd = wanted === 'wasm-simd' && floats * 4 <= MAX_WASM_BYTES ? createSimdKernels(stride, floats * 4) : null;
    this.kernels = simd ? 'wasm-simd' : 'js';
    this.stride = simd ? stride : F;
    this.heap = simd ? new Float32Array(simd.memory.buffer) : new Float32Array((2 * C + options.reserveRows) * F + 8);
    this.blocks = simd ? Array.from({ length: Math.ceil(C / 4) }, (_, b) => ({ first: b * 4, size: Math.min(4, C - b * 4), kernels: simd.block(Math.min(4, C - b * 4)) })) : null;
    this.scratchAt = this.allocate(8);
    this.weightsAt = this.allocate(C * this.stride);
    this.gradAt = this.allocate(C * this.stride);
    for (let k = 0; k < F; k++) for (let c = 0; c < C; c++) this.heap[this.weightsAt + c * this.stride + k] = kernel[k * C + c];
    this.bias = Float32Array.from(bias);
    this.gradB = new Float64Array(C);
    const adam = options.optimizer.kind === 'adam';
    this.m = adam ? new Float32Array(C * this.stride + C) : null;
    this.v = adam ? new Float32Array(C * this.stride + C) : null;
  }

  private allocate(floats: number): number {
    const at = this.next;
    if (at + floats > this.heap.length) throw new Error(`FusedSoftmaxLayer: more rows bound than the ${this.heap.length} floats reserved (reserveRows too small).`);
    this.next += floats;
    return at;
  }

  /** Copies `count` rows (row-major, featureSize floats each) into the layer's memory. */
  addRows(features: Float32Array, count: number): RowSet {
    const rows: RowSet = { base: this.allocate(count * this.stride), stride: this.stride, count };
    this.setRows(rows, features, count);
    return rows;
  }

  /** Overwrites the first `count` rows of `rows` (e.g. a per-step batch of distorted features). */
  setRows(rows: RowSet, features: Float32Array, count: number): void {
    const F = this.featureSize;
    if (count > rows.count || features.length < count * F) throw new Error(`FusedSoftmaxLayer: ${count} rows do not fit (${rows.count} bound, ${features.length / F} given).`);
    if (this.stride === F) {
      this.heap.set(features.subarray(0, count * F), rows.base);
      return;
    }
    for (let i = 0; i < count; i++) this.heap.set(features.subarray(i * F, (i + 1) * F), rows.base + i * this.stride);
  }

  /** The kernel in TF.js layout [featureSize, classCount]. */
  kernel(): Float32Array {
    const { featureSize: F, classCount: C, stride } = this;
    const out = new Float32Array(F * C);
    for (let c = 0; c < C; c++) for (let k = 0; k < F; k++) out[k * C + c] = this.heap[this.weightsAt + c * stride + k];
    return out;
  }

  biasValues(): Float32Array {
    return Float32Array.from(this.bias);
  }

  /** Logits of rows `indices[0..count)` of `rows` into a reused buffer, row-major [count, classCount]. */
  private forward(rows: RowSet, indices: Int32Array | null, count: number): Float64Array {
    const { classCount: C, stride, bias, weightsAt } = this;
    if (this.logits.length < count * C) this.logits = new Float64Array(count * C);
    const out = this.logits;
    const { heap, blocks, scratchAt } = this;
    if (!blocks) {
      for (let i = 0; i < count; i++) {
        const x = rows.base + (indices ? indices[i] : i) * stride;
        for (let c = 0; c < C; c++) out[i * C + c] = dotJs(heap, x, weightsAt + c * stride, stride) + bias[c];
      }
      return out;
    }
    for (let i = 0; i < count; i += 2) {
      const pair = i + 1 < count;
      const x0 = rows.base + (indices ? indices[i] : i) * stride;
      const x1 = pair ? rows.base + (indices ? indices[i + 1] : i + 1) * stride : 0;
      for (const { first, size, kernels } of blocks) {
        const w = (weightsAt + first * stride) * 4;
        if (pair) kernels.forward(x0 * 4, x1 * 4, w, scratchAt * 4);
        else kernels.forward1(x0 * 4, w, scratchAt * 4);
        for (let r = 0; r < (pair ? 2 : 1); r++) {
          for (let c = 0; c < size; c++) out[(i + r) * C + first + c] = heap[scratchAt + r * size + c] + bias[first + c];
        }
      }
    }
    return out;
  }

  /**
   * One training step on rows `indices` of `rows` (null = the first `count`): logits, the
   * gradient (softmax − onehot) · weight / n with n the count of non-zero example weights
   * (TF.js's SUM_BY_NONZERO_WEIGHTS), then the optimizer's update. `exampleWeights` null =
   * every example weighs 1.
   */
  step(rows: RowSet, indices: Int32Array | null, labels: Int32Array, count: number, exampleWeights: Float32Array | null): void {
    const { classCount: C, stride, gradAt } = this;
    const logits = this.forward(rows, indices, count);
    let nonZero = count;
    if (exampleWeights) {
      nonZero = 0;
      for (let i = 0; i < count; i++) if (exampleWeights[i] !== 0) nonZero++;
    }
    const gradB = this.gradB;
    gradB.fill(0);
    for (let i = 0; i < count; i++) {
      const row = i * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) if (logits[row + c] > max) max = logits[row + c];
      let sum = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(logits[row + c] - max);
        logits[row + c] = e;
        sum += e;
      }
      const scale = (exampleWeights ? exampleWeights[i] : 1) / (nonZero > 0 ? nonZero : 1);
      for (let c = 0; c < C; c++) {
        const g = Math.fround((logits[row + c] / sum - (c === labels[i] ? 1 : 0)) * scale);
        logits[row + c] = g;
        gradB[c] += g;
      }
    }
    // dW[c] = Σ_i g[i, c] · x_i.
    const { heap, blocks, scratchAt } = this;
    heap.fill(0, gradAt, gradAt + C * stride);
    if (!blocks) {
      for (let i = 0; i < count; i++) {
        const x = rows.base + (indices ? indices[i] : i) * stride;
        for (let c = 0; c < C; c++) axpyJs(heap, gradAt + c * stride, logits[i * C + c], x, stride);
      }
    } else {
      for (let i = 0; i < count; i += 2) {
        const pair = i + 1 < count;
        const x0 = rows.base + (indices ? indices[i] : i) * stride;
        const x1 = pair ? rows.base + (indices ? indices[i + 1] : i + 1) * stride : 0;
        for (const { first, size, kernels } of blocks) {
          for (let r = 0; r < (pair ? 2 : 1); r++) for (let c = 0; c < size; c++) heap[scratchAt + r * size + c] = logits[(i + r) * C + first + c];
          const dw = (gradAt + first * stride) * 4;
          if (pair) kernels.backward(dw, x0 * 4, x1 * 4, scratchAt * 4);
          else kernels.backward1(dw, x0 * 4, scratchAt * 4);
        }
      }
    }
    this.apply();
  }

  private apply(): void {
    const { heap, bias, gradB, optimizer, weightsAt, gradAt } = this;
    const n = this.classCount * this.stride;
    const lr = optimizer.learningRate;
    if (!this.m || !this.v) {
      // tf.train.sgd: value − lr · gradient.
      for (let j = 0; j < n; j++) heap[weightsAt + j] -= lr * heap[gradAt + j];
      for (let c = 0; c < bias.length; c++) bias[c] -= lr * Math.fround(gradB[c]);
      return;
    }
    const m = this.m;
    const v = this.v;
    const oneMinusAcc1 = Math.fround(1 - this.accBeta1);
    const oneMinusAcc2 = Math.fround(1 - this.accBeta2);
    for (let j = 0; j <= n + bias.length - 1; j++) {
      const g = j < n ? heap[gradAt + j] : Math.fround(gradB[j - n]);
      const mj = BETA1 * m[j] + (1 - BETA1) * g;
      const vj = BETA2 * v[j] + (1 - BETA2) * g * g;
      m[j] = mj;
      v[j] = vj;
      const step = lr * ((m[j] / oneMinusAcc1) / (Math.sqrt(v[j] / oneMinusAcc2) + EPSILON));
      if (j < n) heap[weightsAt + j] -= step;
      else bias[j - n] -= step;
    }
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(BETA1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(BETA2));
  }

  /** Mean accuracy (argmax, first on ties as tf.argMax) and mean softmax cross-entropy. */
  measure(rows: RowSet, indices: Int32Array | null, labels: Int32Array, count: number): { accuracy: number; crossEntropy: number } {
    const C = this.classCount;
    const logits = this.forward(rows, indices, count);
    let correct = 0;
    let xent = 0;
    for (let i = 0; i < count; i++) {
      const row = i * C;
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < C; c++) {
        if (logits[row + c] > max) {
          max = logits[row + c];
          arg = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(logits[row + c] - max);
      xent += max + Math.log(sum) - logits[row + labels[i]];
      if (arg === labels[i]) correct++;
    }
    return { accuracy: Math.fround(correct / count), crossEntropy: Math.fround(xent / count) };
  }
}

function dotJs(heap: Float32Array, a: number, b: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += heap[a + k] * heap[b + k];
    s1 += heap[a + k + 1] * heap[b + k + 1];
    s2 += heap[a + k + 2] * heap[b + k + 2];
    s3 += heap[a + k + 3] * heap[b + k + 3];
  }
  for (; k < n; k++) s0 += heap[a + k] * heap[b + k];
  return s0 + s1 + (s2 + s3);
}

function axpyJs(heap: Float32Array, y: number, alpha: number, x: number, n: number): void {
  for (let k = 0; k < n; k++) heap[y + k] += alpha * heap[x + k];
}
