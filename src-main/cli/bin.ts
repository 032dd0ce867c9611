#!/usr/bin/env node
/**
 * `retrain-studio` executable: the only place that touches process.argv and the exit code,
 * and the CLI's composition root: it hands the HTTP adapter's `startServe` to the CLI (the
 * one adapter → adapter edge test/architecture.test.ts allows). The server loads only for
 * `serve`, so other commands start without it.
 */
import { run } from './index.js';

process.exitCode = await run(process.argv.slice(2), {
  serve: async (options) => (await import('../server/index.js')).startServe(options),
});
