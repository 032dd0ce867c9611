/**
 * A second process for the fix tests (run with `node --import tsx`):
 *   move <root> <stateDir> <toClass> <path>...     moves every path into toClass, all at once
 *   exclude <stateDir> <path>...                   excludes every path, one request each, all at once
 */
import { excludeFiles, exclusionsFile, fixLogFile, moveToClass } from '../../../src-main/core/dataset/index.js';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'move') {
  const [root, stateDir, toClass, ...paths] = args;
  await Promise.all(paths.map((p) => moveToClass(root, fixLogFile(stateDir), { path: p, toClass })));
} else if (mode === 'exclude') {
  const [stateDir, ...paths] = args;
  await Promise.all(paths.map((p) => excludeFiles(exclusionsFile(stateDir), [{ path: p, reason: `by ${process.pid}` }])));
} else {
  throw new Error(`unknown mode ${mode}`);
}
