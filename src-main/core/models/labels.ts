/** The one reader of class labels files (model imports, exported classifiers, `label` runs). */
import { readConfined } from '../access/index.js';
import { CoreError } from '../errors.js';

/** Largest labels file read (a million labels of 16 characters). */
const LABELS_MAX_BYTES = 16 * 1024 * 1024;

/** Options for readLabels. */
export type ReadLabelsOptions = {
  /** The folder the file must be inside (a labels file elsewhere is refused unread); omit for a path the user gave directly. */
  root?: string;
};

/**
 * Reads labels: one per line (trimmed; blank lines are not labels and are dropped), or a JSON
 * array of strings (or `{"labels": [...]}`).
 * Only regular files are read, size-capped; errors name the file, never its contents.
 * @throws CoreError NOT_FOUND (unreadable), PATH_NOT_ALLOWED / TOO_LARGE (from the access
 *   check), MODEL_INVALID (bad JSON)
 */
export async function readLabels(file: string, options: ReadLabelsOptions = {}): Promise<string[]> {
  const { root } = options;
  let text: string;
  try {
    text = (await readConfined(file, { root, maxBytes: LABELS_MAX_BYTES, label: `Labels file ${file}` })).bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CoreError && error.code !== 'NOT_FOUND') {
      throw new CoreError(error.code, root ? `${error.message} Put the labels file in the model's folder (${root}).` : error.message);
    }
    throw new CoreError('NOT_FOUND', `Labels file ${file} cannot be read. Give a text file with one label per line, or a JSON array.`);
  }
  const trimmed = text.trim();
  if (file.toLowerCase().endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // V8's message quotes the text: never echo a file's contents.
      throw new CoreError('MODEL_INVALID', `Labels file ${file} is not valid JSON. Give a JSON array of strings, or one label per line.`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown })?.labels;
    if (!Array.isArray(list) || !list.every((l) => typeof l === 'string')) {
      throw new CoreError('MODEL_INVALID', `Labels file ${file} must be a JSON array of strings (or {"labels": [...]}).`);
    }
    return list as string[];
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
}
