/** explain: an occlusion heat map for one image, with the same classifiers `classify` keeps loaded. */
import type { AccessPolicy } from '../../core/access/index.js';
import type { ImageClassifier } from '../../core/classify/index.js';
import { occlusionHeatMap } from '../../core/classify/explain.js';
import { loadLabelledModelClassifier, loadRunClassifier } from '../../core/classify/run-classifier.js';
import type { ExtractorCache, LoadedCache } from '../../core/models/extractor-cache.js';
import type { ModelStore } from '../../core/models/index.js';
import type { RunStore } from '../../core/runs/index.js';
import type { CoreApi } from '../contract.js';

export function createExplainApi(deps: { runs: RunStore; models: ModelStore; extractors: ExtractorCache; classifiers: LoadedCache<ImageClassifier>; access: AccessPolicy }): Pick<CoreApi, 'explain'> {
  const { classifiers } = deps;
  return {
    explain: async ({ runId, modelId, image, classIndex }) => {
      // The cache keys are classify's, so explaining what was just classified loads nothing.
      let classifier: ImageClassifier;
      let source: string;
      if (runId) {
        classifier = await classifiers.get(`run|${runId}`, () => loadRunClassifier(deps.runs, runId, (info) => deps.extractors.tfjs(info)));
        source = `run ${runId}`;
      } else {
        const info = await deps.models.resolve(modelId as string);
        classifier = await classifiers.get(`model|${info.id}`, () => loadLabelledModelClassifier(info));
        source = info.name;
      }
      const input = 'path' in image ? await deps.access.resolveReadable(image.path) : Buffer.from(image.dataBase64, 'base64');
      const name = 'path' in image ? image.path : image.name;
      return { source, ...(await occlusionHeatMap(classifier, input, { classIndex }, name)) };
    },
  };
}
