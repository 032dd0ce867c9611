/** Output shapes of Keras layers from their config and input shapes (the layer shape rules). */
import { broadcast, pair, product, reshapeTo, spatialOut, toShape } from './shape-rules.js';
import type { Shape } from './types.js';

/** Layers whose output has their input's shape. */
const ELEMENTWISE_LAYERS = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax', 'BatchNormalization',
  'LayerNormalization', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout',
  'AlphaDropout', 'Rescaling', 'Normalization', 'Masking', 'Identity', 'ActivityRegularization',
]);
/** Layers that broadcast their inputs together. */
const MERGE_LAYERS = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

/** Output shape of one Keras layer from its config and input shapes (null if unknown). */
export function inferLayerShape(className: string, config: Record<string, unknown>, inputShapes: (Shape | null)[]): Shape | null {
  const input = inputShapes[0] ?? null;
  if (className === 'InputLayer') {
    return toShape(config.batch_input_shape ?? config.batchInputShape ?? config.batch_shape) ??
      (Array.isArray(config.input_shape) ? [null, ...(toShape(config.input_shape) ?? [])] : null);
  }
  if (ELEMENTWISE_LAYERS.has(className)) return input;
  if (MERGE_LAYERS.has(className)) return broadcast(inputShapes);
  if (!input) return null;
  const channelsFirst = config.data_format === 'channels_first';
  switch (className) {
    case 'Dense':
      return [...input.slice(0, -1), Number(config.units)];
    case 'Flatten':
      return [input[0] ?? null, product(input.slice(1))];
    case 'Reshape':
      return Array.isArray(config.target_shape) ? reshapeTo(input, config.target_shape.map(Number), true) : null;
    case 'Permute': {
      const dims = Array.isArray(config.dims) ? config.dims.map(Number) : null;
      return dims ? [input[0] ?? null, ...dims.map((d) => input[d] ?? null)] : null;
    }
    case 'RepeatVector':
      return [input[0] ?? null, Number(config.n), input[1] ?? null];
    case 'Concatenate': {
      const known = inputShapes.filter((s): s is Shape => !!s);
      if (known.length !== inputShapes.length) return null;
      const rank = input.length;
      const axis = ((Number(config.axis ?? -1) % rank) + rank) % rank;
      const out = [...input];
      out[axis] = known.reduce<number | null>((sum, s) => (sum === null || s[axis] === null ? null : sum + (s[axis] as number)), 0);
      return out;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      if (input.length !== 4) return null;
      const channels = channelsFirst ? input[1] : input[3];
      return config.keepdims ? (channelsFirst ? [input[0], channels, 1, 1] : [input[0], 1, 1, channels]) : [input[0], channels];
    }
    case 'GlobalAveragePooling1D':
    case 'GlobalMaxPooling1D':
      return input.length === 3 ? [input[0], input[2]] : null;
  }
  if (input.length !== 4 || channelsFirst) return null;
  const [batch, height, width, channels] = input;
  const same = config.padding === 'same';
  switch (className) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const [kh, kw] = pair(config.kernel_size, 1);
      const [sh, sw] = pair(config.strides, 1);
      const [dh, dw] = pair(config.dilation_rate, 1);
      const out =
        className === 'DepthwiseConv2D' ? (channels === null ? null : channels * Number(config.depth_multiplier ?? 1)) : Number(config.filters);
      return [batch, spatialOut(height, kh, sh, dh, same), spatialOut(width, kw, sw, dw, same), out];
    }
    case 'Conv2DTranspose': {
      const [kh, kw] = pair(config.kernel_size, 1);
      const [sh, sw] = pair(config.strides, 1);
      const grow = (size: number | null, k: number, s: number): number | null =>
        size === null ? null : same ? size * s : size * s + Math.max(k - s, 0);
      return [batch, grow(height, kh, sh), grow(width, kw, sw), Number(config.filters)];
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(config.pool_size, 2);
      const strides = config.strides ?? config.pool_size;
      const [sh, sw] = pair(strides, 2);
      return [batch, spatialOut(height, ph, sh, 1, same), spatialOut(width, pw, sw, 1, same), channels];
    }
    case 'ZeroPadding2D': {
      const padding = config.padding;
      let top = 1, bottom = 1, left = 1, right = 1;
      if (typeof padding === 'number') top = bottom = left = right = padding;
      else if (Array.isArray(padding) && Array.isArray(padding[0])) {
        [top, bottom] = pair(padding[0], 0);
        [left, right] = pair(padding[1], 0);
      } else if (Array.isArray(padding)) {
        top = bottom = Number(padding[0]);
        left = right = Number(padding[1] ?? padding[0]);
      }
      return [batch, height === null ? null : height + top + bottom, width === null ? null : width + left + right, channels];
    }
    case 'Cropping2D': {
      const cropping = config.cropping;
      let top = 0, bottom = 0, left = 0, right = 0;
      if (typeof cropping === 'number') top = bottom = left = right = cropping;
      else if (Array.isArray(cropping) && Array.isArray(cropping[0])) {
        [top, bottom] = pair(cropping[0], 0);
        [left, right] = pair(cropping[1], 0);
      }
      return [batch, height === null ? null : height - top - bottom, width === null ? null : width - left - right, channels];
    }
    case 'UpSampling2D': {
      const [fh, fw] = pair(config.size, 2);
      return [batch, height === null ? null : height * fh, width === null ? null : width * fw, channels];
    }
  }
  return null;
}
