import { opError, VfsError } from '@sftpgo/vfs';

interface AwsError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

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
  const reason = name && /^[A-Za-z]+$/.test(name) ? name : 'storage error';
  return opError('failure', op, path, reason, { cause: err });
}
