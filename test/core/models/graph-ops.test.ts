import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAPH_OPS } from '../../../src-main/core/models/graph-ops.js';

describe('GRAPH_OPS', () => {
  it('is exactly the set of ops the installed tfjs-converter maps', async () => {
    const converter = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-converter/package.json'));
    const listDir = path.join(converter, 'dist', 'operations', 'op_list');
    const ops = new Set<string>();
    for (const file of (await readdir(listDir)).filter((f) => f.endsWith('.js'))) {
      for (const match of (await readFile(path.join(listDir, file), 'utf8')).matchAll(/'tfOpName':\s*'([A-Za-z0-9_]+)'/g)) ops.add(match[1]);
    }
    expect(ops.size).toBeGreaterThan(200);
    expect([...GRAPH_OPS].sort()).toEqual([...ops].sort());
  });
});
