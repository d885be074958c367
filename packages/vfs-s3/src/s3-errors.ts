import { opError, unreachableReason, VfsError, type VfsErrorCode } from '@sftpgo/vfs';

interface AwsError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const JS_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'AbortError']);

/**
 * An upload that failed, and whose multipart upload could not be aborted
 * either: its parts may stay in the bucket, unseen, until a lifecycle rule
 * removes them. Both failures are told.
 */
export class PartsLeftError extends Error {
  constructor(
    readonly failure: unknown,
    readonly abortFailure: unknown,
  ) {
    super('the upload failed, and its parts could not be removed', { cause: failure });
    this.name = 'PartsLeftError';
  }
}

/** What went wrong in one failed call, in words that name no bucket, key or credential. */
function describe(err: unknown): [VfsErrorCode, string] {
  const { name, message, $metadata } = (err ?? {}) as AwsError;
  const status = $metadata?.httpStatusCode;
  if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
    return ['not-found', 'no such file or directory'];
  }
  if (status === 403 || name === 'AccessDenied') {
    return ['permission', 'access denied by the storage'];
  }
  // before the timeout: the SDK names a reset connection (ECONNRESET, EPIPE) a TimeoutError too
  const unreachable = unreachableReason(err);
  if (unreachable) return ['failure', unreachable];
  if (name === 'TimeoutError') {
    // the SDK's message holds the milliseconds it waited, and nothing else of the request
    const ms = /(\d+) ?ms/.exec(message ?? '')?.[1];
    const waited = ms ? ` for ${Number(ms) / 1000} s` : '';
    return ['failure', `no answer from the storage${waited} (timeout)`];
  }
  // the service's error name (SlowDown, InternalError...), not one of JavaScript's own
  const named = name && /^[A-Za-z]+$/.test(name) && !JS_ERRORS.has(name) ? name : undefined;
  return ['failure', named ?? 'storage error'];
}

/**
 * A {@link VfsError} for a failed S3 call about `path`. The message names the
 * virtual path and the service's error name, never the bucket, the key
 * prefix or a credential.
 */
export function s3Error(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err;
  if (err instanceof PartsLeftError) {
    const [code, reason] = describe(err.failure);
    const [, abortReason] = describe(err.abortFailure);
    const text = `${reason}; its parts could not be removed (${abortReason})`;
    return opError(code, op, path, text, { cause: err });
  }
  const [code, reason] = describe(err);
  return opError(code, op, path, reason, { cause: err });
}
