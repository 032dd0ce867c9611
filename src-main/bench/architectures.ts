/**
 * Benchmark backbones built with the TF.js layers API, following the Keras Applications
 * definitions (keras/src/applications/{mobilenet,mobilenet_v2,inception_v3}.py) layer for
 * layer: same layer names, filters, strides, padding (including the explicit ZeroPadding2D
 * before stride-2 depthwise convs), ReLU6, BatchNormalization epsilon 1e-3 and momentum.
 * `include_top=False, pooling='avg'`: the output is the globally average-pooled bottleneck.
 *
 * Weights are random (seeded, He-scaled), so speed is representative and features are not
 * meaningful. SHARED_ARCHITECTURES (end of file) are real pretrained models from shared/.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { PreprocessSpec } from '../core/images/spec.js';
import { loadFeatureExtractor } from '../core/models/extractor.js';
import type { ModelInfo } from '../core/models/types.js';

type SymbolicTensor = tf.SymbolicTensor;

/** One benchmark architecture: how to build it and what it expects. */
export type Architecture = {
  /** Short id used on the command line, e.g. `mobilenet_v1_0.50_224`. */
  id: string;
  /** Display name, e.g. `MobileNetV1-0.50-224`. */
  name: string;
  sizePx: number;
  featureSize: number;
  /** Multiply-adds per image (millions), as published; for the report only. */
  approxMegaMacs: number;
  build(): tf.LayersModel;
};

// Fixed seeds keep the random weights identical from run to run. He-style scales keep
// activations of order 1 through the depth (Keras' glorot default makes them vanish towards
// denormal floats, which would time the wrong arithmetic).
let seedCounter = 1;
function kernelInitializer(): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: seedCounter++ });
}
/** A depthwise 3×3 kernel sums 9 inputs per output, whatever the channel count. */
function depthwiseInitializer(): ReturnType<typeof tf.initializers.randomNormal> {
  return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / 9), seed: seedCounter++ });
}

/** Keras `_make_divisible`: round channels to a multiple of `divisor`, never more than 10 % down. */
export function makeDivisible(value: number, divisor = 8, minValue = divisor): number {
  let rounded = Math.max(minValue, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/** Keras `imagenet_utils.correct_pad` for a 3×3 kernel: ((top, bottom), (left, right)). */
function correctPad(x: SymbolicTensor, kernel = 3): [[number, number], [number, number]] {
  const [, h, w] = x.shape;
  const adjust = h == null || w == null ? [1, 1] : [1 - (h % 2), 1 - (w % 2)];
  const correct = Math.floor(kernel / 2);
  return [
    [correct - adjust[0], correct],
    [correct - adjust[1], correct],
  ];
}

function apply(layer: tf.layers.Layer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  return layer.apply(x) as SymbolicTensor;
}

function batchNorm(x: SymbolicTensor, name: string, options: { momentum?: number; scale?: boolean } = {}): SymbolicTensor {
  return apply(
    tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, momentum: options.momentum ?? 0.99, scale: options.scale ?? true, name }),
    x,
  );
}

function relu6(x: SymbolicTensor, name: string): SymbolicTensor {
  return apply(tf.layers.reLU({ maxValue: 6, name }), x);
}

// ───────────────────────────── MobileNet v1 ─────────────────────────────

