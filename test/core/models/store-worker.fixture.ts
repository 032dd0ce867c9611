/**
 * A second process for the cross-process model store tests (run with `node --import tsx`):
 *   import <storeDir> <modelDir>...     imports every folder at once; prints the ids as one JSON line
 *   download <storeDir> <entryJson>     downloads the catalog row; prints its ModelInfo as one JSON line
 */
import { createModelStore, type CatalogEntry } from '../../../src-main/core/models/index.js';

const [mode, storeDir, ...rest] = process.argv.slice(2);
if (mode === 'import') {
  const store = createModelStore({ dir: storeDir });
  const infos = await Promise.all(rest.map((dir) => store.importModel(dir)));
  console.log(JSON.stringify(infos.map((info) => info.id)));
} else if (mode === 'download') {
  const entry = JSON.parse(rest[0]) as CatalogEntry;
  const info = await createModelStore({ dir: storeDir, catalog: [entry] }).download(entry.id);
  console.log(JSON.stringify(info));
} else {
  throw new Error(`unknown mode ${mode}`);
}
