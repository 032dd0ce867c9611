/** explain: an occlusion heat map for one image, with the same classifiers `classify` keeps loaded. */
import { occlusionHeatMap } from '../../core/classify/explain.js';
import type { CoreApi } from '../contract.js';
import { classifierLoader, requestImage, type ClassifierDeps } from './classify.js';

export function createExplainApi(deps: ClassifierDeps): Pick<CoreApi, 'explain'> {
  // classify's loader and cache keys, so explaining what was just classified loads nothing.
  const classifierFor = classifierLoader(deps);
  return {
    explain: async ({ runId, modelId, image, classIndex }) => {
      const { classifier, source } = await classifierFor(runId, modelId);
      const { input, name } = await requestImage(deps.access, image);
      return { source, ...(await occlusionHeatMap(classifier, input, { classIndex }, name)) };
    },
  };
}
