/** Pooling layers: Max/AveragePooling2D and global pooling (1-D and 2-D). */
import { attr } from '../graph-builder.js';
import { pair, tfPads, unsupported, type LayerConverter } from './context.js';

const pooling2d = (op: 'MaxPool' | 'AveragePool'): LayerConverter => ({ g, layer, config, x, rank, base }) => {
  if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
  const kernel = pair(config.poolSize, 2);
  const strides = config.strides == null ? kernel : pair(config.strides, 1);
  const padding = String(config.padding ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
  const pads = tfPads(padding, [x.shape[1], x.shape[2]], kernel, strides, [1, 1]);
  const attributes = {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(strides),
    ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
    // TF averages over the valid pixels only.
    ...(op === 'AveragePool' ? { count_include_pad: attr.int(0) } : {}),
  };
  return [g.op(op, [x.name], base, attributes)];
};

const globalPooling2d = (op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter => ({ g, layer, x, rank, outShape, base }) => {
  if (rank !== 4) throw unsupported(layer, `input rank ${rank}`);
  const pooled = g.op(op, [x.name], `${base}_pool`);
  if (outShape.length === 4) return [pooled];
  return [g.op('Flatten', [pooled], base, { axis: attr.int(1) })];
};

const globalPooling1d = (op: 'ReduceMean' | 'ReduceMax'): LayerConverter => ({ g, layer, x, rank, base }) => {
  if (rank !== 3) throw unsupported(layer, `input rank ${rank}`);
  return [g.op(op, [x.name], base, { axes: attr.ints([1]), keepdims: attr.int(0) })];
};

export const POOLING_LAYERS: Record<string, LayerConverter> = {
  MaxPooling2D: pooling2d('MaxPool'),
  AveragePooling2D: pooling2d('AveragePool'),
  GlobalAveragePooling2D: globalPooling2d('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling2d('GlobalMaxPool'),
  GlobalAveragePooling1D: globalPooling1d('ReduceMean'),
  GlobalMaxPooling1D: globalPooling1d('ReduceMax'),
};
