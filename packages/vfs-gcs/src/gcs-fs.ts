import { Storage, type StorageOptions } from '@google-cloud/storage';
import { type ObjectStoreEvents, ObjectStoreFs, type UploadBudget } from '@sftpgo/vfs';
import { GcsStore } from './gcs-store.js';

const MiB = 1024 * 1024;
/** Resumable upload chunks are multiples of this. */
const CHUNK_UNIT = 256 * 1024;

/** Where and how a user's files are kept in a Google Cloud Storage bucket. */
export interface GcsFsOptions {
  readonly bucket: string;
  /**
   * A service account's JSON key, as text. Without it (or with
   * `automaticCredentials`) the environment's default credentials are used.
   */
  readonly credentials?: string;
  readonly automaticCredentials?: boolean;
  /** The storage class of uploaded objects; empty keeps the bucket's default. */
  readonly storageClass?: string;
  /** Objects below this prefix (`users/alice/`) are the user's whole storage. */
  readonly keyPrefix?: string;
  /** MiB sent per request of a resumable upload. Default 8. */
  readonly uploadChunkSize?: number;
  /** The server's memory for uploads, shared with other storages: see UploadBudget. */
  readonly uploadBudget?: UploadBudget;
  /** Told of every transfer and counted call, for metrics. */
  readonly events?: ObjectStoreEvents;
  /** Bytes fetched by each ranged read of a download. Default 2 MiB. */
  readonly readChunkSize?: number;
  /** Another endpoint of the JSON API than Google's: for tests and proxies. */
  readonly apiEndpoint?: string;
  /** A client of the caller's own; else one is made from the fields above. */
  readonly storage?: Storage;
}

/**
 * A user's storage in a Google Cloud Storage bucket, below a key prefix:
 * uploads are resumable uploads streamed from the writes, downloads ranged
 * reads.
 */
export class GcsFs extends ObjectStoreFs {
  constructor(options: GcsFsOptions) {
    if (!options.bucket) throw new Error('a Google Cloud Storage storage needs a bucket');
    const chunks = Math.max(1, Math.round(((options.uploadChunkSize ?? 8) * MiB) / CHUNK_UNIT));
    super(
      new GcsStore({
        bucket: (options.storage ?? GcsFs.storage(options)).bucket(options.bucket),
        ...(options.storageClass ? { storageClass: options.storageClass } : {}),
        chunkSize: chunks * CHUNK_UNIT,
      }),
      {
        ...(options.keyPrefix !== undefined ? { keyPrefix: options.keyPrefix } : {}),
        ...(options.readChunkSize !== undefined ? { readChunkSize: options.readChunkSize } : {}),
        ...(options.uploadBudget ? { uploadBudget: options.uploadBudget } : {}),
        ...(options.events ? { events: options.events } : {}),
      },
    );
  }

  /** The client that {@link GcsFs} makes from its options, when none is given. */
  static storage(options: GcsFsOptions): Storage {
    const settings: StorageOptions = {
      ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint, projectId: 'sftpgo' } : {}),
      ...(options.credentials && !options.automaticCredentials
        ? { credentials: JSON.parse(options.credentials) }
        : {}),
    };
    return new Storage(settings);
  }
}
