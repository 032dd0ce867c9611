/**
 * The API layer maps requests to core and back: tensors, models and their memory belong to
 * core. No file under src-main/api/ imports TensorFlow.js, even for types.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectImports, readSourceTree } from '../helpers/architecture.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('src-main/api/', () => {
  it('never imports TensorFlow.js: tensor code lives in core', async () => {
    const tree = await readSourceTree(ROOT);
    const apiFiles = Object.keys(tree).filter((file) => file.startsWith('src-main/api/') && /\.[cm]?ts$/.test(file));
    expect(apiFiles).toContain('src-main/api/service.ts');
    const offending = apiFiles.flatMap((file) =>
      collectImports(file, tree[file])
        .filter((ref) => ref.specifier?.startsWith('@tensorflow/'))
        .map((ref) => `${file}:${ref.line} ${ref.form} '${ref.specifier}'`),
    );
    expect(offending).toEqual([]);
  });
});
