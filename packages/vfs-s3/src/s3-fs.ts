import { S3Client } from '@aws-sdk/client-s3';
import { type ObjectStoreEvents, ObjectStoreFs, type UploadBudget } from '@sftpgo/vfs';
import { S3Store } from './s3-store.js';

const MiB = 1024 * 1024;

/** Where and how a user's files are kept in an S3-compatible bucket. */
export interface S3FsOptions {
  readonly bucket: string;
  /** Default `us-east-1`, which S3-compatible servers accept. */
  readonly region?: string;
  /** Empty uses the environment's credentials (variables, profile, instance role). */
  readonly accessKey?: string;
  readonly accessSecret?: string;
  /** An S3-compatible server (MinIO, Ceph, ...): addressed path-style. */
  readonly endpoint?: string;
  /** The storage class of uploaded objects; empty keeps the bucket's default. */
  readonly storageClass?: string;
  /** Keys below this prefix (`users/alice/`) are the user's whole storage. */
  readonly keyPrefix?: string;
  /** MiB per part of a multipart upload; 5 at least, the S3 minimum. Default 5. */
  readonly uploadPartSize?: number;
  /** Parts of one upload sent at once. Default 2. */
  readonly uploadConcurrency?: number;
  /** The server's memory for uploads, shared with other storages: see UploadBudget. */
  readonly uploadBudget?: UploadBudget;
  /** Told of every transfer and counted call, for metrics. */
  readonly events?: ObjectStoreEvents;
  /** Bytes fetched by each ranged GET of a download. Default 2 MiB. */
  readonly readChunkSize?: number;
  /**
   * Milliseconds a request may go without a byte sent or received, or take
   * to connect, before it fails as a timeout (then retried as the SDK
   * retries any transient failure): a store that stops answering fails the
   * transfer instead of hanging it. Used by {@link S3Fs.client}. Default
   * 60,000.
   */
  readonly idleTimeoutMs?: number;
  /** A client of the caller's own (shared, instrumented); else one is made from the fields above. */
  readonly client?: S3Client;
}

/** A minute without a byte: longer than any healthy store keeps a request silent. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * A user's storage in an S3-compatible bucket, below a key prefix: uploads
 * are multipart uploads streamed from the writes, downloads ranged GETs.
 */
export class S3Fs extends ObjectStoreFs {
  constructor(options: S3FsOptions) {
    if (!options.bucket) throw new Error('an S3 storage needs a bucket');
    super(
      new S3Store({
        client: options.client ?? S3Fs.client(options),
        bucket: options.bucket,
        ...(options.storageClass ? { storageClass: options.storageClass } : {}),
        partSize: Math.max(5, options.uploadPartSize ?? 5) * MiB,
        concurrency: Math.max(1, options.uploadConcurrency ?? 2),
      }),
      {
        ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
        ...(options.readChunkSize !== undefined ? { readChunkSize: options.readChunkSize } : {}),
        ...(options.uploadBudget ? { uploadBudget: options.uploadBudget } : {}),
        ...(options.events ? { events: options.events } : {}),
      },
    );
  }

  /** The client that {@link S3Fs} makes from its options, when none is given. */
  static client(options: S3FsOptions): S3Client {
    const idleTimeout = Math.max(1, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    return new S3Client({
      region: options.region || 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.accessKey
        ? {
            credentials: {
              accessKeyId: options.accessKey,
              secretAccessKey: options.accessSecret ?? '',
            },
          }
        : {}),
      // checksums of every request are an AWS feature other servers refuse
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // the SDK waits forever by default: a store that accepts a request and never answers would hang the transfer
      requestHandler: {
        connectionTimeout: idleTimeout,
        socketTimeout: idleTimeout,
      },
    });
  }
}
