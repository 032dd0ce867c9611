/**
 * The rules a browser upload of a dataset follows (issue 10, item 8): limits, which files are
 * kept, and which relative paths are acceptable. Plain TypeScript (no Node), so the page checks
 * them before sending and the server enforces the same ones.
 */

export const UPLOAD_LIMITS = {
  /** Largest single file (a 64 MiB photo is already far beyond any camera's JPEG). */
  fileBytes: 64 * 1024 * 1024,
  /** Largest upload, all files together. */
  totalBytes: 4 * 1024 * 1024 * 1024,
  /** Most files in one upload (the scan's own bound is far higher, but a browser upload of more is a mistake). */
  files: 100_000,
  /** Folder levels below the uploaded folder (class/file is 2; a few more for nested class folders). */
  depth: 6,
  /** Characters of one path segment (most file systems allow 255 bytes). */
  segmentChars: 200,
  /** Image file extensions kept (lower case); other files are skipped, as a scan would skip them. */
  imageExtensions: ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'],
} as const;

/** True when `name` ends in one of the kept image extensions (any case). */
export function isUploadImage(name: string): boolean {
  const lower = name.toLowerCase();
  return UPLOAD_LIMITS.imageExtensions.some((extension) => lower.endsWith(extension));
}

/**
 * Why `relative` (a path below the uploaded folder, `/`-separated, e.g. `daisy/1.jpg`) is not
 * acceptable, or null when it is. Refused: empty, absolute (`/x`, `C:\x`, `\\server`),
 * backslashes, `.` or `..` segments, empty segments, control characters, `:` (Windows streams
 * and drive letters), hidden names (`.DS_Store`), too deep or too long.
 */
export function uploadPathProblem(relative: string): string | null {
  if (relative.length === 0) return 'the path is empty';
  if (/[\u0000-\u001f\u007f]/.test(relative)) return 'the path contains control characters';
  if (relative.includes('\\')) return 'the path contains a backslash (use / between folders)';
  if (relative.startsWith('/') || /^[A-Za-z]:/.test(relative)) return 'the path is absolute; send it relative to the uploaded folder';
  if (relative.includes(':')) return 'the path contains “:”';
  const segments = relative.split('/');
  if (segments.length > UPLOAD_LIMITS.depth) return `the path is more than ${UPLOAD_LIMITS.depth} folders deep`;
  for (const segment of segments) {
    if (segment === '') return 'the path has an empty folder name (“//” or a trailing “/”)';
    if (segment === '.' || segment === '..') return 'the path contains “.” or “..”';
    if (segment.startsWith('.')) return `“${segment}” is hidden (starts with “.”)`;
    if (segment.length > UPLOAD_LIMITS.segmentChars) return `a name is longer than ${UPLOAD_LIMITS.segmentChars} characters`;
  }
  return null;
}

/** A safe folder name for the upload (letters, digits, `._ -`), from the name the browser gave; `dataset` when nothing is left. */
export function uploadFolderName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._ -]+/g, '_').replace(/^[.\s_-]+/, '').trim().slice(0, 80).trim();
  return cleaned || 'dataset';
}
