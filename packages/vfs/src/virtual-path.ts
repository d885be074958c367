import { posix } from 'node:path';
import { VfsError } from './errors.js';

/** Longest virtual path accepted, in UTF-8 bytes (Linux's PATH_MAX). */
export const MAX_PATH_BYTES = 4096;

/**
 * Normalises a path sent by a client into an absolute virtual path.
 *
 * Relative paths are taken from `cwd`. Backslashes count as separators, so
 * that `..\..\etc` cannot mean one thing here and another to a backend that
 * splits on them. `..` never climbs above `/`.
 *
 * @example
 * cleanVirtualPath('../../etc/passwd') // '/etc/passwd', inside the user's root
 */
export function cleanVirtualPath(input: string, cwd = '/'): string {
  if (input.includes('\0')) {
    throw new VfsError('invalid-path', 'path contains a NUL byte', input.replaceAll('\0', '\\0'));
  }
  if (Buffer.byteLength(input) > MAX_PATH_BYTES) {
    throw new VfsError('invalid-path', `path longer than ${MAX_PATH_BYTES} bytes`, '');
  }
  const slashed = input.replaceAll('\\', '/');
  return posix.resolve('/', cwd, slashed);
}
