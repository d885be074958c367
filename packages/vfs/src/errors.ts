/** What went wrong, independent of the storage backend and of the protocol. */
export type VfsErrorCode =
  | 'not-found'
  | 'permission'
  | 'exists'
  | 'not-a-directory'
  | 'is-a-directory'
  | 'not-empty'
  | 'invalid-path'
  | 'unsupported'
  | 'quota-exceeded'
  | 'failure';

/**
 * An error from a filesystem operation. The message names the virtual path,
 * never the host path, so that it can be shown to the user as is.
 */
export class VfsError extends Error {
  override readonly name = 'VfsError';
  readonly code: VfsErrorCode;
  readonly path: string;

  constructor(code: VfsErrorCode, message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.path = path;
  }
}

/** An error of operation `op` on `path`, its message in the one form every backend uses. */
export function opError(
  code: VfsErrorCode,
  op: string,
  path: string,
  text: string,
  options?: { cause?: unknown },
): VfsError {
  return new VfsError(code, `${op} ${JSON.stringify(path)}: ${text}`, path, options);
}

/** Network errors of a connection that was open: the storage was reached, then lost. */
const CUT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Why a remote storage could not be reached, or the connection to it was
 * cut, from a network error's code (`ECONNREFUSED`, `ENOTFOUND`,
 * `ECONNRESET`...); undefined for any other failure. The code names no
 * host, path or credential.
 */
export function unreachableReason(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return undefined;
  return CUT_CODES.has(code)
    ? `the connection to the storage was cut (${code})`
    : `the storage cannot be reached (${code})`;
}

const ERRNO_CODES: Record<string, [VfsErrorCode, string]> = {
  ENOENT: ['not-found', 'no such file or directory'],
  EACCES: ['permission', 'permission denied'],
  EPERM: ['permission', 'operation not permitted'],
  EEXIST: ['exists', 'file already exists'],
  ENOTDIR: ['not-a-directory', 'not a directory'],
  EISDIR: ['is-a-directory', 'is a directory'],
  ENOTEMPTY: ['not-empty', 'directory not empty'],
  ELOOP: ['invalid-path', 'too many levels of symbolic links'],
  ENAMETOOLONG: ['invalid-path', 'file name too long'],
  EXDEV: ['unsupported', 'cross-device link'],
  ENOSYS: ['unsupported', 'operation not supported'],
  ENOTSUP: ['unsupported', 'operation not supported'],
  // the storage itself is full or closed: said plainly, since the user can act on it
  ENOSPC: ['failure', 'no space left on the storage'],
  EDQUOT: ['quota-exceeded', 'disk quota exceeded on the storage'],
  EROFS: ['permission', 'the storage is read-only'],
  EFBIG: ['failure', 'file too large for the storage'],
};

/** Turns an error of Node's `fs` into a {@link VfsError} about `path`. */
export function fromNodeError(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const [code, text] = (errno && ERRNO_CODES[errno]) || ['failure', 'operation failed'];
  return opError(code, op, path, text, { cause: err });
}
