/**
 * The downloadable official models, as a data table. Rows are generated from small arrays
 * (widths × sizes), never from branches; every URL has its source beside it.
 *
 * Download sizes are approximate: published parameter counts × 4 bytes (float32), plus a
 * little for model.json. They are shown before a download; the real size comes from the
 * weights manifest once model.json is fetched.
 */
import type { PreprocessSpec } from '../images/spec.js';
import type { CatalogEntry } from './types.js';

const BYTES_PER_PARAM = 4;
const MODEL_JSON_BYTES = 100_000;
const approxBytes = (params: number): number => Math.round(params * BYTES_PER_PARAM + MODEL_JSON_BYTES);

const centerRange = (size: number, min: number, max: number): PreprocessSpec => ({
  heightPx: size,
  widthPx: size,
  crop: 'center',
  normalization: { kind: 'range', min, max },
});

// ---------------------------------------------------------------------------------------
// MobileNet v1: the codelab's 16 float variants (retrain.py's `mobilenet_<width>_<size>`).
// URL pattern: https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_{width}_{size}/model.json
//   Source: tensorflow/tfjs-examples (webcam-transfer-learning) and the apps built on it,
//   e.g. `tf.loadLayersModel('https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json')`
//   then `getLayer('conv_pw_13_relu')`; listed in ../shared/MODELS.md. Keras layers model
//   (full ImageNet classifier), input [-1, 1] (Keras `mobilenet.preprocess_input`).
// Parameter counts per width (independent of input size): tensorflow/models
//   research/slim/nets/mobilenet_v1.md table (4.24M, 2.59M, 1.34M, 0.47M).
// ---------------------------------------------------------------------------------------
const MOBILENET_V1_WIDTHS = [
  { width: '1.0', multiplier: 1.0, params: 4.24e6 },
  { width: '0.75', multiplier: 0.75, params: 2.59e6 },
  { width: '0.50', multiplier: 0.5, params: 1.34e6 },
  { width: '0.25', multiplier: 0.25, params: 0.47e6 },
] as const;
const MOBILENET_V1_SIZES = [224, 192, 160, 128] as const;
const MOBILENET_V1_SOURCE =
  'storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_{width}_{size} (tensorflow/tfjs-examples webcam-transfer-learning; ' +
  'bottleneck conv_pw_13_relu as used there); params from tensorflow/models research/slim/nets/mobilenet_v1.md';

const mobilenetV1Rows: CatalogEntry[] = MOBILENET_V1_WIDTHS.flatMap(({ width, multiplier, params }) =>
  MOBILENET_V1_SIZES.map((size) => ({
    id: `mobilenet_${width}_${size}`,
    name: `MobileNet v1 ${width} ${size}`,
    family: 'mobilenet_v1' as const,
    format: 'layers' as const,
    url: `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${width}_${size}/model.json`,
    fromTfHub: false,
    spec: centerRange(size, -1, 1),
    inputName: 'input_1',
    bottleneckNode: 'conv_pw_13_relu',
    featureSize: Math.round(1024 * multiplier),
    approxDownloadBytes: approxBytes(params),
    source: MOBILENET_V1_SOURCE,
  })),
);

// ---------------------------------------------------------------------------------------
// MobileNet v2 (TF Hub TF1 classification modules converted to TF.js graph models).
// URL: https://tfhub.dev/google/imagenet/mobilenet_v2_{050,075,100}_224/classification/2
//   loaded with `tf.loadGraphModel(url, {fromTFHub: true})`, i.e. `<url>/model.json?tfjs-format=file`.
//   Source: @tensorflow-models/mobilenet 2.1.1 src/index.ts (MODEL_INFO, inputRange [0, 1];
//   EMBEDDING_NODES '2.00' = 'module_apply_default/MobilenetV2/Logits/AvgPool').
// Parameter counts: tensorflow/models research/slim/nets/mobilenet/README.md (3.47M, 2.61M, 1.95M).
// The last conv keeps 1280 channels for widths ≤ 1.0, so features are 1280 for all three.
// ---------------------------------------------------------------------------------------
const MOBILENET_V2_WIDTHS = [
  { code: '100', width: '1.00', params: 3.47e6 },
  { code: '075', width: '0.75', params: 2.61e6 },
  { code: '050', width: '0.50', params: 1.95e6 },
] as const;
const MOBILENET_V2_SOURCE =
  '@tensorflow-models/mobilenet 2.1.1 src/index.ts (MODEL_INFO url + inputRange, EMBEDDING_NODES); ' +
  'params from tensorflow/models research/slim/nets/mobilenet/README.md';

const mobilenetV2Rows: CatalogEntry[] = MOBILENET_V2_WIDTHS.map(({ code, width, params }) => ({
  id: `mobilenet_v2_${width}_224`,
  name: `MobileNet v2 ${width} 224`,
  family: 'mobilenet_v2' as const,
  format: 'graph' as const,
  url: `https://tfhub.dev/google/imagenet/mobilenet_v2_${code}_224/classification/2/model.json`,
  fromTfHub: true,
  spec: centerRange(224, 0, 1),
  inputName: 'images',
  bottleneckNode: 'module_apply_default/MobilenetV2/Logits/AvgPool',
  featureSize: 1280,
  approxDownloadBytes: approxBytes(params),
  source: MOBILENET_V2_SOURCE,
}));

