import { Storage, type StorageOptions } from '@google-cloud/storage';
import { type ObjectStoreEvents, ObjectStoreFs, type UploadBudget } from '@sftpgo/vfs';
import { GcsStore } from './gcs-store.js';

const MiB = 1024 * 1024;
/** A minute without a byte: longer than any healthy store keeps a request silent. */
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
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
  /**
   * Milliseconds an upload or a download may wait on the store with no byte
   * moving, and the time a call of the JSON API (a listing, a stat, ...) may
   * take, before it fails as a timeout: a store that stops answering fails
   * the transfer instead of hanging it. Used by {@link GcsFs.storage} too.
   * Default 60,000.
   */
  readonly idleTimeoutMs?: number;
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
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
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
      // without it the library's JSON calls wait forever: it sets no timeout of its own
      timeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      ...(options.credentials && !options.automaticCredentials
        ? { credentials: JSON.parse(options.credentials) }
        : {}),
    };
    const storage = new Storage(settings);
    // Off the library's shared keep-alive agent, onto Node's own (keep-alive too): the
    // library destroys that shared agent, with every connection of every user, whenever
    // one download fails, and the transfers it cuts may then stall without an error.
    storage.interceptors.push({
      request(reqOpts) {
        // typed as any request's options; the library passes those of its own, with a `uri`
        const options = reqOpts as typeof reqOpts & { uri: string };
        options.forever = false;
        return options;
      },
    });
    return storage;
  }
}
