/**
 * What a parity check found, stored beside the converted `.onnx` file and keyed by the
 * model's files (fingerprint.ts), so a later run over the same model files loads the checked
 * ONNX model without loading TF.js or converting again — or goes straight to TF.js when the
 * conversion or the check failed.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomic } from '../tf/file-io.js';
import type { ParityReport } from './parity.js';

/** Bump when the record's fields change meaning. */
const RECORD_VERSION = 1;

export type ParityRecord = {
  version: number;
  modelId: string;
  /** modelFingerprint() of the model's folder when checked. */
  modelFiles: string;
  bottleneckNode: string;
  converter: string;
  opset: number;
  /** The converted model's fingerprint (layers: plan + weights; graph: the files + node). */
  converted: string;
  /** The `.onnx` file (in the same folder) and the SHA-256 of its bytes. */
  onnxFile?: string;
  onnxSha256?: string;
  /** The `.onnx` file's size, mtime and inode when recorded: while they hold, its bytes are not hashed again. */
  onnxIdentity?: string;
  parity: ParityReport;
  /** Why ONNX Runtime is not used (unsupported node, parity numbers); absent when it is. */
  reason?: string;
  /** The extractor's input shape and feature size, so no TF.js model is needed to know them. */
  inputShape: (number | null)[];
  featureSize: number;
  checkedAt: string;
};

/** What identifies a record: the model's files, its bottleneck, the converter and opset. */
export type RecordKey = { modelId: string; modelFiles: string; bottleneckNode: string; converter: string; opset: number };

export function recordKey(key: RecordKey): string {
  return createHash('sha256').update(JSON.stringify([key.modelFiles, key.bottleneckNode, key.converter, key.opset])).digest('hex').slice(0, 24);
}

function recordFile(cacheDir: string, key: RecordKey): string {
  const safeId = key.modelId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'model';
  return path.join(cacheDir, `${safeId}-${recordKey(key)}.parity.json`);
}

/** A file's identity (size, mtime, inode); null when it cannot be read. */
export async function fileIdentity(file: string): Promise<string | null> {
  const info = await stat(file).catch(() => null);
  return info ? `${info.size}|${info.mtimeMs}|${info.ino}` : null;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The record for `key`, or undefined when there is none or it does not match (another version, damaged). */
export async function readParityRecord(cacheDir: string, key: RecordKey): Promise<ParityRecord | undefined> {
  const text = await readFile(recordFile(cacheDir, key), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as ParityRecord;
    const matches =
      r.version === RECORD_VERSION &&
      r.modelFiles === key.modelFiles &&
      r.bottleneckNode === key.bottleneckNode &&
      r.converter === key.converter &&
      r.opset === key.opset &&
      typeof r.parity?.ok === 'boolean';
    return matches ? r : undefined;
  } catch {
    return undefined;
  }
}

export async function writeParityRecord(cacheDir: string, record: Omit<ParityRecord, 'version' | 'checkedAt'>): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const full: ParityRecord = { version: RECORD_VERSION, ...record, checkedAt: new Date().toISOString() };
  await writeAtomic(recordFile(cacheDir, record), JSON.stringify(full, null, 2));
}
