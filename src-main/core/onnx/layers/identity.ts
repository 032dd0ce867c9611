/** Dropout and noise layers: the identity at inference. */
import type { LayerConverter } from './context.js';

const identity: LayerConverter = ({ x }) => [x.name];

export const IDENTITY_LAYERS: Record<string, LayerConverter> = {
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};
