/**
 * The registry of imported models, `imports.json` in the models folder: records pointing at
 * the user's own folders as `imported:<slug>`. Shared by every process on one data folder
 * (the app, `serve`, CLI runs), so each change is a locked read-modify-write.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';
import { updateJsonFile } from '../files/index.js';
import type { ModelInfo } from './types.js';

export const IMPORTS_FILE = 'imports.json';
export const IMPORT_PREFIX = 'imported:';

type ImportsFile = { version: 1; models: ModelInfo[] };

function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'model';
}

const normalized = (value: Partial<ImportsFile> | undefined): ImportsFile => ({ version: 1, models: Array.isArray(value?.models) ? value.models : [] });

/** The imports registry of the models folder `root`. */
export type ImportsRegistry = {
  /** Every record (an unreadable file reads as none). */
  list(): Promise<ModelInfo[]>;
  /**
   * Adds or replaces the record of the folder `base.dir`: the same folder keeps its id; a new
   * one gets `imported:<slug of name>`, numbered when taken.
   */
  put(base: Omit<ModelInfo, 'id'>): Promise<ModelInfo>;
  /** Replaces the record `id` with `change(record)`. @throws MODEL_NOT_FOUND */
  update(id: string, change: (record: ModelInfo) => ModelInfo): Promise<ModelInfo>;
  /** Forgets `id` (the user's folder is kept). @throws MODEL_NOT_FOUND */
  remove(id: string): Promise<void>;
  /** A usable record. @throws MODEL_NOT_FOUND when unknown or its folder no longer holds a model.json */
  resolve(id: string): Promise<ModelInfo>;
};

export function createImportsRegistry(root: string): ImportsRegistry {
  const file = path.join(root, IMPORTS_FILE);
  const notFound = (id: string): CoreError => new CoreError('MODEL_NOT_FOUND', `No imported model "${id}". Import the folder again.`, { id });

  async function list(): Promise<ModelInfo[]> {
    try {
      return normalized(JSON.parse(await readFile(file, 'utf8')) as ImportsFile).models;
    } catch {
      return [];
    }
  }

  /** Locked read-modify-write: an in-process queue alone lost imports made by another process. */
  async function change<T>(fn: (registry: ImportsFile) => T): Promise<T> {
    let result!: T;
    await updateJsonFile<ImportsFile>(file, (current) => {
      const registry = normalized(current);
      result = fn(registry);
      return registry;
    });
    return result;
  }

  return {
    list,
    put: (base) =>
      change((registry) => {
        let id = registry.models.find((m) => m.dir === base.dir)?.id;
        if (!id) {
          const slug = slugify(base.name);
          id = `${IMPORT_PREFIX}${slug}`;
          for (let n = 2; registry.models.some((m) => m.id === id); n++) id = `${IMPORT_PREFIX}${slug}-${n}`;
        }
        const info: ModelInfo = { id, ...base };
        registry.models = [...registry.models.filter((m) => m.id !== id), info];
        return info;
      }),
    update: (id, fn) =>
      change((registry) => {
        const record = registry.models.find((m) => m.id === id);
        if (!record) throw notFound(id);
        const info = fn(record);
        registry.models = registry.models.map((m) => (m.id === id ? info : m));
        return info;
      }),
    remove: (id) =>
      change((registry) => {
        if (!registry.models.some((m) => m.id === id)) throw new CoreError('MODEL_NOT_FOUND', `No imported model "${id}".`, { id });
        registry.models = registry.models.filter((m) => m.id !== id);
      }),
    async resolve(id) {
      const record = (await list()).find((m) => m.id === id);
      if (!record) throw notFound(id);
      const present = await stat(path.join(record.dir, 'model.json')).then(() => true, () => false);
      if (!present) {
        throw new CoreError(
          'MODEL_NOT_FOUND',
          `Imported model "${id}" was in ${record.dir}, which no longer holds a model.json (moved or deleted). Import it again from its new place, or remove it.`,
          { id, dir: record.dir },
        );
      }
      return record;
    },
  };
}
