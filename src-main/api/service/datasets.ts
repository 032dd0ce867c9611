/** Datasets: opening (scanning) a folder of class folders, and paging through its images. */
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AccessPolicy } from '../../core/access/index.js';
import { scanDataset, type Dataset } from '../../core/dataset/index.js';
import { CoreError } from '../../core/errors.js';
import type { CoreApi, DatasetSummary } from '../contract.js';
import type { ServiceOptions } from '../service-types.js';
import type { Emit } from './events.js';

export type DatasetArea = {
  api: Pick<CoreApi, 'pickFolder' | 'openDataset' | 'listDatasetImages'>;
  /** An open dataset. @throws CoreError NOT_FOUND when `id` was not opened by this process */
  get(id: string): Dataset;
};

/** A dataset's id: stable for its real path, so opening a folder again gives the same id. */
const datasetId = (root: string): string => createHash('sha256').update(root).digest('hex').slice(0, 16);

/** The contract's view of a scanned dataset (a few sample paths per class, not every image). */
export const datasetSummary = (id: string, dataset: Dataset): DatasetSummary => ({
  id,
  root: dataset.root,
  classes: dataset.classes.map((c) => ({ name: c.name, label: c.label, count: c.images.length, counts: c.counts, samples: c.images.slice(0, 8).map((i) => i.path) })),
  issues: dataset.issues,
  duplicates: dataset.duplicates,
  imageCount: dataset.imageCount,
  validationPercent: dataset.validationPercent,
  testPercent: dataset.testPercent,
  trainable: !dataset.issues.some((i) => i.severity === 'error'),
  scannedAt: dataset.scannedAt,
});

/** The datasets this process has open; opening one grants reading its folder. */
export function createDatasetArea(deps: { access: AccessPolicy; emit: Emit; pickFolder?: ServiceOptions['pickFolder'] }): DatasetArea {
  const { access, emit } = deps;
  const open = new Map<string, Dataset>();
  const get = (id: string): Dataset => {
    const dataset = open.get(id);
    if (!dataset) throw new CoreError('NOT_FOUND', `Dataset ${id} is not open. Open its folder again.`);
    return dataset;
  };
  return {
    get,
    api: {
      pickFolder: async ({ purpose }) => {
        if (!deps.pickFolder) return null;
        const dir = await deps.pickFolder(purpose);
        // The user chose it in a host dialog: that is the grant.
        if (dir) access.grant(dir, purpose === 'export' ? 'write' : 'read');
        return dir;
      },
      openDataset: async ({ path: root, validationPercent, testPercent }) => {
        const absolute = path.resolve(root);
        const info = await stat(absolute).catch(() => null);
        if (!info?.isDirectory()) throw new CoreError('NOT_FOUND', `${root} is not a folder. Choose a folder that holds one sub-folder per class.`);
        const real = await realpath(absolute);
        const dataset = await scanDataset(real, {
          validationPercent,
          testPercent,
          onProgress: (done, total) => emit('dataset.progress', { root: real, done, total }),
        });
        const id = datasetId(real);
        open.set(id, dataset);
        access.grant(real);
        return datasetSummary(id, dataset);
      },
      listDatasetImages: async ({ datasetId: id, className, split, offset = 0, limit = 100 }) => {
        const rows = get(id)
          .classes.filter((c) => className === undefined || c.name === className)
          .flatMap((c) => c.images.filter((i) => split === undefined || i.split === split).map((i) => ({ path: i.path, className: c.name, split: i.split })));
        return { total: rows.length, images: rows.slice(offset, offset + limit) };
      },
    },
  };
}
