/**
 * A second process for the lock tests (run with `node --import tsx`). Modes:
 *   count <file> <n> <tag>      n locked increments of { count, seen[] } in <file>
 *   hold <lockPath> [staleMs]   take the lock, print "held", then wait forever (to be SIGKILLed)
 *   hold-then-release <lockPath> <staleMs> <holdMs> <marker>
 *                               take the lock, print "held", keep it holdMs, write <marker>, release
 */
import { writeFile } from 'node:fs/promises';
import { updateJsonFile, withFileLock } from '../../../src-main/core/files/index.js';

type Counter = { count: number; seen: string[] };
const [mode, target, ...rest] = process.argv.slice(2);

if (mode === 'count') {
  const [n, tag] = rest;
  // Start all increments at once: the in-process queue and the file lock both take part.
  await Promise.all(
    Array.from({ length: Number(n) }, (_, i) =>
      updateJsonFile<Counter>(target, async (current) => {
        const value = current ?? { count: 0, seen: [] };
        // Yield between read and write so an unlocked version would interleave and lose updates.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        return { count: value.count + 1, seen: [...value.seen, `${tag}-${i}`] };
      }),
    ),
  );
} else if (mode === 'hold') {
  await withFileLock(target, async () => {
    console.log('held');
    await new Promise(() => {});
  }, { staleMs: Number(rest[0] ?? 30_000) });
} else if (mode === 'hold-then-release') {
  const [staleMs, holdMs, marker] = rest;
  await withFileLock(target, async () => {
    console.log('held');
    await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
    await writeFile(marker, 'released');
  }, { staleMs: Number(staleMs) });
} else {
  throw new Error(`unknown mode ${mode}`);
}
