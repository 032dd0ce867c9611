/**
 * A fingerprint of a model's files: sha256 over model.json (topology + manifest) and every
 * weight shard it names, streamed. Part of the bottleneck cache key, so a model whose files
 * change in place (same id, new weights) never reuses features computed with the old ones.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { openConfined, readConfined } from '../access/index.js';

/** Fingerprint of a folder without a readable model.json (e.g. a model built in memory). */
export const NO_FILES_FINGERPRINT = 'no-files';

// Re-hashing a 90 MB Inception for every run is wasted work: remember by the files' identity.
const remembered = new Map<string, string>();

/** model.json's shard paths by its identity (see `identity`). */
const shardLists = new Map<string, string[]>();

/** The weight shard paths a model.json names; none when it is not JSON (loading reports that). */
function shardsOf(manifest: Buffer): string[] {
  try {
    const json = JSON.parse(manifest.toString('utf8')) as { weightsManifest?: Array<{ paths?: unknown }> };
    return (json.weightsManifest ?? []).flatMap((group) => (Array.isArray(group.paths) ? group.paths.filter((p): p is string => typeof p === 'string') : []));
  } catch {
    return [];
  }
}

async function identity(file: string): Promise<string> {
  const info = await stat(file);
  return `${file}|${info.size}|${info.mtimeMs}|${info.ino}`;
}

/**
 * The fingerprint (hex, 16 characters) of the TF.js model in `dir`. Shards are read only
 * inside `dir` (see core/access); a missing or unreadable model.json gives
 * `NO_FILES_FINGERPRINT`, and a missing shard is hashed as its name, so loading (not this)
 * reports it.
 */
export async function modelFingerprint(dir: string): Promise<string> {
  const readManifest = async (): Promise<Buffer | null> =>
    readConfined('model.json', { root: dir, maxBytes: 64 * 1024 * 1024 }).then(
      (read) => read.bytes,
      () => null,
    );
  // The shard list by model.json's identity: a repeat call (every prediction asks) stats files, reads none.
  const manifestId = await identity(path.join(dir, 'model.json')).catch(() => null);
  let manifest: Buffer | null = null;
  let shards = manifestId === null ? undefined : shardLists.get(manifestId);
  if (!shards) {
    manifest = await readManifest();
    if (!manifest) return NO_FILES_FINGERPRINT;
    shards = shardsOf(manifest);
    if (manifestId !== null) {
      if (shardLists.size > 256) shardLists.clear();
      shardLists.set(manifestId, shards);
    }
  }
  const files = await Promise.all(shards.map((shard) => identity(path.resolve(dir, shard)).catch(() => `missing|${shard}`)));
  const key = `${manifestId}\n${files.join('\n')}`;
  const known = remembered.get(key);
  if (known) return known;

  manifest ??= await readManifest();
  if (!manifest) return NO_FILES_FINGERPRINT;
  const hash = createHash('sha256').update(manifest);
  for (const shard of shards) {
    hash.update(`\0${shard}\0`);
    const opened = await openConfined(shard, { root: dir }).catch(() => null);
    if (!opened) continue;
    try {
      for await (const chunk of opened.handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    } finally {
      await opened.handle.close();
    }
  }
  const fingerprint = hash.digest('hex').slice(0, 16);
  if (remembered.size > 256) remembered.clear();
  remembered.set(key, fingerprint);
  return fingerprint;
}
