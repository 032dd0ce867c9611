/**
 * An export folder as one zip (issue 10, item 8): a browser user of `serve` on another machine
 * downloads the model instead of finding it on the server's disk. fflate, in memory: an export
 * is a model (tens of MiB), and weights are stored uncompressed (float32 barely compresses and
 * deflating it costs seconds), the JSON and text deflated.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { CoreError } from '../errors.js';

/** Largest export zipped (all files together): Inception v3 with ONNX is ≈ 200 MiB. */
export const MAX_ZIP_INPUT_BYTES = 1024 * 1024 * 1024;

/** Names that compress: the rest (weights `.bin`, `.onnx`) is stored as it is. */
const COMPRESSIBLE = /\.(json|txt|md|csv|py|js|ts)$/i;

/** The regular files below `dir` (symlinks are neither followed nor listed), as sorted `/`-separated relative paths. */
export async function listFolderFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * Zips `dir` into one buffer, entries under `<folderName>/` (so unzipping makes one folder).
 * `resolve` turns each file's absolute path into the real one to read, or throws (access).
 * @throws CoreError NOT_FOUND (not a folder, or empty), TOO_LARGE (over `MAX_ZIP_INPUT_BYTES`).
 */
export async function zipFolder(dir: string, folderName: string, resolve: (file: string) => Promise<string> = async (file) => file): Promise<Uint8Array> {
  const info = await lstat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new CoreError('NOT_FOUND', `${dir} is not a folder; export the run first.`);
  const files = await listFolderFiles(dir);
  if (files.length === 0) throw new CoreError('NOT_FOUND', `${dir} is empty; export the run first.`);
  const entries: Zippable = {};
  let total = 0;
  for (const relative of files) {
    const bytes = await readFile(await resolve(path.join(dir, ...relative.split('/'))));
    total += bytes.length;
    if (total > MAX_ZIP_INPUT_BYTES) throw new CoreError('TOO_LARGE', `${dir} holds more than ${MAX_ZIP_INPUT_BYTES / 1048576} MiB; copy it from the server instead.`);
    entries[`${folderName}/${relative}`] = [new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), { level: COMPRESSIBLE.test(relative) ? 6 : 0 }];
  }
  return zipSync(entries, { mtime: new Date('2020-01-01T00:00:00Z') });
}
