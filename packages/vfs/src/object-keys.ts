import { cleanVirtualPath } from './virtual-path.js';

/**
 * Why a key prefix is refused, or undefined when it is fine: it confines a
 * user like a chroot, so it is a plain relative path ending with `/`.
 */
export function keyPrefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!prefix.endsWith('/')) return 'key_prefix must end with "/"';
  if (prefix.startsWith('/')) return 'key_prefix must not start with "/"';
  if (prefix.includes('\\') || prefix.includes('\0')) {
    return 'key_prefix must not hold backslashes or NUL bytes';
  }
  const parts = prefix.slice(0, -1).split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    return 'key_prefix must not hold empty, "." or ".." components';
  }
  return undefined;
}

/** Maps a user's virtual paths to the keys of a bucket, below a key prefix. */
export class KeyMap {
  constructor(readonly prefix: string) {
    const problem = keyPrefixProblem(prefix);
    if (problem) throw new Error(problem);
  }

  /**
   * The cleaned virtual path and its object key. The path is cleaned first,
   * so that no `..`, `//` or backslash reaches a key outside the prefix.
   */
  resolve(path: string): { path: string; key: string } {
    const clean = cleanVirtualPath(path);
    return { path: clean, key: this.prefix + clean.slice(1) };
  }

  /** The prefix under which the entries of the directory at `key` are stored. */
  directoryPrefix(key: string): string {
    return key === this.prefix ? key : `${key}/`;
  }
}
