import { describe, expect, it } from 'vitest';
import { exportSnippets, labelCommand, meanStdOf, tfjsSnippet, type ExportMetadata } from '../../../src-main/core/export/index.js';

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

  const base = {
    inputName: 'input_1',
    inputShape: [null, 224, 224, 3],
    normalization: { kind: 'range', min: -1, max: 1 },
    normalizationText: '[-1, 1] (pixel / 127.5 - 1)',
    crop: 'center',
    outputName: 'final_result',
    classes: ['daisy', "o'clock"],
  } as ExportMetadata;

  it('writes snippets that centre-crop as the app does, with the right size and normalisation', () => {
    const { browser, node, python } = exportSnippets(base, { onnxFile: 'model.onnx' });
    expect(tfjsSnippet(base)).toBe(browser);
    expect(browser).toContain("tf.loadLayersModel('model.json')");
    // sharp's 'cover': scale to cover, then the centre; never resizeBilinear of the whole image.
    expect(browser).toContain('const s = Math.max(224 / w, 224 / h)');
    expect(browser).not.toContain('resizeBilinear(');
    expect(browser).toContain("ctx.fillStyle = 'white'");
    expect(browser).toContain('.toFloat().sub(127.5).div(127.5).expandDims(0)');
    expect(browser).toContain(`const labels = ["daisy","o'clock"];`);
    expect(node).toContain(".rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha()");
    expect(node).toContain(".resize(224, 224, { fit: 'cover' })");
    expect(node).toContain("'float32').sub(127.5).div(127.5)");
    expect(python).toContain("ort.InferenceSession('model.onnx')");
    expect(python).toContain('ImageOps.exif_transpose');
    expect(python).toContain('.crop((left, top, left + 224, top + 224))');
    expect(python).toContain('x = (np.asarray(image, np.float32) - 127.5) / 127.5');
  });

  it('squashes for squash models and leaves out steps that change nothing', () => {
    const squash = { ...base, inputShape: [null, 299, 320, 3], crop: 'squash', normalization: { kind: 'range', min: 0, max: 1 }, normalizationText: '[0, 1] (pixel / 255)' } as ExportMetadata;
    const { browser, node, python } = exportSnippets(squash, { onnxFile: 'model.onnx' });
    expect(browser).toContain('ctx.drawImage(img, 0, 0, 320, 299);');
    expect(browser).not.toContain('Math.max');
    expect(browser).toContain('.toFloat().div(255).expandDims(0)');
    expect(node).toContain(".resize(320, 299, { fit: 'fill' })");
    expect(node).toContain("[1, 299, 320, 3], 'float32').div(255)");
    expect(python).toContain('image = image.resize((320, 299), Image.LANCZOS)');
    expect(python).toContain('x = np.asarray(image, np.float32) / 255');
    expect(exportSnippets({ ...squash, normalization: { kind: 'range', min: 0, max: 255 } }).node).toContain("'float32'));");
  });

  it('normalises per channel when the channels differ', () => {
    const perChannel = { ...base, normalization: { kind: 'meanStd', mean: [123.68, 116.78, 103.94], std: [58.4, 57.12, 57.38] } } as ExportMetadata;
    const { browser, python } = exportSnippets(perChannel, { onnxFile: 'model.onnx' });
    expect(browser).toContain('.sub([123.68, 116.78, 103.94]).div([58.4, 57.12, 57.38])');
    expect(python).toContain('(np.asarray(image, np.float32) - np.array([123.68, 116.78, 103.94], np.float32)) / np.array([58.4, 57.12, 57.38], np.float32)');
  });

  it('offers Python only with an ONNX file, and runs a graph backbone into its head', () => {
    const graph = { ...base, graphBackbone: { dir: 'backbone', node: 'net/conv/Relu', head: 'head' } } as ExportMetadata;
    const snippets = exportSnippets(graph);
    expect(snippets.python).toBeUndefined();
    expect(snippets.browser).toContain("tf.loadGraphModel('backbone/model.json')");
    expect(snippets.browser).toContain("backbone.execute(x, 'net/conv/Relu')");
    expect(snippets.node).toContain("tf.loadGraphModel(await files('backbone/model.json'))");
    expect(snippets.node).toContain("tf.loadLayersModel(await files('head/model.json'))");
  });
});
