/** The shard files: inside the folder, regular, and exactly the bytes their specs need (sizes only; nothing is read). */
import path from 'node:path';
import { openConfined } from '../../access/index.js';
import { CoreError } from '../../errors.js';
import { MODEL_WEIGHTS_MAX_BYTES, type ModelJson } from '../../tf/file-io.js';
import { weightByteLength } from '../weights.js';

/**
 * Each weights group's files must exist inside `dir`, be regular files and hold exactly the
 * bytes its specs need. Only sizes are read (the files are opened and closed, not read).
 * @throws CoreError MODEL_INVALID naming the files
 */
export async function validateShardFiles(dir: string, json: ModelJson): Promise<void> {
  for (const group of json.weightsManifest) {
    let bytes = 0;
    for (const shard of group.paths) {
      try {
        const opened = await openConfined(shard, { root: dir, maxBytes: MODEL_WEIGHTS_MAX_BYTES, label: `Weight file "${shard}" named in ${path.join(dir, 'model.json')}` });
        await opened.handle.close();
        bytes += opened.sizeBytes;
      } catch (error) {
        if (error instanceof CoreError && error.code !== 'NOT_FOUND') throw new CoreError('MODEL_INVALID', error.message, { file: path.join(dir, 'model.json'), shard });
        throw new CoreError('MODEL_INVALID', `Weight file ${path.join(dir, shard)} named in model.json is missing. Download or copy the model again.`, { shard });
      }
    }
    let expected = 0;
    for (const w of group.weights) expected += weightByteLength(w) ?? NaN;
    if (Number.isFinite(expected) && bytes !== expected) {
      throw new CoreError(
        'MODEL_INVALID',
        `The weight files [${group.paths.join(', ')}] of ${dir} hold ${bytes} bytes, but model.json's weight specs for them need ${expected}: ` +
          'the files are truncated or belong to another model. Download or copy the model again.',
        { file: path.join(dir, 'model.json'), paths: group.paths, bytes, expectedBytes: expected },
      );
    }
  }
}
