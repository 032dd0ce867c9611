import { beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hasShared, sharedPath, useWasm } from '../helpers/tf.js';
import { makeColourDataset, makeTinyBackbone, tempDir } from '../helpers/fixtures.js';
import { run } from '../../src-main/cli/index.js';
import type { Output } from '../../src-main/cli/output.js';

/** An Output that records what the CLI printed. */
function capture(): Output & { text: () => string; errors: () => string } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    line: (t) => lines.push(t),
    lines: (t) => lines.push(t),
    error: (t) => errors.push(t),
    progress: () => {},
    endProgress: () => {},
    closed: false,
    onClosed: () => () => {},
    flush: async () => {},
    text: () => lines.join('\n'),
    errors: () => errors.join('\n'),
  };
}

describe('retrain-studio CLI', () => {
  let base: string;
  let dataset: string;
  let model: string;
  let exportDir: string;
  /** The one `retrain` run the label tests classify with; whichever test needs it first starts it. */
  let retrained: Promise<{ code: number; out: ReturnType<typeof capture> }> | undefined;
  const retrain = () =>
    (retrained ??= (async () => {
      const out = capture();
      const code = await run(
        ['retrain', '--image_dir', dataset, '--model_dir', model, '--input_range=-1,1', '--how_many_training_steps', '60', '--eval_step_interval', '20', '--learning_rate', '0.5',
          '--testing_percentage', '20', '--data_dir', path.join(base, 'data'), '--summaries_dir', path.join(base, 'runs'), '--bottleneck_dir', path.join(base, 'cache'),
          '--output_graph', exportDir, '--output_labels', path.join(base, 'labels.txt'), '--print_misclassified_test_images'],
        { out },
      );
      return { code, out };
    })());
  /** The exported model's folder, after the retrain run has written it. */
  const trainedExport = async (): Promise<string> => {
    const { code, out } = await retrain();
    expect(code, out.errors()).toBe(0);
    return exportDir;
  };

  beforeAll(async () => {
    await useWasm();
    base = await tempDir('cli');
    dataset = await makeColourDataset(path.join(base, 'photos'), 10);
    model = await makeTinyBackbone(path.join(base, 'model'));
    exportDir = path.join(base, 'export');
  });

  it('retrain accepts retrain.py flags, trains, exports and prints the label command', async () => {
    const { code, out } = await retrain();
    expect(out.errors()).toBe('');
    expect(code).toBe(0);
    expect(out.text()).toMatch(/Step 20: Train accuracy = [\d.]+%, Cross entropy = [\d.]+, Validation accuracy = [\d.]+%/);
    expect(out.text()).toMatch(/Final test accuracy = [\d.]+% \(N=\d+\)/);
    expect(out.text()).toContain('=== MISCLASSIFIED TEST IMAGES ===');
    expect(out.text()).toContain(`retrain-studio label --graph=${exportDir}`);
    expect((await readFile(path.join(base, 'labels.txt'), 'utf8')).split('\n')).toEqual(['blue', 'green', 'red', '']);

    const cache = capture();
    expect(await run(['cache', '--bottleneck_dir', path.join(base, 'cache'), '--data_dir', path.join(base, 'data')], { out: cache })).toBe(0);
    expect(cache.text()).toMatch(/30 entries/);
  });

  it('label classifies with the export and its own metadata', async () => {
    const out = capture();
    const code = await run(['label', '--graph', await trainedExport(), '--image', path.join(dataset, 'green', 'green_2.jpg'), '--json'], { out });
    expect(code).toBe(0);
    const result = JSON.parse(out.text());
    expect(result.predictions[0].label).toBe('green');
    expect(result.predictions.reduce((s: number, p: { probability: number }) => s + p.probability, 0)).toBeCloseTo(1, 4);
  });

  it.each([
    [['--input_height', '299'], /--input_height=299 but the model takes 16×16 images.*--input_height=16/],
    [['--input_layer', 'Mul'], /no input layer "Mul": the input is "input_image".*--input_layer=input_image/],
    [['--output_layer', 'softmax'], /the output is "final_result"/],
    [['--input_mean', '0', '--input_std', '255'], /--input_mean=0 but the model was trained with 127.5/],
  ])('label fails with the right values when flags contradict the model: %j', async (flags, message) => {
    const out = capture();
    const code = await run(['label', '--graph', await trainedExport(), '--image', path.join(dataset, 'red', 'red_0.jpg'), ...flags], { out });
    expect(code).toBe(2);
    expect(out.errors()).toMatch(message);
  });

  it('reports usage errors with exit code 2 and data errors with 3', async () => {
    const missing = capture();
    expect(await run(['retrain', '--how_many_training_steps', '10'], { out: missing })).toBe(2);
    expect(missing.errors()).toContain('--image_dir is required');
    const bad = capture();
    expect(await run(['retrain', '--image_dir', dataset, '--learning_rate', 'fast'], { out: bad })).toBe(2);
    expect(bad.errors()).toContain('--learning_rate must be a number');
    expect(await run(['frobnicate'], { out: capture() })).toBe(2);
    const image = capture();
    expect(await run(['label', '--graph', await trainedExport(), '--image', path.join(base, 'nope.jpg')], { out: image })).toBe(3);
    expect(image.errors()).toMatch(/nope\.jpg/);
  });

  it.each([
    [['retrain', '--image_dir', '.', '--how_many_training_steps', '1.5'], /^Error \(INVALID_ARGUMENT\): --how_many_training_steps=1\.5: .*expected int/],
    [['retrain', '--image_dir', '.', '--optimizer', 'rmsprop'], /--optimizer=rmsprop: .*expected one of "sgd"\|"adam"/],
    [['retrain', '--image_dir', '.', '--validation_percentage', '95'], /--validation_percentage=95: .*Too big/],
    [['retrain', '--image_dir', '.', '--input_range', '1'], /--input_range must be MIN,MAX/],
    [['retrain', '--image_dir', '.', '--name', 'x'.repeat(300)], /--name=x+: startTraining: name is too large/],
    [['runs', '--engine', 'tensorrt'], /--engine=tensorrt: .*expected one of "auto"\|"tfjs"\|"onnx"/],
    [['label', '--graph', '.', '--image', 'x.jpg', '--backend', 'gpu'], /--backend=gpu: updateSettings: invalid backend/],
  ])('a flag value the validator refuses exits 2 with its message: %j', async (args, message) => {
    const out = capture();
    expect(await run(args[0] === 'label' ? args : [...args, '--data_dir', path.join(base, 'data')], { out })).toBe(2);
    expect(out.errors()).toMatch(message);
  });

  it('serve runs the server the executable passes in, with the flags mapped to its options', async () => {
    const calls: unknown[] = [];
    const out = capture();
    const serve = async (options: { print: (line: string) => void }) => {
      calls.push(options);
      options.print('serving');
    };
    expect(await run(['serve', '--host', '0.0.0.0', '--port', '9000', '--token-file', 'token.txt', '--data_dir', 'rel'], { out, serve })).toBe(0);
    expect(calls).toEqual([{ host: '0.0.0.0', port: 9000, tokenFile: path.resolve('token.txt'), dataDir: path.resolve('rel'), print: expect.any(Function) }]);
    expect(out.text()).toBe('serving');
    // A token on the command line is visible to every user (ps): refused, pointing at the env var and the file.
    const visible = capture();
    expect(await run(['serve', '--token', 'a-long-enough-token'], { out: visible, serve })).toBe(2);
    expect(visible.errors()).toMatch(/RETRAIN_STUDIO_TOKEN.*--token-file/);
    expect(calls).toHaveLength(1);
    // Without a server (an embedder calling run), serve says why instead of importing one.
    const alone = capture();
    expect(await run(['serve'], { out: alone })).toBe(2);
    expect(alone.errors()).toMatch(/serve is not available here/);
  });
});

