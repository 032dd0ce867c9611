import { describe, expect, it } from 'vitest';
import { CATALOG, findCatalogEntry } from '../../../src-main/core/models/index.js';

const WIDTHS = ['1.0', '0.75', '0.50', '0.25'];
const SIZES = [224, 192, 160, 128];

describe('CATALOG', () => {
  it("has retrain.py's 16 MobileNet v1 float variants as layers models", () => {
    const v1 = CATALOG.filter((e) => e.family === 'mobilenet_v1');
    expect(v1).toHaveLength(16);
    expect(v1.map((e) => e.id).sort()).toEqual(WIDTHS.flatMap((w) => SIZES.map((s) => `mobilenet_${w}_${s}`)).sort());
    for (const entry of v1) {
      const [, width, size] = entry.id.split('_');
      expect(entry.url).toBe(`https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${width}_${size}/model.json`);
      expect(entry.format).toBe('layers');
      expect(entry.fromTfHub).toBe(false);
      expect(entry.spec).toEqual({ heightPx: Number(size), widthPx: Number(size), crop: 'center', normalization: { kind: 'range', min: -1, max: 1 } });
      expect(entry.bottleneckNode).toBe('conv_pw_13_relu');
      expect(entry.featureSize).toBe(Math.round(1024 * Number(width)));
    }
    expect(findCatalogEntry('mobilenet_0.50_224')?.featureSize).toBe(512);
    // Download size follows the parameter count (width), not the input size.
    expect(findCatalogEntry('mobilenet_1.0_224')!.approxDownloadBytes).toBeGreaterThan(findCatalogEntry('mobilenet_0.25_224')!.approxDownloadBytes * 5);
    expect(findCatalogEntry('mobilenet_0.75_128')!.approxDownloadBytes).toBe(findCatalogEntry('mobilenet_0.75_224')!.approxDownloadBytes);
  });

  it('has Inception v3 at 299 × 299 in [0, 1] from TF Hub, plus MobileNet v2 and v3', () => {
    const inception = findCatalogEntry('inception_v3')!;
    expect(inception).toMatchObject({ family: 'inception_v3', format: 'graph', fromTfHub: true, featureSize: 2048 });
    expect(inception.url).toBe('https://tfhub.dev/google/tfjs-model/imagenet/inception_v3/feature_vector/3/default/1/model.json');
    expect(inception.spec).toEqual({ heightPx: 299, widthPx: 299, crop: 'center', normalization: { kind: 'range', min: 0, max: 1 } });
    expect(inception.approxDownloadBytes).toBeGreaterThan(80e6);

    const v2 = CATALOG.filter((e) => e.family === 'mobilenet_v2');
    expect(v2.map((e) => e.id)).toEqual(['mobilenet_v2_1.00_224', 'mobilenet_v2_0.75_224', 'mobilenet_v2_0.50_224']);
    for (const entry of v2) {
      expect(entry.bottleneckNode).toBe('module_apply_default/MobilenetV2/Logits/AvgPool');
      expect(entry.spec.normalization).toEqual({ kind: 'range', min: 0, max: 1 });
      expect(entry.url).toMatch(/^https:\/\/tfhub\.dev\/google\/imagenet\/mobilenet_v2_(100|075|050)_224\/classification\/2\/model\.json$/);
    }
    const v3 = CATALOG.filter((e) => e.family === 'mobilenet_v3');
    expect(v3.map((e) => [e.id, e.featureSize])).toEqual([
      ['mobilenet_v3_large_1.00_224', 1280],
      ['mobilenet_v3_small_1.00_224', 1024],
    ]);
    expect(v3.every((e) => e.bottleneckIsOutput && e.fromTfHub)).toBe(true);
  });

  it('has unique ids, https URLs, a source and sane numbers on every row', () => {
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
    for (const entry of CATALOG) {
      expect(new URL(entry.url).protocol, entry.id).toBe('https:');
      expect(entry.url.endsWith('/model.json'), entry.id).toBe(true);
      expect(entry.source.length, entry.id).toBeGreaterThan(20);
      expect(entry.spec.crop).toBe('center');
      expect(entry.spec.heightPx).toBe(entry.spec.widthPx);
      expect(entry.featureSize).toBeGreaterThan(0);
      expect(entry.approxDownloadBytes).toBeGreaterThan(1e6);
      expect(entry.name.length).toBeGreaterThan(0);
      expect(entry.inputName.length).toBeGreaterThan(0);
      expect(entry.bottleneckNode.length).toBeGreaterThan(0);
    }
    expect(Object.isFrozen(CATALOG)).toBe(true);
    expect(findCatalogEntry('no-such-model')).toBeUndefined();
  });
});