/** Keras `MobileNet(alpha, input_shape=(size, size, 3), include_top=False, pooling='avg')`. */
export function buildMobileNetV1(alpha: number, sizePx: number): tf.LayersModel {
  const input = tf.input({ shape: [sizePx, sizePx, 3], name: 'input_1' });

  const convBlock = (x: SymbolicTensor, filters: number, strides: number): SymbolicTensor => {
    x = apply(
      tf.layers.conv2d({
        filters: Math.trunc(filters * alpha),
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        strides,
        kernelInitializer: kernelInitializer(),
        name: 'conv1',
      }),
      x,
    );
    x = batchNorm(x, 'conv1_bn');
    return relu6(x, 'conv1_relu');
  };

  const depthwiseBlock = (x: SymbolicTensor, pointwiseFilters: number, strides: number, blockId: number): SymbolicTensor => {
    if (strides !== 1) {
      x = apply(
        tf.layers.zeroPadding2d({
          padding: [
            [0, 1],
            [0, 1],
          ],
          name: `conv_pad_${blockId}`,
        }),
        x,
      );
    }
    x = apply(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        padding: strides === 1 ? 'same' : 'valid',
        depthMultiplier: 1,
        strides,
        useBias: false,
        depthwiseInitializer: depthwiseInitializer(),
        name: `conv_dw_${blockId}`,
      }),
      x,
    );
    x = batchNorm(x, `conv_dw_${blockId}_bn`);
    x = relu6(x, `conv_dw_${blockId}_relu`);
    x = apply(
      tf.layers.conv2d({
        filters: Math.trunc(pointwiseFilters * alpha),
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        strides: 1,
        kernelInitializer: kernelInitializer(),
        name: `conv_pw_${blockId}`,
      }),
      x,
    );
    x = batchNorm(x, `conv_pw_${blockId}_bn`);
    return relu6(x, `conv_pw_${blockId}_relu`);
  };

  let x = convBlock(input, 32, 2);
  const blocks: Array<[filters: number, strides: number]> = [
    [64, 1],
    [128, 2],
    [128, 1],
    [256, 2],
    [256, 1],
    [512, 2],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [512, 1],
    [1024, 2],
    [1024, 1],
  ];
  blocks.forEach(([filters, strides], i) => {
    x = depthwiseBlock(x, filters, strides, i + 1);
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  return tf.model({ inputs: input, outputs: x, name: `mobilenet_${alpha.toFixed(2)}_${sizePx}` });
}

// ───────────────────────────── MobileNet v2 ─────────────────────────────

/** Keras `MobileNetV2(alpha, input_shape=(size, size, 3), include_top=False, pooling='avg')`. */
export function buildMobileNetV2(alpha: number, sizePx: number): tf.LayersModel {
  const bn = (x: SymbolicTensor, name: string): SymbolicTensor => batchNorm(x, name, { momentum: 0.999 });
  const input = tf.input({ shape: [sizePx, sizePx, 3], name: 'input_1' });

  const invertedResBlock = (inputs: SymbolicTensor, expansion: number, stride: number, filters: number, blockId: number): SymbolicTensor => {
    const inChannels = inputs.shape[3] as number;
    const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
    let x = inputs;
    let prefix = `block_${blockId}_`;
    if (blockId) {
      x = apply(
        tf.layers.conv2d({
          filters: expansion * inChannels,
          kernelSize: 1,
          padding: 'same',
          useBias: false,
          kernelInitializer: kernelInitializer(),
          name: `${prefix}expand`,
        }),
        x,
      );
      x = bn(x, `${prefix}expand_BN`);
      x = relu6(x, `${prefix}expand_relu`);
    } else {
      prefix = 'expanded_conv_';
    }
    if (stride === 2) {
      x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
    }
    x = apply(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        useBias: false,
        padding: stride === 1 ? 'same' : 'valid',
        depthwiseInitializer: depthwiseInitializer(),
        name: `${prefix}depthwise`,
      }),
      x,
    );
    x = bn(x, `${prefix}depthwise_BN`);
    x = relu6(x, `${prefix}depthwise_relu`);
    x = apply(
      tf.layers.conv2d({
        filters: pointwiseFilters,
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        kernelInitializer: kernelInitializer(),
        name: `${prefix}project`,
      }),
      x,
    );
    x = bn(x, `${prefix}project_BN`);
    if (inChannels === pointwiseFilters && stride === 1) {
      return apply(tf.layers.add({ name: `${prefix}add` }), [inputs, x]);
    }
    return x;
  };

  let x = apply(
    tf.layers.conv2d({
      filters: makeDivisible(32 * alpha, 8),
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      useBias: false,
      kernelInitializer: kernelInitializer(),
      name: 'Conv1',
    }),
    input,
  );
  x = bn(x, 'bn_Conv1');
  x = relu6(x, 'Conv1_relu');

  const blocks: Array<[filters: number, stride: number, expansion: number]> = [
    [16, 1, 1],
    [24, 2, 6],
    [24, 1, 6],
    [32, 2, 6],
    [32, 1, 6],
    [32, 1, 6],
    [64, 2, 6],
    [64, 1, 6],
    [64, 1, 6],
    [64, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [96, 1, 6],
    [160, 2, 6],
    [160, 1, 6],
    [160, 1, 6],
    [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], blockId) => {
    x = invertedResBlock(x, expansion, stride, filters, blockId);
  });

  // No alpha on the last conv unless alpha > 1 (as in the paper and Keras).
  const lastFilters = alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = apply(
    tf.layers.conv2d({ filters: lastFilters, kernelSize: 1, useBias: false, kernelInitializer: kernelInitializer(), name: 'Conv_1' }),
    x,
  );
  x = bn(x, 'Conv_1_bn');
  x = relu6(x, 'out_relu');
  x = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${sizePx}` });
}

// ───────────────────────────── Inception v3 ─────────────────────────────

/** Keras `InceptionV3(input_shape=(size, size, 3), include_top=False, pooling='avg')`; size ≥ 75, default 299. */
export function buildInceptionV3(sizePx = 299): tf.LayersModel {
  // Keras names unnamed layers `conv2d`, `conv2d_1`, …; do the same so layer names match.
  const counters = new Map<string, number>();
  const autoName = (base: string): string => {
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };

  const conv2dBn = (x: SymbolicTensor, filters: number, rows: number, cols: number, padding: 'same' | 'valid' = 'same', strides = 1): SymbolicTensor => {
    x = apply(
      tf.layers.conv2d({
        filters,
        kernelSize: [rows, cols],
        strides,
        padding,
        useBias: false,
        kernelInitializer: kernelInitializer(),
        name: autoName('conv2d'),
      }),
      x,
    );
    x = batchNorm(x, autoName('batch_normalization'), { scale: false });
    return apply(tf.layers.activation({ activation: 'relu', name: autoName('activation') }), x);
  };
  const maxPool = (x: SymbolicTensor): SymbolicTensor =>
    apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: autoName('max_pooling2d') }), x);
  const avgPool = (x: SymbolicTensor): SymbolicTensor =>
    apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: autoName('average_pooling2d') }), x);
  const concat = (xs: SymbolicTensor[], name?: string): SymbolicTensor =>
    apply(tf.layers.concatenate({ axis: 3, name: name ?? autoName('concatenate') }), xs);

  const input = tf.input({ shape: [sizePx, sizePx, 3], name: 'input_1' });
  let x = conv2dBn(input, 32, 3, 3, 'valid', 2);
  x = conv2dBn(x, 32, 3, 3, 'valid');
  x = conv2dBn(x, 64, 3, 3);
  x = maxPool(x);
  x = conv2dBn(x, 80, 1, 1, 'valid');
  x = conv2dBn(x, 192, 3, 3, 'valid');
  x = maxPool(x);

  // mixed 0, 1, 2: 35 × 35 × 256 / 288 / 288
  for (const [i, poolFilters] of [32, 64, 64].entries()) {
    const branch1x1 = conv2dBn(x, 64, 1, 1);
    let branch5x5 = conv2dBn(x, 48, 1, 1);
    branch5x5 = conv2dBn(branch5x5, 64, 5, 5);
    let branch3x3dbl = conv2dBn(x, 64, 1, 1);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
    const branchPool = conv2dBn(avgPool(x), poolFilters, 1, 1);
    x = concat([branch1x1, branch5x5, branch3x3dbl, branchPool], `mixed${i}`);
  }

  // mixed 3: 17 × 17 × 768
  {
    const branch3x3 = conv2dBn(x, 384, 3, 3, 'valid', 2);
    let branch3x3dbl = conv2dBn(x, 64, 1, 1);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3);
    branch3x3dbl = conv2dBn(branch3x3dbl, 96, 3, 3, 'valid', 2);
    const branchPool = maxPool(x);
    x = concat([branch3x3, branch3x3dbl, branchPool], 'mixed3');
  }

  // mixed 4, 5, 6, 7: 17 × 17 × 768
  for (const [i, width] of [128, 160, 160, 192].entries()) {
    const branch1x1 = conv2dBn(x, 192, 1, 1);
    let branch7x7 = conv2dBn(x, width, 1, 1);
    branch7x7 = conv2dBn(branch7x7, width, 1, 7);
    branch7x7 = conv2dBn(branch7x7, 192, 7, 1);
    let branch7x7dbl = conv2dBn(x, width, 1, 1);
    branch7x7dbl = conv2dBn(branch7x7dbl, width, 7, 1);
    branch7x7dbl = conv2dBn(branch7x7dbl, width, 1, 7);
    branch7x7dbl = conv2dBn(branch7x7dbl, width, 7, 1);
    branch7x7dbl = conv2dBn(branch7x7dbl, 192, 1, 7);
    const branchPool = conv2dBn(avgPool(x), 192, 1, 1);
    x = concat([branch1x1, branch7x7, branch7x7dbl, branchPool], `mixed${4 + i}`);
  }

  // mixed 8: 8 × 8 × 1280
  {
    let branch3x3 = conv2dBn(x, 192, 1, 1);
    branch3x3 = conv2dBn(branch3x3, 320, 3, 3, 'valid', 2);
    let branch7x7x3 = conv2dBn(x, 192, 1, 1);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 1, 7);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 7, 1);
    branch7x7x3 = conv2dBn(branch7x7x3, 192, 3, 3, 'valid', 2);
    const branchPool = maxPool(x);
    x = concat([branch3x3, branch7x7x3, branchPool], 'mixed8');
  }

  // mixed 9, 10: 8 × 8 × 2048
  for (let i = 0; i < 2; i++) {
    const branch1x1 = conv2dBn(x, 320, 1, 1);
    let branch3x3 = conv2dBn(x, 384, 1, 1);
    const branch3x3a = conv2dBn(branch3x3, 384, 1, 3);
    const branch3x3b = conv2dBn(branch3x3, 384, 3, 1);
    branch3x3 = concat([branch3x3a, branch3x3b], `mixed9_${i}`);
    let branch3x3dbl = conv2dBn(x, 448, 1, 1);
    branch3x3dbl = conv2dBn(branch3x3dbl, 384, 3, 3);
    const branch3x3dblA = conv2dBn(branch3x3dbl, 384, 1, 3);
    const branch3x3dblB = conv2dBn(branch3x3dbl, 384, 3, 1);
    branch3x3dbl = concat([branch3x3dblA, branch3x3dblB]);
    const branchPool = conv2dBn(avgPool(x), 192, 1, 1);
    x = concat([branch1x1, branch3x3, branch3x3dbl, branchPool], `mixed${9 + i}`);
  }
  x = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
  return tf.model({ inputs: input, outputs: x, name: 'inception_v3' });
}

/** The benchmark's architectures, smallest first. */
export const ARCHITECTURES: readonly Architecture[] = [
  {
    id: 'mobilenet_v1_0.50_224',
    name: 'MobileNetV1-0.50-224',
    sizePx: 224,
    featureSize: 512,
    approxMegaMacs: 150,
    build: () => buildMobileNetV1(0.5, 224),
  },
  {
    id: 'mobilenet_v2_1.0_224',
    name: 'MobileNetV2-1.0-224',
    sizePx: 224,
    featureSize: 1280,
    approxMegaMacs: 300,
    build: () => buildMobileNetV2(1.0, 224),
  },
  {
    id: 'inception_v3',
    name: 'Inception v3',
    sizePx: 299,
    featureSize: 2048,
    approxMegaMacs: 5700,
    build: () => buildInceptionV3(299),
  },
];

// ───────────────────────────── real models from shared/ ─────────────────────────────

/** A real pretrained model in `shared/models/<id>`, measured beside the random-weight builds. */
export type SharedArchitecture = {
  id: string;
  name: string;
  spec: PreprocessSpec;
  /** The node whose (globally average-pooled) output is the bottleneck. */
  bottleneckNode: string;
  featureSize: number;
  approxMegaMacs: number;
};

/** Real models the bench loads from shared/ when it is present (see shared/README.md). */
export const SHARED_ARCHITECTURES: readonly SharedArchitecture[] = [
  {
    // retrain.py's default architecture with real weights (ImageNet, fine-tuned by nsfwjs), uint8 in the manifest.
    id: 'inception_v3_nsfwjs_299',
    name: 'Inception v3 299 (real, shared nsfwjs, uint8 weights)',
    spec: { heightPx: 299, widthPx: 299, crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 } },
    bottleneckNode: 'mixed10',
    featureSize: 2048,
    approxMegaMacs: 5700,
  },
];

/** `a` loaded from `sharedDir` and truncated at its bottleneck (input → pooled features), as the app loads it. */
export async function loadSharedArchitecture(a: SharedArchitecture, sharedDir: string): Promise<tf.LayersModel> {
  const info: ModelInfo = {
    id: a.id,
    name: a.name,
    origin: 'imported',
    format: 'layers',
    dir: path.join(sharedDir, 'models', a.id),
    spec: a.spec,
    inputName: 'input',
    inputShape: [null, a.spec.heightPx, a.spec.widthPx, 3],
    bottleneckNode: a.bottleneckNode,
    featureSize: a.featureSize,
    outputNode: a.bottleneckNode,
  };
  const extractor = await loadFeatureExtractor(info, { warm: false });
  if (!extractor.layersModel) throw new Error(`${a.id} in ${info.dir} is not a TF.js layers model.`);
  return extractor.layersModel;
}
