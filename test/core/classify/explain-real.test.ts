/**
 * Occlusion heat maps on real photos (../shared's known-object photos, Darknet tiny ImageNet
 * classifier; skipped with a note when absent). The property that makes a heat map worth
 * showing: greying out the photo where the map is hottest lowers the predicted class's
 * probability more than greying out where it is coldest. The occlusion here is drawn on the
 * original photo (through the map's `region`), re-encoded and classified from scratch, so it
 * also checks that the map lies on the photo where the model saw it (centre crop included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { hasShared, sharedPath, useWasm } from '../../helpers/tf.js';
import { classifyImage, type ImageClassifier } from '../../../src-main/core/classify/index.js';
import { loadLabelClassifier } from '../../../src-main/core/classify/label.js';
import { occlusionHeatMap, type HeatMap } from '../../../src-main/core/classify/explain.js';

const hasDarknet = hasShared && (await import('node:fs')).existsSync(sharedPath('models', 'darknet_tiny_imagenet', 'model.json'));
if (!hasDarknet) console.warn('explain-real.test: ../shared\'s Darknet classifier is absent — heat-map checks on real photos skipped.');

/** Four photos per fit (each heat map is 50 forward passes); the centre-crop ones are not square, two of them portrait. */
const PHOTOS = { squash: ['bird.jpg', 'broccoli.jpg', 'kitten.jpg', 'teddy1.jpg'], center: ['canoe4.jpg', 'pizza.jpg', 'teddy6.jpg', 'toaster.jpg'] };

/** The photo with a grey square (a quarter of the map region's side) centred on heat-map cell `cell`, as PNG bytes. */
async function occludeCell(file: string, map: HeatMap, cell: number): Promise<Uint8Array> {
  const image = sharp(file).rotate();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const row = Math.floor(cell / map.cols);
  const col = cell % map.cols;
  const cx = (map.region.x + ((col + 0.5) / map.cols) * map.region.width) * info.width;
  const cy = (map.region.y + ((row + 0.5) / map.rows) * map.region.height) * info.height;
  const half = (Math.min(map.region.width * info.width, map.region.height * info.height) / 4) / 2;
  for (let y = Math.max(0, Math.round(cy - half)); y < Math.min(info.height, Math.round(cy + half)); y++) {
    for (let x = Math.max(0, Math.round(cx - half)); x < Math.min(info.width, Math.round(cx + half)); x++) {
      for (let c = 0; c < 3; c++) data[(y * info.width + x) * info.channels + c] = 128;
    }
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer();
}

async function probabilityOf(classifier: ImageClassifier, image: Uint8Array, label: string): Promise<number> {
  const result = await classifyImage(classifier, image, classifier.labels.length);
  return result.predictions.find((p) => p.label === label)!.probability;
}

describe.skipIf(!hasDarknet)('occlusion heat maps on real photos (Darknet tiny, ImageNet)', () => {
  const classifiers: Record<string, ImageClassifier> = {};
  beforeAll(async () => {
    await useWasm();
    const model = { graph: sharedPath('models', 'darknet_tiny_imagenet'), labels: sharedPath('models', 'darknet_tiny_imagenet', 'labels_darknet_order.json'), inputMean: 0, inputStd: 255 };
    classifiers.squash = await loadLabelClassifier({ ...model, crop: 'squash' });
    classifiers.center = await loadLabelClassifier({ ...model, crop: 'center' });
  });
  afterAll(() => Object.values(classifiers).forEach((c) => c.dispose()));

  it.each(['squash', 'center'] as const)('occluding the hottest cell lowers the top class more than occluding the coldest (%s fit)', async (crop) => {
    const classifier = classifiers[crop];
    const lines: string[] = [];
    for (const name of PHOTOS[crop]) {
      const file = sharedPath('images', 'imagenet_known', name);
      const map = await occlusionHeatMap(classifier, file);
      expect(map.values).toHaveLength(map.rows * map.cols);
      expect(map.evaluations).toBe(7 * 7 + 1);
      const top = (await classifyImage(classifier, file, 1)).predictions[0];
      expect(map.label).toBe(top.label);
      expect(map.probability).toBeCloseTo(top.probability, 5);
      if (crop === 'squash') expect(map.region).toEqual({ x: 0, y: 0, width: 1, height: 1 });
      else expect(Math.min(map.region.width, map.region.height)).toBeLessThan(1);

      const hottest = map.values.indexOf(Math.max(...map.values));
      const coldest = map.values.indexOf(Math.min(...map.values));
      const whole = await probabilityOf(classifier, await occludeCell(file, map, -1), map.label);
      const hot = await probabilityOf(classifier, await occludeCell(file, map, hottest), map.label);
      const cold = await probabilityOf(classifier, await occludeCell(file, map, coldest), map.label);
      lines.push(`${name}: ${map.label} ${whole.toFixed(3)} → hot ${hot.toFixed(3)}, cold ${cold.toFixed(3)} (${map.durationMs.toFixed(0)} ms)`);
      expect(whole - hot, `${name}: hiding the hottest region should cost "${map.label}" more than hiding the coldest`).toBeGreaterThan(whole - cold);
    }
    console.info(`occlusion (${crop}):\n  ${lines.join('\n  ')}`);
  }, 600_000);
});
