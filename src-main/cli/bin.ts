#!/usr/bin/env node
/** `retrain-studio` executable: the only place that touches process.argv and the exit code. */
import { run } from './index.js';

process.exitCode = await run(process.argv.slice(2));
