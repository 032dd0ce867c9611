/** The parity record: a checked conversion is loaded without TF.js only while the model files and the .onnx file are unchanged. */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFeatureExtractor } from '../../../src-main/core/models/extractor.js';
import type { ModelInfo } from '../../../src-main/core/models/types.js';
import { createOnnxFeatureExtractor, loadCheckedOnnxExtractor } from '../../../src-main/core/onnx/index.js';
import { tempDir } from '../../helpers/fixtures.js';
import { useWasm } from '../../helpers/tf.js';
import { makeGraphModel } from '../models/fixtures.js';
import { randomArray } from './helpers.js';

describe('parity records', () => {
  let dir: string;
  let cacheDir: string;
  let info: ModelInfo;
  const pixels = randomArray(2 * 8 * 8 * 3, 5, -1, 1);

  beforeAll(async () => {
    await useWasm();
    const base = await tempDir('parity-record');
    dir = path.join(base, 'graph');
    cacheDir = path.join(base, 'onnx');
    await makeGraphModel(dir);
    info = {
      id: 'graph',
      name: 'graph',
      origin: 'imported',
      format: 'graph',
      dir,
      spec: { heightPx: 8, widthPx: 8, crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } },
      inputName: 'images',
      inputShape: [null, 8, 8, 3],
      bottleneckNode: 'net/conv/Relu',
      featureSize: 4,
      outputNode: 'head/Softmax',
    };
  });

  it('loads the checked conversion, and checks again once the .onnx file or the model files change', async () => {
    expect(await loadCheckedOnnxExtractor(info, { cacheDir })).toBeUndefined();
    const base = await loadFeatureExtractor(info);
    const first = await createOnnxFeatureExtractor(base, { cacheDir, parityPixels: pixels, parityCount: 2 });
    expect(first.reason).toBeUndefined();
    const expected = await base.extract(pixels, 2);
    base.dispose();
    first.extractor!.dispose();

    const checked = await loadCheckedOnnxExtractor(info, { cacheDir });
    expect(checked && 'extractor' in checked).toBe(true);
    if (!checked || !('extractor' in checked)) return;
    expect(checked.parity).toEqual(first.parity);
    expect(checked.extractor.info.featureSize).toBe(4);
    const features = await checked.extractor.extract(pixels, 2);
    const worst = Math.max(...Array.from(features, (v, i) => Math.abs(v - expected[i])));
    expect(worst).toBeLessThan(1e-5);
    checked.extractor.dispose();

    // A damaged .onnx file is not trusted.
    const onnxFile = path.join(cacheDir, (await readdir(cacheDir)).find((f) => f.endsWith('.onnx'))!);
    const bytes = await readFile(onnxFile);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1] ^= 0xff;
    await writeFile(onnxFile, damaged);
    expect(await loadCheckedOnnxExtractor(info, { cacheDir })).toBeUndefined();
    await writeFile(onnxFile, bytes);
    expect(await loadCheckedOnnxExtractor(info, { cacheDir })).toMatchObject({ parity: { ok: true } });

    // New weights under the same id: the record is for other files.
    const shard = path.join(dir, 'group1-shard1of1.bin');
    const weights = await readFile(shard);
    weights[0] ^= 0x01;
    await writeFile(shard, weights);
    expect(await loadCheckedOnnxExtractor(info, { cacheDir })).toBeUndefined();
  });
});
