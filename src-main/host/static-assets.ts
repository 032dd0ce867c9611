/**
 * The built renderer (`dist/renderer`) as every host serves it — the HTTP server and
 * Electron's app:// protocol: traversal-safe path resolution, content types, and finding
 * the file (symlinks followed only inside the folder; regular files only; no listings).
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../core/access/index.js';

/** Content types of the files a Vite build produces. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Maps the raw path of a request URL (before any normalisation, e.g. `/assets/app.js`) to a
 * path under `rootDir`, or null when it must not be served: undecodable escapes, NUL,
 * backslashes, `.`/`..` segments (also when percent-encoded such as `%2e%2e` or `..%2f`),
 * dotfiles, or a result outside the root. `/` and a trailing `/` mean `index.html`.
 */
export function resolveStaticPath(rootDir: string, rawPathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPathname);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.slice(1).split('/');
  if (segments[segments.length - 1] === '') segments[segments.length - 1] = 'index.html';
  // Any empty, dot or dot-dot segment (and so any encoded traversal, now decoded) is refused.
  if (segments.some((segment) => segment === '' || segment.startsWith('.'))) return null;
  const root = path.resolve(rootDir);
  const resolved = path.resolve(root, ...segments);
  return resolved.startsWith(root + path.sep) ? resolved : null;
}

/** The content type of a renderer asset (by extension), `application/octet-stream` otherwise. */
export function assetContentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** A renderer file to send. */
export type StaticFile = { file: string; size: number; contentType: string };

/**
 * Resolves the raw path of a request (`resolveStaticPath`) to a regular file inside
 * `rootDir`, following symlinks only when the target stays inside the root. Null when
 * nothing may be served.
 */
export async function findStaticFile(rootDir: string, rawPathname: string): Promise<StaticFile | null> {
  const candidate = resolveStaticPath(rootDir, rawPathname);
  if (!candidate) return null;
  try {
    const [realRoot, realFile] = await Promise.all([realpath(rootDir), realpath(candidate)]);
    if (realFile === realRoot || !isInside(realFile, realRoot)) return null;
    const info = await stat(realFile);
    if (!info.isFile()) return null;
    return { file: realFile, size: info.size, contentType: assetContentType(realFile) };
  } catch {
    return null;
  }
}
