/**
 * Serving the built renderer (`dist/renderer`): traversal-safe path resolution and content
 * types. No directory listings; dotfiles are never served.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { assetContentType, resolveStaticPath } from '../api/static-assets.js';

export { CONTENT_TYPES, resolveStaticPath } from '../api/static-assets.js';

/**
 * Resolves a request to a regular file inside `rootDir`, following symlinks only when the
 * target stays inside the root. Null when nothing may be served.
 */
export async function findStaticFile(rootDir: string, rawPathname: string): Promise<{ file: string; size: number; contentType: string } | null> {
  const candidate = resolveStaticPath(rootDir, rawPathname);
  if (!candidate) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(rootDir), realpath(candidate)]);
    if (!realFile.startsWith(realRoot + path.sep)) return null;
    const info = await stat(realFile);
    if (!info.isFile()) return null;
    const contentType = assetContentType(realFile);
    return { file: realFile, size: info.size, contentType };
  } catch {
    return null;
  }
}
