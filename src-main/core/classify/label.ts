/**
 * label_image.py, reborn: classify one image with an exported model (whose metadata.json
 * says how to feed it) or with any TF.js classifier plus a labels file and input flags.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import type { PreprocessSpec } from '../images/spec.js';
import { readModelJson } from '../tf/file-io.js';
import { classifyImage, checkLabelFlags, loadExportedClassifier, readLabels, type ClassifyResult, type ImageClassifier, type LabelFlags } from './index.js';

export type LabelRequest = LabelFlags & {
  /** Export folder, or any TF.js classifier folder / its model.json. */
  graph: string;
  labels?: string;
  image: string;
  topK?: number;
  /** For non-export models: how to fit the image (label_image.py resized the whole image). */
  crop?: PreprocessSpec['crop'];
  /** Loads a non-export classifier (the model store's loader), so this module stays free of it. */
  loadPlainClassifier: (dir: string, spec: PreprocessSpec, labels: string[]) => Promise<ImageClassifier>;
};

/** Classifies one image; throws INPUT_MISMATCH when flags contradict the model. */
export async function labelImage(request: LabelRequest): Promise<ClassifyResult & { labels: string[] }> {
  const dir = request.graph.endsWith('.json') ? path.dirname(request.graph) : request.graph;
  const isExport = await stat(path.join(dir, 'metadata.json')).then(() => true, () => false);
  let classifier: ImageClassifier;
  if (isExport) {
    const exported = await loadExportedClassifier(dir, request.labels);
    checkLabelFlags(exported.metadata, request);
    classifier = exported;
  } else {
    if (!request.labels) throw new CoreError('INVALID_ARGUMENT', `${dir} is not a Retrain Studio export: pass --labels (one label per line) for its classes.`);
    const json = await readModelJson(dir);
    const declared = declaredInput(json.modelTopology);
    const height = request.inputHeight ?? declared?.[1];
    const width = request.inputWidth ?? declared?.[2];
    if (!height || !width) throw new CoreError('INVALID_ARGUMENT', `The input size of ${dir} is not declared: pass --input_height and --input_width.`);
    if (declared && ((declared[1] && declared[1] !== height) || (declared[2] && declared[2] !== width))) {
      throw new CoreError('INPUT_MISMATCH', `--input_height/--input_width ${height}×${width} contradict the model's input ${JSON.stringify(declared)}: use --input_height=${declared[1]} --input_width=${declared[2]}.`);
    }
    const spec: PreprocessSpec = {
      heightPx: height,
      widthPx: width,
      crop: request.crop ?? 'squash',
      // label_image.py's defaults: mean 0, std 255 → [0, 1].
      normalization: { kind: 'meanStd', mean: request.inputMean ?? 0, std: request.inputStd ?? 255 },
    };
    classifier = await request.loadPlainClassifier(dir, spec, await readLabels(request.labels));
  }
  try {
    const result = await classifyImage(classifier, request.image, request.topK ?? 5);
    return { ...result, labels: classifier.labels };
  } finally {
    classifier.dispose();
  }
}

/** `[null, h, w, c]` of a layers model's first input, when model.json declares it. */
function declaredInput(topology: unknown): (number | null)[] | undefined {
  const config = (topology as { model_config?: { config?: unknown } })?.model_config?.config as
    | { layers?: Array<{ class_name?: string; config?: { batch_input_shape?: (number | null)[] } }>; batch_input_shape?: (number | null)[] }
    | undefined;
  const layers = config?.layers ?? [];
  for (const layer of layers) {
    const shape = layer.config?.batch_input_shape;
    if (shape?.length === 4) return shape;
  }
  return undefined;
}
