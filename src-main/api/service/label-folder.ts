/**
 * Labelling a whole folder from the app: core's labelFolder (the same job as the CLI's
 * `label --image_dir`) with the classifier Classify would use, progress as events, cancel by
 * folder, and the CSV of a finished job in the CLI's format.
 */
import { randomUUID } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { folderCsv, labelFolder } from '../../core/classify/folder.js';
import { CoreError } from '../../core/errors.js';
import type { CoreApi, LabelFolderResult } from '../contract.js';
import { DEFAULTS } from '../wire.js';
import { classifierLoader, type ClassifierDeps } from './classify.js';
import type { Emit } from './events.js';

/** Finished jobs kept for exportLabelFolderCsv (each holds its rows). */
const KEPT_RESULTS = 4;

/** classify's dependencies (the same loaded classifiers, so both label with one network), plus events. */
export type LabelFolderDeps = ClassifierDeps & { emit: Emit };

/** The real folder a request names, or NOT_FOUND saying whether it is missing or a file. */
async function realFolder(requested: string): Promise<string> {
  const absolute = path.resolve(requested);
  const info = await stat(absolute).catch(() => null);
  if (!info) throw new CoreError('NOT_FOUND', `${requested} does not exist. Check the path of the folder of images to label.`);
  if (!info.isDirectory()) throw new CoreError('NOT_FOUND', `${requested} is a file, not a folder. Give the folder whose images should be labelled.`);
  return realpath(absolute);
}

export function createLabelFolderApi(deps: LabelFolderDeps): Pick<CoreApi, 'labelFolder' | 'cancelLabelFolder' | 'exportLabelFolderCsv'> {
  const { access, emit } = deps;
  /** Jobs in flight, by real folder. */
  const running = new Map<string, AbortController>();
  const finished = new Map<string, LabelFolderResult>();

  const classifierFor = classifierLoader(deps);

  return {
    labelFolder: async ({ path: requested, runId, modelId, topK = DEFAULTS.topK }) => {
      const root = await realFolder(requested);
      const { classifier, source } = await classifierFor(runId, modelId);
      // Labelling the folder is choosing it (as opening a dataset): its thumbnails may be shown.
      access.grant(root);
      // A second job on the same folder replaces the first.
      running.get(root)?.abort();
      const controller = new AbortController();
      running.set(root, controller);
      try {
        const result = await labelFolder({
          classifier,
          imageDir: root,
          topK,
          signal: controller.signal,
          onProgress: (progress) => emit('labelFolder.progress', { root, ...progress }),
        });
        const reply: LabelFolderResult = {
          jobId: randomUUID(),
          root,
          source,
          topK: Math.min(topK, result.labels.length),
          labels: result.labels,
          rows: result.rows.map((row) => ({ path: row.path, predictions: row.predictions, ...(row.error ? { error: row.error } : {}) })),
          total: result.total,
          skipped: result.skipped.length,
          cancelled: result.cancelled,
          durationMs: result.durationMs,
          imagesPerSecond: result.imagesPerSecond,
          engine: result.engine,
        };
        finished.set(reply.jobId, reply);
        for (const old of finished.keys()) if (finished.size > KEPT_RESULTS) finished.delete(old);
        return reply;
      } finally {
        if (running.get(root) === controller) running.delete(root);
      }
    },
    cancelLabelFolder: async ({ path: requested }) => {
      // The path as given first (no wait, so a cancel lands before the next batch), else its real path.
      const controller = running.get(path.resolve(requested)) ?? running.get(await realpath(path.resolve(requested)).catch(() => path.resolve(requested)));
      controller?.abort();
      return { cancelled: controller !== undefined };
    },
    exportLabelFolderCsv: async ({ jobId }) => {
      const result = finished.get(jobId);
      if (!result) throw new CoreError('NOT_FOUND', `Labelling job ${jobId} is no longer kept (the last ${KEPT_RESULTS} are). Label the folder again to export its CSV.`);
      return { fileName: `${path.basename(result.root) || 'labels'}-labels.csv`, mimeType: 'text/csv', text: folderCsv(result.rows, result.topK) };
    },
  };
}
