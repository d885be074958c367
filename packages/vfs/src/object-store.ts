import type { VfsError } from './errors.js';

/** An object as a listing or a HEAD reports it. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modified?: Date;
}

/** One page of a listing: objects, and with a delimiter the prefixes below. */
export interface ObjectPage {
  readonly objects: readonly ObjectInfo[];
  /** Common prefixes, each ending with `/`. */
  readonly prefixes: readonly string[];
  /** Where the next page starts; absent on the last page. */
  readonly next?: string;
}

/** An object being uploaded, front to back. */
export interface ObjectUpload {
  /** Appends bytes; resolves once the upload can take more. */
  write(data: Buffer): Promise<void>;
  /** Ends the upload: the object appears, whole. */
  finish(): Promise<void>;
  /** Abandons the upload: no object appears, and its parts are deleted. */
  abort(): Promise<void>;
}

/** The calls to a store that are counted, with the reference server's metric names. */
export type ObjectRequest = 'list_objects' | 'copy_object' | 'delete_object' | 'head_bucket';

/**
 * What an {@link ObjectStoreFs} tells of its traffic, for metrics: each
 * file transferred, and the calls that are not transfers. `error` is set
 * when it failed.
 */
export interface ObjectStoreEvents {
  /** A file uploaded or downloaded, whole or cut: `bytes` moved. */
  transfer(kind: 'upload' | 'download', bytes: number, error?: unknown): void;
  request(kind: ObjectRequest, error?: unknown): void;
}

/**
 * What {@link ObjectStoreFs} needs of an object store (S3, Google Cloud
 * Storage, ...): a bucket of keys, listed by prefix, read by ranges, written
 * whole. An adapter implements this and nothing else.
 */
export interface ObjectStore {
  /** The bytes one upload buffers at most: parts or chunks in flight. */
  readonly uploadMemory: number;
  /** The object at `key`, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  list(
    prefix: string,
    options: { delimiter: boolean; token?: string; max?: number },
  ): Promise<ObjectPage>;
  /** Bytes `start` to `end`, both included. */
  readRange(key: string, start: number, end: number): Promise<Buffer>;
  upload(key: string): ObjectUpload;
  /** Stores an empty object: a directory marker. */
  putEmpty(key: string): Promise<void>;
  /** A server-side copy. */
  copy(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Resolves when the bucket exists and can be reached with the store's credentials. */
  checkBucket(): Promise<void>;
  /**
   * The {@link VfsError} for a failed call about the virtual `path`: a
   * missing object is `not-found`, a refusal `permission`. Its message names
   * the path, never the bucket, a key or a credential.
   */
  error(err: unknown, op: string, path: string): VfsError;
}
