import { VfsError } from '@sftpgo/vfs';

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
  const where = `${op} ${JSON.stringify(path)}`;
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return new VfsError('not-found', `${where}: no such file or directory`, path, { cause: err });
  }
  if (status === 403 || name === 'AccessDenied') {
    return new VfsError('permission', `${where}: access denied by the storage`, path, {
      cause: err,
    });
  }
  const reason = name && /^[A-Za-z]+$/.test(name) ? name : 'storage error';
  return new VfsError('failure', `${where}: ${reason}`, path, { cause: err });
}
