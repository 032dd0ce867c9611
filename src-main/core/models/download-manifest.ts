/**
 * `retrain-studio.json` in a downloaded catalog model's folder: what was downloaded (files,
 * sizes, hashes) and what was verified (input, output, bottleneck). A folder without a
 * valid one is not a complete download.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../files/index.js';
import type { CatalogEntry, ModelInfo } from './types.js';

export const MANIFEST_FILE = 'retrain-studio.json';

/** What `retrain-studio.json` records. */
export type DownloadManifest = {
  version: 1;
  id: string;
  sourceUrl: string;
  downloadedAt: string;
  format: 'layers' | 'graph';
  totalBytes: number;
  files: Array<{ path: string; bytes: number; sha256: string }>;
  inputName: string;
  inputShape: (number | null)[];
  outputNode: string;
  bottleneckNode: string;
  featureSize: number;
  outputIsProbabilities: boolean;
};

/** The manifest of the model folder `dir`, or null when there is none (or not version 1). */
export async function readDownloadManifest(dir: string): Promise<DownloadManifest | null> {
  try {
    const parsed = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as DownloadManifest;
    return parsed.version === 1 ? parsed : null;
  } catch {
    return null;
  }
}

/** Writes the manifest atomically (a reader sees the old or the new one). */
export async function writeDownloadManifest(dir: string, manifest: DownloadManifest): Promise<void> {
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The ModelInfo of a downloaded catalog model in `dir`. */
export function catalogInfo(entry: CatalogEntry, manifest: DownloadManifest, dir: string): ModelInfo {
  return {
    id: entry.id,
    name: entry.name,
    origin: 'catalog',
    format: manifest.format,
    dir,
    spec: entry.spec,
    inputName: manifest.inputName,
    inputShape: manifest.inputShape,
    bottleneckNode: manifest.bottleneckNode,
    featureSize: manifest.featureSize,
    outputNode: manifest.outputNode,
    outputIsProbabilities: manifest.outputIsProbabilities,
  };
}
