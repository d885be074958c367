import { posix } from 'node:path';
import type { Permission } from '@sftpgo/provider';

/**
 * A user's per-directory permissions: the entry of the most specific
 * directory that contains a path applies, and `*` grants everything.
 *
 * @example
 * const perms = new DirectoryPermissions({ '/': ['list', 'download'], '/in': ['*'] });
 * perms.has('upload', '/in/sub'); // true
 * perms.has('upload', '/'); // false
 */
export class DirectoryPermissions {
  /** Directories from the most specific (longest) to `/`. */
  readonly #entries: readonly (readonly [string, ReadonlySet<Permission>])[];

  constructor(permissions: Readonly<Record<string, readonly Permission[]>>) {
    this.#entries = Object.entries(permissions)
      .map(([dir, perms]) => [posix.resolve('/', dir), new Set(perms)] as const)
      .sort((a, b) => b[0].length - a[0].length);
  }

  /** Whether `permission` is granted in the directory `dir` (an absolute virtual path). */
  has(permission: Permission, dir: string): boolean {
    for (const [base, perms] of this.#entries) {
      if (dir === base || base === '/' || dir.startsWith(`${base}/`)) {
        return perms.has('*') || perms.has(permission);
      }
    }
    return false;
  }
}
