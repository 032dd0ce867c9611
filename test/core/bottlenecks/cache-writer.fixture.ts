/**
 * Child process for the killed-writer test: writes entries 0, 1, 2, … into the cache
 * folder given as argv[2] until it is killed, printing a line every 50 entries.
 */
import { createBottleneckCache } from '../../../src-main/core/bottlenecks/index.js';
import { keyFor, vectorFor } from './cache-fixtures.js';

const cache = createBottleneckCache({ dir: process.argv[2] });
for (let n = 0; n < 1_000_000; n++) {
  await cache.put(keyFor(n), vectorFor(n, 256));
  if (n % 50 === 49) process.stdout.write(`${n + 1}\n`);
}
