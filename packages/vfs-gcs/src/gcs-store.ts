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
import { IdleTimeoutError, IdleWatch } from './idle-watch.js';

export interface GcsStoreOptions {
  readonly bucket: Bucket;
  readonly storageClass?: string;
  /** Bytes sent per request of a resumable upload: a multiple of 256 KiB. */
  readonly chunkSize: number;
  /**
   * Milliseconds an upload or a download may wait on the store with no
   * byte moving before it fails. Default 60,000.
   */
  readonly idleTimeoutMs?: number;
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

const statusOf = (err: unknown) => (err as { code?: unknown } | undefined)?.code;

/**
 * The HTTP status or network error code of the error that ends a resumable
 * upload whose retries ran out: Google's library writes them in its
 * message only (`Retry limit exceeded - status: 503 - ...`), with the
 * upload's URL, which must not be shown.
 */
function retryFailure(err: unknown): { status?: number; code?: string } {
  const message = err instanceof Error ? err.message : '';
  if (!/^Retry (total time )?limit exceeded - /.test(message)) return {};
  const status = / - status: (\d{3})\b/.exec(message)?.[1];
  const code = / - code: (E[A-Z]+)\b/.exec(message)?.[1];
  return { ...(status ? { status: Number(status) } : {}), ...(code ? { code } : {}) };
}

/**
 * A {@link VfsError} for a failed call about `path`. The message names the
 * virtual path and the HTTP status, never the bucket, an object name or a
 * credential, which the client's own messages hold.
 */
export function gcsError(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err;
  if (err instanceof IdleTimeoutError) {
    return opError('failure', op, path, `${err.message} (timeout)`, { cause: err });
  }
  const retried = retryFailure(err);
  const code = statusOf(err);
  const status = typeof code === 'number' ? code : retried.status;
  if (status === 404) {
    return opError('not-found', op, path, 'no such file or directory', { cause: err });
  }
  if (status === 401 || status === 403) {
    return opError('permission', op, path, 'access denied by the storage', { cause: err });
  }
  const reason =
    typeof status === 'number'
      ? `storage error (HTTP ${status})`
      : (unreachableReason(err) ?? unreachableReason(retried) ?? 'storage error');
  return opError('failure', op, path, reason, { cause: err });
}

/** The calls of an object store, made to a Google Cloud Storage bucket. */
export class GcsStore implements ObjectStore {
  readonly #o: GcsStoreOptions;
  /** The client buffers one chunk, and the stream another behind it. */
  readonly uploadMemory: number;

  readonly #idleMs: number;

  constructor(options: GcsStoreOptions) {
    this.#o = options;
    this.uploadMemory = 2 * options.chunkSize;
    this.#idleMs = Math.max(1, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
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

  /**
   * Bytes `start` to `end`, both included. Read from the library's stream,
   * not with its `download()`: that one never settles when the answer is
   * cut mid-body, nor when no answer comes.
   */
  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const stream = this.#o.bucket.file(key).createReadStream({ start, end, validation: false });
    const watch = new IdleWatch(this.#idleMs, () =>
      stream.destroy(new IdleTimeoutError(this.#idleMs)),
    );
    const chunks: Buffer[] = [];
    const read = new Promise<Buffer>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        watch.progress();
      });
      stream.once('error', reject);
      stream.once('end', () => resolve(Buffer.concat(chunks)));
      // after an end or an error this changes nothing; before them, the connection was cut
      stream.once('close', () =>
        reject(Object.assign(new Error('the download closed early'), { code: 'ECONNABORTED' })),
      );
    });
    return watch.during(read);
  }

  upload(key: string): ObjectUpload {
    const stream = this.#o.bucket.file(key).createWriteStream({
      resumable: true,
      validation: false,
      chunkSize: this.#o.chunkSize,
      ...(this.#o.storageClass ? { metadata: { storageClass: this.#o.storageClass } } : {}),
    });
    // a chunk whose answer never comes would hold the upload forever
    const watch = new IdleWatch(this.#idleMs, () =>
      stream.destroy(new IdleTimeoutError(this.#idleMs)),
    );
    stream.on('progress', () => watch.progress());
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
          await watch.during(
            Promise.race([new Promise((resolve) => stream.once('drain', resolve)), finished]),
          );
        }
      },
      finish: async () => {
        stream.end();
        await watch.during(finished);
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
