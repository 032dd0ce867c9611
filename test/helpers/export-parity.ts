import { expect } from 'vitest';
import type { Classification } from '../../src-main/api/contract.js';
import type { Service } from '../../src-main/api/service.js';
import { classifyImage, loadExportedClassifier } from '../../src-main/core/classify/index.js';

/**
 * Loads an export fresh from disk and labels each image with it and with the app (the run);
 * asserts the same top-k labels and probabilities within 1e-5. Returns the app's results.
 */
export async function expectExportMatchesApp(service: Service, runId: string, exportDir: string, images: string[], topK = 3): Promise<Classification[]> {
  const fresh = await loadExportedClassifier(exportDir);
  const results: Classification[] = [];
  let maxDiff = 0;
  try {
    for (const image of images) {
      const inApp = await service.classify({ runId, image: { path: image }, topK });
      const fromExport = await classifyImage(fresh, image, topK);
      expect(fromExport.predictions.map((p) => p.label)).toEqual(inApp.predictions.map((p) => p.label));
      inApp.predictions.forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p.probability - fromExport.predictions[i].probability))));
      results.push(inApp);
    }
  } finally {
    fresh.dispose();
  }
  expect(maxDiff).toBeLessThan(1e-5);
  return results;
}
