/** Labelling one image with a finished run or a labelled model. */
import type { AccessPolicy } from '../../core/access/index.js';
import { classifyImage, type ImageClassifier } from '../../core/classify/index.js';
import { loadLabelledModelClassifier, loadRunClassifier } from '../../core/classify/run-classifier.js';
import type { ExtractorCache, LoadedCache } from '../../core/models/extractor-cache.js';
import type { ModelStore } from '../../core/models/index.js';
import type { RunStore } from '../../core/runs/index.js';
import type { CoreApi } from '../contract.js';
import { DEFAULTS } from '../wire.js';

/** classify. Classifiers stay loaded in `classifiers`; an image path must be readable by the access policy. */
export function createClassifyApi(deps: { runs: RunStore; models: ModelStore; extractors: ExtractorCache; classifiers: LoadedCache<ImageClassifier>; access: AccessPolicy }): Pick<CoreApi, 'classify'> {
  const { classifiers } = deps;
  const classifierFor = async (runId: string | undefined, modelId: string | undefined): Promise<{ classifier: ImageClassifier; source: string }> => {
    if (runId) {
      // Labelling always uses TF.js so that it matches the exported model exactly.
      const classifier = await classifiers.get(`run|${runId}`, () => loadRunClassifier(deps.runs, runId, (info) => deps.extractors.tfjs(info)));
      return { classifier, source: `run ${runId}` };
    }
    const info = await deps.models.resolve(modelId as string);
    return { classifier: await classifiers.get(`model|${info.id}`, () => loadLabelledModelClassifier(info)), source: info.name };
  };
  return {
    classify: async ({ runId, modelId, image, topK = DEFAULTS.topK }) => {
      const { classifier, source } = await classifierFor(runId, modelId);
      const input = 'path' in image ? await deps.access.resolveReadable(image.path) : Buffer.from(image.dataBase64, 'base64');
      const name = 'path' in image ? image.path : image.name;
      return { source, ...(await classifyImage(classifier, input, topK, name)) };
    },
  };
}
