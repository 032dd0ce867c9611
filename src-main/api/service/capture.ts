/**
 * Adding a photo to an open dataset (a webcam frame from Classify): a new JPEG in one of its
 * class folders, never replacing a file and never leaving the dataset's folder, then a rescan
 * so the counts the app shows include it.
 */
import { randomBytes } from 'node:crypto';
import { link, realpath, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../../core/errors.js';
import { probeBytes } from '../../core/images/index.js';
import type { CoreApi } from '../contract.js';
import type { DatasetArea } from './datasets.js';

/** `webcam-2026-12-04T20-31-05-123Z.jpg`: sortable, and valid on every file system. */
const captureName = (now: Date, n: number): string => `webcam-${now.toISOString().replace(/[:.]/g, '-')}${n ? `-${n}` : ''}.jpg`;

export function createCaptureApi(deps: { datasets: DatasetArea }): Pick<CoreApi, 'captureImage'> {
  return {
    captureImage: async ({ datasetId, className, dataBase64 }) => {
      const dataset = deps.datasets.get(datasetId);
      const cls = dataset.classes.find((c) => c.name === className);
      if (!cls) throw new CoreError('NOT_FOUND', `${dataset.root} has no class folder "${className}". Choose one of: ${dataset.classes.map((c) => c.name).join(', ')}.`);
      const bytes = Buffer.from(dataBase64, 'base64');
      const probe = await probeBytes(bytes);
      if (!probe.ok || probe.format !== 'jpeg') {
        throw new CoreError('IMAGE_UNREADABLE', `The captured frame is not a complete JPEG (${probe.ok ? probe.format : probe.reason}); nothing was written.`);
      }
      // The class folder must be a real folder directly inside the dataset (not a link elsewhere).
      const realRoot = await realpath(dataset.root);
      const folder = await realpath(path.join(dataset.root, cls.name)).catch(() => null);
      if (folder === null || path.dirname(folder) !== realRoot) {
        throw new CoreError('PATH_NOT_ALLOWED', `${path.join(dataset.root, cls.name)} is not a folder inside ${dataset.root} (missing, or a link out of it); the frame was not written.`);
      }
      // Written under a hidden temporary name (scans skip it), then linked to a new name: link()
      // fails on an existing file, so nothing is ever replaced and no half-written JPEG is listed.
      const temp = path.join(folder, `.capture-${randomBytes(6).toString('hex')}.tmp`);
      await writeFile(temp, bytes, { flag: 'wx' });
      let target = '';
      try {
        const now = new Date();
        for (let n = 0; !target; n++) {
          const candidate = path.join(folder, captureName(now, n));
          try {
            await link(temp, candidate);
            target = candidate;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw error;
          }
        }
      } finally {
        await unlink(temp).catch(() => {});
      }
      const summary = await deps.datasets.api.openDataset({ path: dataset.root, validationPercent: dataset.validationPercent, testPercent: dataset.testPercent });
      return { path: target, dataset: summary };
    },
  };
}
