/** Models: the catalog with what is cached, downloads, imports, the bottleneck node, and graphs. */
import path from 'node:path';
import type { AccessPolicy } from '../../core/access/index.js';
import { describeNormalization } from '../../core/images/index.js';
import { describeGraph, type ModelInfo, type ModelStore } from '../../core/models/index.js';
import { describeRunGraph, type RunStore } from '../../core/runs/index.js';
import type { CoreApi, ModelSummary } from '../contract.js';
import type { Emit } from './events.js';

export type ModelsApi = Pick<CoreApi, 'listModels' | 'downloadModel' | 'importModel' | 'setBottleneckNode' | 'describeModel'>;

/** The contract's view of a usable model; `extra` adds catalog fields. */
export const modelSummary = (info: ModelInfo, extra: Partial<ModelSummary> = {}): ModelSummary => ({
  id: info.id,
  name: info.name,
  origin: info.origin,
  format: info.format,
  cached: true,
  inputName: info.inputName,
  inputShape: info.inputShape,
  spec: info.spec,
  normalization: describeNormalization(info.spec.normalization),
  bottleneckNode: info.bottleneckNode,
  featureSize: info.featureSize,
  outputNode: info.outputNode,
  hasLabels: Boolean(info.labels?.length),
  ...extra,
});

/** The model methods; importing a model grants reading its folder. */
export function createModelsApi(deps: { models: ModelStore; runs: RunStore; access: AccessPolicy; emit: Emit }): ModelsApi {
  const { models, access, emit } = deps;
  return {
    listModels: async () => {
      const [catalog, usable] = await Promise.all([models.listCatalog(), models.listModels()]);
      const byId = new Map(usable.map((m) => [m.id, m]));
      const rows: ModelSummary[] = catalog.map((entry) => {
        const info = byId.get(entry.id);
        const extra = { family: entry.family, url: entry.url, approxDownloadBytes: entry.approxDownloadBytes, sizeOnDiskBytes: entry.sizeOnDiskBytes };
        if (info) return modelSummary(info, { ...extra, cached: entry.cached });
        return {
          id: entry.id,
          name: entry.name,
          origin: 'catalog' as const,
          format: entry.format,
          cached: false,
          inputName: entry.inputName,
          inputShape: [null, entry.spec.heightPx, entry.spec.widthPx, 3],
          spec: entry.spec,
          normalization: describeNormalization(entry.spec.normalization),
          bottleneckNode: entry.bottleneckNode,
          featureSize: entry.featureSize,
          hasLabels: false,
          ...extra,
        };
      });
      return rows.concat(usable.filter((m) => m.origin !== 'catalog').map((m) => modelSummary(m)));
    },
    downloadModel: async ({ modelId }) => modelSummary(await models.download(modelId, { onProgress: (p) => emit('model.download', p) })),
    importModel: async ({ path: dir, name, bottleneckNode, labelsPath, spec }) => {
      const info = await models.importModel(path.resolve(dir), { name, bottleneckNode, labelsFile: labelsPath, spec });
      access.grant(info.dir);
      return modelSummary(info);
    },
    setBottleneckNode: async ({ modelId, node }) => modelSummary(await models.setBottleneckNode(modelId, node)),
    // Read only: a run's graph comes from its record and folder, never from writing an export.
    describeModel: async (req) => ('modelId' in req ? describeGraph(await models.resolve(req.modelId)) : describeRunGraph(deps.runs, req.runId)),
  };
}