// ---------------------------------------------------------------------------------------
// MobileNet v3 feature vectors (TF2 SavedModels converted to TF.js graph models).
// URL: https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v3_{small,large}_100_224/feature_vector/5/default/1
//   Source: tensorflow/tfhub.dev assets/docs/google/models/imagenet/mobilenet_v3_{small,large}_100_224/
//   feature_vector/5/default/tfjs/1.md ("TF.js deployment", loadGraphModel(url, {fromTFHub: true}),
//   input [0, 1], 224 × 224, centre crop in its example). Now redirected to
//   https://www.kaggle.com/models/google/mobilenet-v3/TfJs/{small,large}-100-224-feature-vector/1.
//   The features are the model's own output (published as "Identity"; the actual output
//   node of the downloaded graph is used if it differs).
// Params: tensorflow/models research/slim/nets/mobilenet/README.md (Large 5.4M, Small 2.5M)
//   minus the 1001-way classifier (1280·1001 and 1024·1001).
// ---------------------------------------------------------------------------------------
const MOBILENET_V3_VARIANTS = [
  { variant: 'large', label: 'Large', features: 1280, params: 5.4e6 - 1280 * 1001 },
  { variant: 'small', label: 'Small', features: 1024, params: 2.5e6 - 1024 * 1001 },
] as const;

const mobilenetV3Rows: CatalogEntry[] = MOBILENET_V3_VARIANTS.map(({ variant, label, features, params }) => ({
  id: `mobilenet_v3_${variant}_1.00_224`,
  name: `MobileNet v3 ${label} 1.00 224 (feature vector)`,
  family: 'mobilenet_v3' as const,
  format: 'graph' as const,
  url: `https://tfhub.dev/google/tfjs-model/imagenet/mobilenet_v3_${variant}_100_224/feature_vector/5/default/1/model.json`,
  fromTfHub: true,
  spec: centerRange(224, 0, 1),
  inputName: 'inputs',
  bottleneckNode: 'Identity',
  bottleneckIsOutput: true,
  featureSize: features,
  approxDownloadBytes: approxBytes(params),
  source:
    `tensorflow/tfhub.dev assets/docs/google/models/imagenet/mobilenet_v3_${variant}_100_224/feature_vector/5/default/tfjs/1.md; ` +
    'params from tensorflow/models research/slim/nets/mobilenet/README.md minus the classifier',
}));

// ---------------------------------------------------------------------------------------
// Inception v3 (retrain.py's default architecture), TF1 feature-vector module as TF.js.
// URL: https://tfhub.dev/google/tfjs-model/imagenet/inception_v3/feature_vector/3/default/1
//   Source: tensorflow/tfhub.dev assets/docs/google/models/imagenet/inception_v3/feature_vector/3/default/tfjs/1.md
//   ("TF.js deployment of google/imagenet/inception_v3/feature_vector/3", fromTFHub: true).
//   Input 299 × 299 in [0, 1] and 2048 features: .../inception_v3/feature_vector/3.md.
//   Output node: the TF1 hub signature output 'hub_output/feature_vector/SpatialSqueeze' under
//   'module_apply_default/' (the prefix the MobileNet TF1 conversions use, and retrain.py's
//   bottleneck tensor name); the actual output node is used if the graph differs.
// Params: Keras InceptionV3 23.85M minus the 2048·1001 classifier ≈ 21.8M.
// ---------------------------------------------------------------------------------------
const inceptionRows: CatalogEntry[] = [
  {
    id: 'inception_v3',
    name: 'Inception v3 299 (feature vector)',
    family: 'inception_v3',
    format: 'graph',
    url: 'https://tfhub.dev/google/tfjs-model/imagenet/inception_v3/feature_vector/3/default/1/model.json',
    fromTfHub: true,
    spec: centerRange(299, 0, 1),
    inputName: 'images',
    bottleneckNode: 'module_apply_default/hub_output/feature_vector/SpatialSqueeze',
    bottleneckIsOutput: true,
    featureSize: 2048,
    approxDownloadBytes: approxBytes(23.85e6 - 2048 * 1001),
    source:
      'tensorflow/tfhub.dev assets/docs/google/models/imagenet/inception_v3/feature_vector/3/default/tfjs/1.md ' +
      'and inception_v3/feature_vector/3.md (299 × 299, [0, 1], 2048 features)',
  },
];

/** Every downloadable model: retrain.py's architectures plus MobileNet v2 and v3. Ids are unique. */
export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  ...inceptionRows,
  ...mobilenetV1Rows,
  ...mobilenetV2Rows,
  ...mobilenetV3Rows,
]);

/** The catalog row with this id, or undefined. */
export function findCatalogEntry(id: string, catalog: readonly CatalogEntry[] = CATALOG): CatalogEntry | undefined {
  return catalog.find((entry) => entry.id === id);
}
