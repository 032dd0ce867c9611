/** Writing converted models to disk, e.g. for the export feature (image → probabilities). */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import { writeAtomic } from '../tf/file-io.js';
import { convertLayersModelsToOnnx, type ConversionResult, type ConvertOptions } from './convert.js';
import { DEFAULT_PARITY_TOLERANCE, compareOutputs, type ParityReport } from './parity.js';
import { createOnnxSession } from './session.js';

/** Images used to prove an export matches TF.js before it is written. */
export type ParityImages = {
  /** `[count, h, w, c]` NHWC float32, preprocessed as the model expects. */
  pixels: Float32Array;
  count: number;
  /** Default 1e-4 (see ParityReport). */
  tolerance?: number;
};

/** What {@link writeOnnxModel} / {@link exportOnnxClassifier} wrote. */
export type OnnxExportResult = {
  file: string;
  bytes: number;
  inputName: string;
  outputName: string;
  /** NHWC input dims with the batch as `N`, e.g. `['N', 224, 224, 3]`. */
  inputShape: (number | string)[];
  outputShape: (number | string)[];
  opset: number;
  /** Present when parity images were given. */
  parity?: ParityReport;
};

async function predictChain(models: tf.LayersModel[], pixels: Float32Array, count: number): Promise<Float32Array> {
  const shape = models[0].inputs[0].shape.slice(1) as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  const output = tf.tidy(() => {
    let x: tf.Tensor = tf.tensor(pixels.subarray(0, count * size), [count, ...shape]);
    for (const model of models) x = model.predict(x) as tf.Tensor;
    return x;
  });
  try {
    return (await output.data()) as Float32Array;
  } finally {
    output.dispose();
  }
}

async function exportChain(
  models: tf.LayersModel[],
  file: string,
  options: ConvertOptions & { parity?: ParityImages },
): Promise<OnnxExportResult> {
  const converted: ConversionResult = convertLayersModelsToOnnx(models, options);
  let parity: ParityReport | undefined;
  if (options.parity) {
    const { pixels, count } = options.parity;
    const tolerance = options.parity.tolerance ?? DEFAULT_PARITY_TOLERANCE;
    const reference = await predictChain(models, pixels, count);
    const session = await createOnnxSession(converted.bytes);
    try {
      parity = compareOutputs(reference, await session.run(pixels, count), count, tolerance);
    } finally {
      await session.dispose();
    }
    if (!parity.ok) {
      throw new CoreError(
        'PARITY_FAILED',
        `The ONNX export of ${path.basename(file)} does not match TF.js: max relative error ${parity.maxRelativeError.toExponential(2)} ` +
          `(tolerance ${tolerance.toExponential(1)}). Nothing was written; export the TF.js model instead.`,
        { ...parity },
      );
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeAtomic(file, converted.bytes);
  return {
    file,
    bytes: converted.bytes.byteLength,
    inputName: converted.inputNames[0],
    outputName: converted.outputNames[0],
    inputShape: converted.inputShapes[0],
    outputShape: converted.outputShapes[0],
    opset: converted.opset,
    ...(parity ? { parity } : {}),
  };
}

/**
 * Converts `model` (e.g. the combined backbone + head layers model) and writes it to `file`
 * atomically (temp file + rename; the folder is created). With `options.parity`, the ONNX
 * output is first compared with `model.predict` on those images.
 * @throws CoreError `UNSUPPORTED_LAYER` (nothing written), `PARITY_FAILED` (nothing written).
 */
export async function writeOnnxModel(
  model: tf.LayersModel,
  file: string,
  options: ConvertOptions & { parity?: ParityImages } = {},
): Promise<OnnxExportResult> {
  return exportChain([model], file, options);
}

/**
 * Writes one ONNX graph from image to head output: `backbone` (image → features) followed by
 * `head` (features → probabilities, e.g. Dense(+hidden Dense) with softmax), without building
 * a combined TF.js model. Same atomic write and optional parity check as {@link writeOnnxModel};
 * parity compares against `head.predict(backbone.predict(x))`.
 * @throws CoreError `UNSUPPORTED_LAYER`, `PARITY_FAILED`, `MODEL_INVALID` (head inputs do not fit).
 */
export async function exportOnnxClassifier(options: {
  backbone: tf.LayersModel;
  head: tf.LayersModel;
  file: string;
  parity?: ParityImages;
  convert?: ConvertOptions;
}): Promise<OnnxExportResult> {
  const { backbone, head, file } = options;
  const features = backbone.outputs[0].shape;
  const headInput = head.inputs[0].shape;
  if (features.length !== headInput.length || features.some((d, i) => i > 0 && headInput[i] != null && d !== headInput[i])) {
    throw new CoreError(
      'MODEL_INVALID',
      `The classifier head expects input [${headInput.join(', ')}] but the backbone gives [${features.join(', ')}].`,
    );
  }
  return exportChain([backbone, head], file, { ...options.convert, parity: options.parity });
}
