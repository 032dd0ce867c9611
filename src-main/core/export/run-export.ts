/**
 * Exporting a finished run: its backbone and trained head as one TF.js model (see
 * exportClassifier), and on request an ONNX file, written only when it agrees with TF.js.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CoreError } from '../errors.js';
import type { FeatureExtractor, ModelInfo } from '../models/types.js';
import { exportOnnxClassifier } from '../onnx/index.js';
import type { RunStore } from '../runs/store.js';
import { loadLayersModelFromDir } from '../tf/file-io.js';
import { applyTemperature, readTemperature } from '../training/calibration.js';
import { exportClassifier, type ExportMetadata } from './index.js';

/** The ONNX part of an export: the file and its largest difference from TF.js, or why there is none. */
export type OnnxExportOutcome = { file: string; maxAbsError: number } | { error: string };

/** Random images the ONNX export must reproduce TF.js on (seeded: the same check every time). */
const PARITY_COUNT = 2;
const PARITY_SEED = 7;

/**
 * Writes `<dir>/model.onnx` for backbone + head when ONNX Runtime's output matches TF.js's
 * on a seeded random batch in [-1, 1]; otherwise returns the reason and writes nothing.
 */
export async function exportOnnxWithParity(backbone: tf.LayersModel, head: tf.LayersModel, dir: string, info: ModelInfo): Promise<OnnxExportOutcome> {
  const { heightPx, widthPx } = info.spec;
  const input = tf.randomUniform([PARITY_COUNT, heightPx, widthPx, 3], -1, 1, 'float32', PARITY_SEED);
  const pixels = (await input.data()) as Float32Array;
  input.dispose();
  try {
    const result = await exportOnnxClassifier({ backbone, head, file: path.join(dir, 'model.onnx'), parity: { pixels, count: PARITY_COUNT }, convert: { outputName: 'final_result' } });
    return { file: result.file, maxAbsError: result.parity?.maxAbsError ?? NaN };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export type RunExportOptions = {
  runs: RunStore;
  runId: string;
  /**
   * The folder to write (created if needed; its files are replaced), asked for once the run
   * is known to be exportable; it may throw (e.g. a target the caller refuses).
   */
  chooseDir: () => Promise<string>;
  /** The run's backbone on TF.js (layers model for a layers backbone); owned by the caller. */
  loadExtractor: (info: ModelInfo) => Promise<FeatureExtractor>;
  /** Also write model.onnx (layers backbones only). */
  onnx?: boolean;
  appVersion: string;
};

/** What exportRunModel wrote. */
export type RunExport = { dir: string; files: string[]; metadata: ExportMetadata; onnx?: OnnxExportOutcome };

/**
 * Exports run `runId` into `dir`.
 * @throws CoreError INVALID_ARGUMENT when the run is not completed; NOT_FOUND for an unknown run
 */
export async function exportRunModel(options: RunExportOptions): Promise<RunExport> {
  const { runs, runId } = options;
  const record = await runs.get(runId);
  if (record.status !== 'completed') throw new CoreError('INVALID_ARGUMENT', `Run ${runId} is ${record.status}; only completed runs can be exported.`);
  const dir = await options.chooseDir();
  const extractor = await options.loadExtractor(record.model);
  const modelDir = path.join(await runs.runDir(runId), 'model');
  const head = await loadLayersModelFromDir(modelDir);
  try {
    // The same calibrated head the app classifies with (TF.js and ONNX alike).
    const temperature = await readTemperature(modelDir);
    applyTemperature(head, temperature);
    const result = await exportClassifier({ backbone: extractor.layersModel, head, info: record.model, classes: record.classes, dir, runId, appVersion: options.appVersion, temperature });
    if (!options.onnx) return result;
    const onnx = extractor.layersModel
      ? await exportOnnxWithParity(extractor.layersModel, head, dir, record.model)
      : { error: `${record.model.name} is a TF.js graph model; ONNX conversion handles layers models only.` };
    return { ...result, files: result.files.concat('file' in onnx ? [onnx.file] : []), onnx };
  } finally {
    head.dispose();
  }
}
