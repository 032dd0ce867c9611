/** Exports: a finished run as a TF.js model (and ONNX on request), into the exports folder or a chosen one. */
import path from 'node:path';
import type { AccessPolicy } from '../../core/access/index.js';
import { CoreError } from '../../core/errors.js';
import { exportSnippets, labelCommand } from '../../core/export/index.js';
import { exportRunModel } from '../../core/export/run-export.js';
import type { ExtractorCache } from '../../core/models/extractor-cache.js';
import { APP_VERSION } from '../../core/paths.js';
import type { RunStore } from '../../core/runs/index.js';
import type { CoreApi } from '../contract.js';

/** exportRun. Without `path` it writes `exportDirFor(runId)`; a `path` must be writable by the access policy. */
export function createExportsApi(deps: { runs: RunStore; extractors: ExtractorCache; access: AccessPolicy; exportsDir: string; exportDirFor: (runId: string) => string }): Pick<CoreApi, 'exportRun'> {
  const { access } = deps;
  return {
    exportRun: async ({ runId, path: target, onnx }) => {
      // Exports write files: only the app's exports folder and folders the user chose on the host.
      const chooseDir = async (): Promise<string> => {
        if (!target) return deps.exportDirFor(runId);
        if (!(await access.mayWrite(target))) {
          throw new CoreError('PATH_NOT_ALLOWED', `Export to ${target} is not allowed: choose the folder with the dialog, or omit the path to export to ${deps.exportsDir}.`);
        }
        return path.resolve(target);
      };
      const result = await exportRunModel({ runs: deps.runs, runId, chooseDir, loadExtractor: (info) => deps.extractors.tfjs(info), onnx, appVersion: APP_VERSION });
      access.grant(result.dir);
      const snippets = exportSnippets(result.metadata, result.onnx && 'file' in result.onnx ? { onnxFile: path.basename(result.onnx.file) } : {});
      return {
        dir: result.dir,
        files: result.files,
        labelCommand: labelCommand(result.dir, result.metadata),
        tfjsSnippet: snippets.browser,
        snippets,
        ...(result.onnx ? { onnx: result.onnx } : {}),
      };
    },
  };
}
