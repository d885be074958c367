import type { Bucket } from '@google-cloud/storage';
import {
  type ObjectInfo,
  type ObjectPage,
  type ObjectStore,
  type ObjectUpload,
  opError,
  unreachableReason,
  VfsError,
} from '@sftpgo/vfs';

export interface GcsStoreOptions {
  readonly bucket: Bucket;
  readonly storageClass?: string;
  /** Bytes sent per request of a resumable upload: a multiple of 256 KiB. */
  readonly chunkSize: number;
}

const statusOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code;

/**
 * A {@link VfsError} for a failed call about `path`. The message names the
 * virtual path and the HTTP status, never the bucket, an object name or a
 * credential, which the client's own messages hold.
 */
export function gcsError(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err;
  const status = statusOf(err);
  if (status === 404) {
    return opError('not-found', op, path, 'no such file or directory', { cause: err });
  }
  if (status === 401 || status === 403) {
    return opError('permission', op, path, 'access denied by the storage', { cause: err });
  }
  const reason =
    typeof status === 'number'
      ? `storage error (HTTP ${status})`
      : (unreachableReason(err) ?? 'storage error');
  return opError('failure', op, path, reason, { cause: err });
}

/** The calls of an object store, made to a Google Cloud Storage bucket. */
export class GcsStore implements ObjectStore {
  readonly #o: GcsStoreOptions;
  /** The client buffers one chunk, and the stream another behind it. */
  readonly uploadMemory: number;

  constructor(options: GcsStoreOptions) {
    this.#o = options;
    this.uploadMemory = 2 * options.chunkSize;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const [meta] = await this.#o.bucket.file(key).getMetadata();
      return {
        key,
        size: Number(meta.size ?? 0),
        ...(meta.updated && { modified: new Date(meta.updated) }),
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async list(
    prefix: string,
    options: { delimiter: boolean; token?: string; max?: number },
  ): Promise<ObjectPage> {
    const [files, nextQuery, response] = await this.#o.bucket.getFiles({
      prefix,
      autoPaginate: false,
      maxResults: options.max ?? 1000,
      ...(options.delimiter ? { delimiter: '/' } : {}),
      ...(options.token ? { pageToken: options.token } : {}),
    });
    const prefixes = (response as { prefixes?: string[] } | undefined)?.prefixes ?? [];
    const next = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
    return {
      objects: files.map((f) => ({
        key: f.name,
        size: Number(f.metadata.size ?? 0),
        ...(f.metadata.updated && { modified: new Date(f.metadata.updated) }),
      })),
      prefixes,
      ...(next ? { next } : {}),
    };
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const [data] = await this.#o.bucket.file(key).download({ start, end, validation: false });
    return data;
  }

  upload(key: string): ObjectUpload {
    const stream = this.#o.bucket.file(key).createWriteStream({
      resumable: true,
      validation: false,
      chunkSize: this.#o.chunkSize,
      ...(this.#o.storageClass ? { metadata: { storageClass: this.#o.storageClass } } : {}),
    });
    let failure: unknown;
    const finished = new Promise<void>((resolve, reject) => {
      stream.once('finish', resolve);
      stream.once('error', (err) => {
        failure ??= err;
        reject(err);
      });
    });
    finished.catch(() => {});
    return {
      write: async (data) => {
        if (failure) throw failure;
        if (!stream.write(data)) {
          await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), finished]);
        }
      },
      finish: async () => {
        stream.end();
        await finished;
      },
      abort: async () => {
        // never finished, the resumable session is abandoned: no object appears
        stream.destroy(new Error('upload abandoned'));
        await finished.catch(() => {});
      },
    };
  }

  async putEmpty(key: string): Promise<void> {
    await this.#o.bucket.file(key).save(Buffer.alloc(0), { resumable: false, validation: false });
  }

  async copy(from: string, to: string): Promise<void> {
    const bucket = this.#o.bucket;
    await bucket.file(from).copy(bucket.file(to), {
      ...(this.#o.storageClass ? { metadata: { storageClass: this.#o.storageClass } } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    await this.#o.bucket.file(key).delete();
  }

  async checkBucket(): Promise<void> {
    await this.#o.bucket.getMetadata();
  }

  error(err: unknown, op: string, path: string): VfsError {
    return gcsError(err, op, path);
  }
}