describe.skipIf(!hasShared)('label with the real Darknet classifier (label_image.py flags)', () => {
  it('puts the expected ImageNet label in the top 5 for at least 17 of the 19 known photos', async () => {
    await useWasm();
    const dir = sharedPath('images', 'imagenet_known');
    const tags = (await readFile(path.join(dir, 'tags.tsv'), 'utf8')).trim().split('\n').map((l) => l.split('\t'));
    let hits = 0;
    const misses: string[] = [];
    for (const [file, expected] of tags) {
      const out = capture();
      const code = await run(
        ['label', '--graph', sharedPath('models', 'darknet_tiny_imagenet'), '--labels', sharedPath('models', 'darknet_tiny_imagenet', 'labels_darknet_order.json'),
          '--input_mean', '0', '--input_std', '255', '--image', path.join(dir, file), '--json'],
        { out },
      );
      expect(code, out.errors()).toBe(0);
      const labels = (JSON.parse(out.text()).predictions as { label: string }[]).map((p) => p.label.toLowerCase());
      if (labels.some((l) => l.includes(expected.toLowerCase()))) hits++;
      else misses.push(`${file}: ${labels.join(', ')}`);
    }
    console.info(`darknet: ${hits}/${tags.length} in top 5${misses.length ? `; misses: ${misses.join(' | ')}` : ''}`);
    expect(tags).toHaveLength(19);
    expect(hits).toBeGreaterThanOrEqual(17);
  });

  it('rejects a size that contradicts the model and names the right one', async () => {
    const out = capture();
    const code = await run(['label', '--graph', sharedPath('models', 'darknet_tiny_imagenet'), '--labels', sharedPath('models', 'darknet_tiny_imagenet', 'labels_darknet_order.json'),
      '--input_height', '299', '--input_width', '299', '--image', sharedPath('images', 'imagenet_known', 'pizza.jpg')], { out });
    expect(code).toBe(2);
    expect(out.errors()).toContain('--input_height=224 --input_width=224');
  });
});
