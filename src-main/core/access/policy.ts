/**
 * Which folders a client may read and write. Roots are stored as real paths, and every
 * request is resolved with realpath before it is compared, so a symlink cannot lead out.
 */
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { CoreError } from '../errors.js';

/** What a granted folder allows. `write` implies `read`. */
export type Access = 'read' | 'write';

/** The folders a client may use, and the checks against them. */
export interface AccessPolicy {
  /**
   * Allows reading (and with `write`, exporting into) `dir` and everything below it. The
   * folder's real path is stored; one that does not exist yet (an export target) is stored
   * resolved. Returns the stored path.
   */
  grant(dir: string, access?: Access): string;
  /**
   * Resolves `file` (absolute, symlinks followed) and returns its real path when it lies
   * inside a readable root.
   * @throws CoreError PATH_NOT_ALLOWED for a relative path or one outside every root;
   *   NOT_FOUND when it does not exist.
   */
  resolveReadable(file: string): Promise<string>;
  /** True when `target` (or, if it does not exist yet, its parent folder) lies inside a writable root. */
  mayWrite(target: string): Promise<boolean>;
  /** The roots, for display and tests. */
  roots(): { read: string[]; write: string[] };
}

/** True when `file` is `root` or lies below it (both already resolved). */
export function isInside(file: string, root: string): boolean {
  const relative = path.relative(root, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function realOrResolved(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    return realpathSync(resolved);
  } catch {
    return resolved;
  }
}

/**
 * Creates a policy with the given initial roots (e.g. the app's models/exports/uploads
 * folders readable, exports writable).
 */
export function createAccessPolicy(initial: { read?: readonly string[]; write?: readonly string[] } = {}): AccessPolicy {
  const readable = new Set<string>();
  const writable = new Set<string>();
  const policy: AccessPolicy = {
    grant(dir, access = 'read') {
      const real = realOrResolved(dir);
      readable.add(real);
      if (access === 'write') writable.add(real);
      return real;
    },
    async resolveReadable(file) {
      if (typeof file !== 'string' || file.includes('\0') || !path.isAbsolute(file)) {
        throw new CoreError('PATH_NOT_ALLOWED', 'Only absolute paths inside an opened dataset or model folder can be read.');
      }
      let real: string;
      try {
        real = await realpath(file);
      } catch {
        throw new CoreError('NOT_FOUND', `${file} does not exist.`);
      }
      for (const root of readable) if (isInside(real, root)) return real;
      throw new CoreError('PATH_NOT_ALLOWED', `${file} is outside the opened dataset and model folders.`);
    },
    async mayWrite(target) {
      const resolved = path.resolve(target);
      const real = await realpath(resolved).catch(() => null);
      const parent = real ?? (await realpath(path.dirname(resolved)).catch(() => path.dirname(resolved)));
      const candidate = real ?? path.join(parent, path.basename(resolved));
      return [...writable].some((root) => isInside(candidate, root));
    },
    roots: () => ({ read: [...readable], write: [...writable] }),
  };
  for (const dir of initial.read ?? []) policy.grant(dir, 'read');
  for (const dir of initial.write ?? []) policy.grant(dir, 'write');
  return policy;
}
