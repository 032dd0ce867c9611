/**
 * The per-layer converters, one module per layer family. Adding a layer is adding a row to
 * its family's table (or a new family here); the converter looks layers up by class name.
 */
import { ACTIVATION_LAYERS } from './activations.js';
import { CONV_LAYERS } from './conv.js';
import type { LayerConverter } from './context.js';
import { DENSE_LAYERS } from './dense.js';
import { IDENTITY_LAYERS } from './identity.js';
import { MERGE_LAYERS } from './merge.js';
import { NORMALIZATION_LAYERS } from './normalization.js';
import { POOLING_LAYERS } from './pooling.js';
import { RESHAPE_LAYERS } from './reshape.js';

const FAMILIES = [IDENTITY_LAYERS, CONV_LAYERS, DENSE_LAYERS, NORMALIZATION_LAYERS, ACTIVATION_LAYERS, MERGE_LAYERS, POOLING_LAYERS, RESHAPE_LAYERS];

/** Keras class name → converter. A class in two families is a mistake, caught at load. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = (() => {
  const table: Record<string, LayerConverter> = Object.create(null) as Record<string, LayerConverter>;
  for (const family of FAMILIES) {
    for (const [className, convert] of Object.entries(family)) {
      if (className in table) throw new Error(`Two ONNX converters for layer class ${className}`);
      table[className] = convert;
    }
  }
  return table;
})();

export { ConversionContext, TO_NCHW, TO_NHWC, unsupported, type LayerConverter, type LayerStep, type Value } from './context.js';
