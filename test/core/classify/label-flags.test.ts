import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../../helpers/fixtures.js';
import { checkLabelFlags, readLabels, topK, type LabelFlags } from '../../../src-main/core/classify/index.js';
import type { ExportMetadata } from '../../../src-main/core/export/index.js';

const mobilenet: ExportMetadata = {
  format: 'retrain-studio-export', formatVersion: 1, inputName: 'input_1', inputShape: [null, 224, 224, 3], inputDtype: 'float32',
  normalization: { kind: 'range', min: -1, max: 1 }, normalizationText: '[-1, 1] (pixel / 127.5 - 1)', inputMean: 127.5, inputStd: 127.5,
  crop: 'center', outputName: 'final_result', outputShape: [null, 5], classes: ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'],
  backboneId: 'mobilenet_v2', bottleneckNode: 'out_relu', appVersion: 'test', createdAt: '2026-01-01T00:00:00Z',
};

/** The codelab's classic label_image mistakes (issue 2, point 10), as data: flags → what the error must name. */
const CONTRADICTIONS: Array<[string, LabelFlags, RegExp]> = [
  ['Inception input layer on a MobileNet', { inputLayer: 'Mul' }, /no input layer "Mul": the input is "input_1"/],
  ['Inception size on a 224 model', { inputHeight: 299, inputWidth: 299 }, /--input_height=299 but the model takes 224×224/],
  ['label_image.py default mean/std on a [-1, 1] model', { inputMean: 0, inputStd: 255 }, /--input_mean=0 but the model was trained with 127.5/],
  ['retrain.py v1 output name', { outputLayer: 'final_result:0' }, /the output is "final_result"/],
];

describe('checkLabelFlags', () => {
  it.each(CONTRADICTIONS)('%s fails with INPUT_MISMATCH and names the right flags', (_name, flags, message) => {
    expect(() => checkLabelFlags(mobilenet, flags)).toThrow(message);
    expect(() => checkLabelFlags(mobilenet, flags)).toThrow(/Use: --input_layer=input_1 --input_height=224 --input_width=224 --input_mean=127.5 --input_std=127.5 --output_layer=final_result/);
  });

  it('accepts flags that match the model, and no flags at all', () => {
    expect(() => checkLabelFlags(mobilenet, {})).not.toThrow();
    expect(() => checkLabelFlags(mobilenet, { inputLayer: 'input_1', inputHeight: 224, inputWidth: 224, inputMean: 127.5, inputStd: 127.5, outputLayer: 'final_result' })).not.toThrow();
  });
});

describe('labels and top-k', () => {
  it('reads labels.txt (blank lines dropped) and JSON arrays', async () => {
    const dir = await tempDir('labels');
    await writeFile(path.join(dir, 'labels.txt'), 'daisy\r\nroses\n\ntulips\n');
    await writeFile(path.join(dir, 'labels.json'), '["kit fox", "English setter"]');
    expect(await readLabels(path.join(dir, 'labels.txt'))).toEqual(['daisy', 'roses', 'tulips']);
    expect(await readLabels(path.join(dir, 'labels.json'))).toEqual(['kit fox', 'English setter']);
    await expect(readLabels(path.join(dir, 'missing.txt'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('orders top-k by probability', () => {
    expect(topK([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2)).toEqual([{ label: 'b', probability: 0.6 }, { label: 'c', probability: 0.3 }]);
  });
});
