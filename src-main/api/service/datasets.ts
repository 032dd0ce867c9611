/** Datasets: opening (scanning) a folder of class folders, and paging through its images. */
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AccessPolicy } from '../../core/access/index.js';
import { exclusionFilter, exclusionsFile, readExclusions, scanDataset, type Dataset } from '../../core/dataset/index.js';
import { CoreError } from '../../core/errors.js';
import type { CoreApi, DatasetSummary } from '../contract.js';
import { DEFAULTS } from '../wire.js';
import type { ServiceOptions } from '../service-types.js';
import type { Emit } from './events.js';

export type DatasetArea = {
  api: Pick<CoreApi, 'pickFolder' | 'openDataset' | 'cancelOpenDataset' | 'listDatasetImages'>;
  /** An open dataset. @throws CoreError NOT_FOUND when `id` was not opened by this process */
  get(id: string): Dataset;
  /** The folder of an open dataset's state in the data folder (exclusions, fix log). */
  stateDir(id: string): string;
  /** Scans an open dataset again (unchanged files are not read: the scan index) after a fix; replaces it and returns it. */
  rescan(id: string): Promise<Dataset>;
};

/** A dataset's id: stable for its real path, so opening a folder again gives the same id. */
export const datasetId = (root: string): string => createHash('sha256').update(root).digest('hex').slice(0, 16);

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

/** The real folder a request names, or NOT_FOUND saying whether it is missing or a file. */
async function realFolder(root: string): Promise<string> {
  const absolute = path.resolve(root);
  const info = await stat(absolute).catch(() => null);
  if (!info) throw new CoreError('NOT_FOUND', `${root} does not exist. Check the path, or choose a folder that holds one sub-folder per class.`);
  if (!info.isDirectory()) throw new CoreError('NOT_FOUND', `${root} is a file, not a folder. Choose the folder that holds one sub-folder per class.`);
  return realpath(absolute);
}

/**
 * The datasets this process has open; opening one grants reading its folder. Scans are
 * bounded (`maxFiles`), cancellable by path, and remember unchanged files in `indexDir`.
 */
export function createDatasetArea(deps: { access: AccessPolicy; emit: Emit; pickFolder?: ServiceOptions['pickFolder']; indexDir: string; maxFiles?: number; stateDir?: string }): DatasetArea {
  const { access, emit } = deps;
  const open = new Map<string, Dataset>();
  /** Scans in flight, by real folder: what cancelOpenDataset aborts. */
  const scanning = new Map<string, AbortController>();
  const get = (id: string): Dataset => {
    const dataset = open.get(id);
    if (!dataset) throw new CoreError('NOT_FOUND', `Dataset ${id} is not open. Open its folder again.`);
    return dataset;
  };
  const stateDir = (id: string): string => path.join(deps.stateDir ?? path.join(deps.indexDir, '..', 'datasets'), id);
  /** Every scan leaves out the dataset's excluded files, so split, training and checks never see them. */
  const scan = async (id: string, real: string, options: { validationPercent?: number; testPercent?: number; signal?: AbortSignal; quiet?: boolean }): Promise<Dataset> =>
    scanDataset(real, {
      validationPercent: options.validationPercent,
      testPercent: options.testPercent,
      signal: options.signal,
      maxFiles: deps.maxFiles ?? DEFAULTS.maxDatasetFiles,
      indexFile: path.join(deps.indexDir, `${id}.json`),
      exclude: exclusionFilter(await readExclusions(exclusionsFile(stateDir(id)))),
      // A rescan after a fix is not an opening: no progress for the Dataset view to show.
      ...(options.quiet ? {} : {
        onWalkProgress: (_entries: number, files: number) => emit('dataset.progress', { root: real, phase: 'listing', done: 0, total: files }),
        onProgress: (done: number, total: number) => emit('dataset.progress', { root: real, phase: 'reading', done, total }),
      }),
    });
  return {
    get,
    stateDir,
    rescan: async (id) => {
      const { root, validationPercent, testPercent } = get(id);
      const dataset = await scan(id, root, { validationPercent, testPercent, quiet: true });
      open.set(id, dataset);
      return dataset;
    },
    api: {
      pickFolder: async ({ purpose }) => {
        if (!deps.pickFolder) return null;
        const dir = await deps.pickFolder(purpose);
        // The user chose it in a host dialog: that is the grant.
        if (dir) access.grant(dir, purpose === 'export' ? 'write' : 'read');
        return dir;
      },
      openDataset: async ({ path: root, validationPercent, testPercent }) => {
        const real = await realFolder(root);
        const id = datasetId(real);
        // A second open of the same folder replaces the first scan.
        scanning.get(real)?.abort();
        const controller = new AbortController();
        scanning.set(real, controller);
        let dataset: Dataset;
        try {
          dataset = await scan(id, real, { validationPercent, testPercent, signal: controller.signal });
        } finally {
          if (scanning.get(real) === controller) scanning.delete(real);
        }
        open.set(id, dataset);
        access.grant(real);
        return datasetSummary(id, dataset);
      },
      cancelOpenDataset: async ({ path: root }) => {
        const real = await realpath(path.resolve(root)).catch(() => path.resolve(root));
        const controller = scanning.get(real);
        controller?.abort();
        return { cancelled: controller !== undefined };
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
