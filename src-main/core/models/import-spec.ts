/** The preprocessing spec of an imported model: guessed from the model, overridden by metadata and options, checked against its input. */
import { CoreError } from '../errors.js';
import type { PreprocessSpec } from '../images/spec.js';
import type { ModelJson } from '../tf/file-io.js';
import type { ModelTopology } from './topology.js';
import type { ModelInfo } from './types.js';

function isSpecPatch(value: unknown): value is Partial<PreprocessSpec> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The pixel range a model was most likely trained with, from the Keras applications'
 * layer names: MobileNet v1/v2 and Inception v3 use [-1, 1]; a model that starts with a
 * Rescaling layer takes raw [0, 255]; anything else (TF Hub, darknet…) [0, 1].
 */
export function guessNormalization(topology: ModelTopology): PreprocessSpec['normalization'] {
  const names = new Set(topology.nodes.map((n) => n.name.split('/').pop() ?? n.name));
  const early = topology.nodes.slice(0, 4).map((n) => n.op);
  if (early.includes('Rescaling')) return { kind: 'range', min: 0, max: 255 };
  const kerasMinusOneToOne = ['bn_Conv1', 'expanded_conv_project', 'conv_pw_13_relu', 'conv_dw_1_bn', 'mixed10', 'conv2d_94'];
  if (kerasMinusOneToOne.some((name) => names.has(name))) return { kind: 'range', min: -1, max: 1 };
  return { kind: 'range', min: 0, max: 1 };
}

/** Default spec for an import: the model's input size, centre crop, the guessed range; metadata, then options, override. */
export function importSpec(json: ModelJson, topology: ModelTopology, inputShape: (number | null)[], overrides: Partial<PreprocessSpec> | undefined): PreprocessSpec {
  const metadata = json.userDefinedMetadata?.spec;
  const fromModel: Partial<PreprocessSpec> = {};
  if (typeof inputShape[1] === 'number') fromModel.heightPx = inputShape[1];
  if (typeof inputShape[2] === 'number') fromModel.widthPx = inputShape[2];
  return {
    heightPx: 224,
    widthPx: 224,
    crop: 'center',
    normalization: guessNormalization(topology),
    ...fromModel,
    ...(isSpecPatch(metadata) ? metadata : {}),
    ...(overrides ?? {}),
  };
}

/** INPUT_MISMATCH when the model declares a fixed input size that differs from the spec. */
export function checkInputSpec(info: Pick<ModelInfo, 'id' | 'dir' | 'inputShape' | 'spec'>): void {
  const [, height, width, channels] = info.inputShape;
  const problems: string[] = [];
  if (info.inputShape.length !== 4) problems.push(`rank ${info.inputShape.length} (expected [batch, height, width, 3])`);
  if (typeof height === 'number' && height !== info.spec.heightPx) problems.push(`height ${height} ≠ spec ${info.spec.heightPx}`);
  if (typeof width === 'number' && width !== info.spec.widthPx) problems.push(`width ${width} ≠ spec ${info.spec.widthPx}`);
  if (typeof channels === 'number' && channels !== 3) problems.push(`${channels} channels (expected 3, RGB)`);
  if (problems.length > 0) {
    throw new CoreError(
      'INPUT_MISMATCH',
      `Model ${info.id} in ${info.dir} takes input ${JSON.stringify(info.inputShape)} but its preprocessing ` +
        `spec is ${info.spec.heightPx}×${info.spec.widthPx}×3: ${problems.join('; ')}. ` +
        (typeof height === 'number' && typeof width === 'number'
          ? `Use heightPx ${height} and widthPx ${width}.`
          : 'The model needs a [null, height, width, 3] image input.'),
      { inputShape: info.inputShape, spec: info.spec },
    );
  }
}
