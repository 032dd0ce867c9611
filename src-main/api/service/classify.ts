/** Labelling one image with a finished run or a labelled model. */
import type { AccessPolicy } from '../../core/access/index.js';
import { classifyImage, type ImageClassifier } from '../../core/classify/index.js';
import { loadLabelledModelClassifier, loadRunClassifier } from '../../core/classify/run-classifier.js';
import type { ExtractorCache, LoadedCache } from '../../core/models/extractor-cache.js';
import type { ModelStore } from '../../core/models/index.js';
import type { RunStore } from '../../core/runs/index.js';
import type { CoreApi, ImageInput } from '../contract.js';
import { DEFAULTS } from '../wire.js';

/** What every labelling method needs: the stores, the loaded classifiers and the access policy. */
export type ClassifierDeps = { runs: RunStore; models: ModelStore; extractors: ExtractorCache; classifiers: LoadedCache<ImageClassifier>; access: AccessPolicy };

/**
 * The classifier of a run or a labelled model, loaded once and kept in `classifiers` under one key per
 * source, so classify, explain and labelFolder share what is loaded.
 */
export function classifierLoader(deps: ClassifierDeps): (runId: string | undefined, modelId: string | undefined) => Promise<{ classifier: ImageClassifier; source: string }> {
  return async (runId, modelId) => {
    if (runId) {
      // Labelling always uses TF.js so that it matches the exported model exactly.
      const classifier = await deps.classifiers.get(`run|${runId}`, () => loadRunClassifier(deps.runs, runId, (info) => deps.extractors.tfjs(info)));
      return { classifier, source: `run ${runId}` };
    }
    const info = await deps.models.resolve(modelId as string);
    return { classifier: await deps.classifiers.get(`model|${info.id}`, () => loadLabelledModelClassifier(info)), source: info.name };
  };
}

/** The bytes (or confined path) of a request's image, and the name to report it by. */
export async function requestImage(access: AccessPolicy, image: ImageInput): Promise<{ input: string | Buffer; name: string }> {
  if ('path' in image) return { input: await access.resolveReadable(image.path), name: image.path };
  return { input: Buffer.from(image.dataBase64, 'base64'), name: image.name };
}

/** classify. Classifiers stay loaded in `classifiers`; an image path must be readable by the access policy. */
export function createClassifyApi(deps: ClassifierDeps): Pick<CoreApi, 'classify'> {
  const classifierFor = classifierLoader(deps);
  return {
    classify: async ({ runId, modelId, image, topK = DEFAULTS.topK }) => {
      const { classifier, source } = await classifierFor(runId, modelId);
      const { input, name } = await requestImage(deps.access, image);
      return { source, ...(await classifyImage(classifier, input, topK, name)) };
    },
  };
}
