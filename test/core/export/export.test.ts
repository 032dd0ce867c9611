import { describe, expect, it } from 'vitest';
import { labelCommand, meanStdOf, tfjsSnippet, type ExportMetadata } from '../../../src-main/core/export/index.js';

describe('export metadata helpers', () => {
  it.each([
    [{ kind: 'range', min: -1, max: 1 }, 127.5, 127.5],
    [{ kind: 'range', min: 0, max: 1 }, 0, 255],
    [{ kind: 'range', min: 0, max: 255 }, 0, 1],
    [{ kind: 'meanStd', mean: 128, std: 128 }, 128, 128],
  ] as const)('label_image.py mean/std of %j is %d / %d', (normalization, mean, std) => {
    expect(meanStdOf({ heightPx: 224, widthPx: 224, crop: 'center', normalization })).toEqual({ mean, std });
  });

  it('writes a copyable label command that quotes paths with spaces', () => {
    const metadata = { inputName: 'input_1', inputShape: [null, 299, 299, 3], inputMean: 0, inputStd: 255, outputName: 'final_result' } as ExportMetadata;
    expect(labelCommand('/home/me/My Models/flowers', metadata, 'rose.jpg')).toBe(
      "retrain-studio label --graph='/home/me/My Models/flowers' --labels='/home/me/My Models/flowers/labels.txt' --input_layer=input_1 --input_height=299 --input_width=299 --input_mean=0 --input_std=255 --output_layer=final_result --image=rose.jpg",
    );
  });

  it('writes a TF.js snippet with the right size and normalisation', () => {
    const metadata = { inputName: 'input_1', inputShape: [null, 224, 224, 3], inputMean: 127.5, inputStd: 127.5, outputName: 'final_result', classes: ['a', 'b'], normalizationText: '[-1, 1]', crop: 'center' } as ExportMetadata;
    const snippet = tfjsSnippet(metadata);
    expect(snippet).toContain('[224, 224]');
    expect(snippet).toContain('.sub(127.5).div(127.5)');
    expect(snippet).toContain("tf.loadLayersModel('model.json')");
  });
});
