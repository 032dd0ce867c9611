/**
 * A second process for the settings tests (run with `node --import tsx`):
 *   <file> <n> <tag>   n concurrent updates of <file>, each setting its own key `<tag>-<i>` to i
 */
import { createSettingsStore } from '../../../src-main/core/settings/index.js';

const [file, n, tag] = process.argv.slice(2);
const store = createSettingsStore<Record<string, number>>({ file, defaults: {} });
await Promise.all(Array.from({ length: Number(n) }, (_, i) => store.update({ [`${tag}-${i}`]: i })));
