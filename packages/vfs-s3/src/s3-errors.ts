import { opError, unreachableReason, VfsError } from '@sftpgo/vfs';

interface AwsError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const JS_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AbortError']);

/**
 * A {@link VfsError} for a failed S3 call about `path`. The message names the
 * virtual path and the service's error name, never the bucket, the key
 * prefix or a credential.
 */
export function s3Error(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err;
  const { name, $metadata } = (err ?? {}) as AwsError;
  const status = $metadata?.httpStatusCode;
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return opError('not-found', op, path, 'no such file or directory', { cause: err });
  }
  if (status === 403 || name === 'AccessDenied') {
    return opError('permission', op, path, 'access denied by the storage', { cause: err });
  }
  // the service's error name (SlowDown, InternalError...), not one of JavaScript's own
  const named = name && /^[A-Za-z]+$/.test(name) && !JS_ERRORS.has(name) ? name : undefined;
  const reason = unreachableReason(err) ?? named ?? 'storage error';
  return opError('failure', op, path, reason, { cause: err });
}
