import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectInfo, ObjectPage, ObjectStore, ObjectUpload, VfsError } from '@sftpgo/vfs';
import { PartsLeftError, s3Error } from './s3-errors.js';

export interface S3StoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly storageClass?: string;
  /** Bytes per part of a multipart upload. */
  readonly partSize: number;
  /** Parts of one upload sent at once. */
  readonly concurrency: number;
}

/** The calls of an object store, made to an S3-compatible bucket. */
export class S3Store implements ObjectStore {
  readonly #o: S3StoreOptions;
  readonly uploadMemory: number;

  constructor(options: S3StoreOptions) {
    this.#o = options;
    this.uploadMemory = options.partSize * options.concurrency;
  }

  get #bucket() {
    return this.#o.bucket;
  }

  get #storageClass() {
    return this.#o.storageClass ? { StorageClass: this.#o.storageClass as never } : {};
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const head = await this.#o.client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return {
        key,
        size: head.ContentLength ?? 0,
        ...(head.LastModified && { modified: head.LastModified }),
      };
    } catch (err) {
      if (s3Error(err, 'head', '').code === 'not-found') return undefined;
      throw err;
    }
  }

  async list(
    prefix: string,
    options: { delimiter: boolean; token?: string; max?: number },
  ): Promise<ObjectPage> {
    const page = await this.#o.client.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: prefix,
        ...(options.delimiter ? { Delimiter: '/' } : {}),
        ...(options.token ? { ContinuationToken: options.token } : {}),
        ...(options.max ? { MaxKeys: options.max } : {}),
      }),
    );
    return {
      objects: (page.Contents ?? []).flatMap((o) =>
        o.Key
          ? [{ key: o.Key, size: o.Size ?? 0, ...(o.LastModified && { modified: o.LastModified }) }]
          : [],
      ),
      prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : [])),
      ...(page.IsTruncated && page.NextContinuationToken
        ? { next: page.NextContinuationToken }
        : {}),
    };
  }

  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const got = await this.#o.client.send(
      new GetObjectCommand({ Bucket: this.#bucket, Key: key, Range: `bytes=${start}-${end}` }),
    );
    return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
  }

  /**
   * A multipart upload fed by a stream. The SDK is told to leave the parts
   * of a failed upload, and they are aborted here instead: the SDK's own
   * abort replaces the error that made the upload fail with its own when it
   * fails too, and the user would be told the wrong reason.
   */
  upload(key: string): ObjectUpload {
    const body = new PassThrough();
    // destroyed with an error when abandoned: the SDK reports it through done()
    body.on('error', () => {});
    const upload = new Upload({
      client: this.#o.client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ...this.#storageClass },
      partSize: this.#o.partSize,
      queueSize: this.#o.concurrency,
      leavePartsOnError: true,
    });
    let failure: unknown;
    // done() rejects once every part upload has settled: no part can land after the abort
    const settled = upload.done().then(
      () => {},
      async (err: unknown) => {
        failure ??= err;
        body.destroy();
        try {
          await this.#abortParts(key, upload.uploadId);
        } catch (abortErr) {
          failure = new PartsLeftError(failure, abortErr);
        }
      },
    );
    return {
      write: async (data) => {
        if (failure) throw failure;
        if (!body.write(data)) {
          // Once a part has failed for good the SDK reads no more, and destroys
          // the body with an error of its own: the upload's end says why.
          await Promise.race([once(body, 'drain').catch(() => settled), settled]);
        }
        if (failure) throw failure;
      },
      finish: async () => {
        body.end();
        await settled;
        if (failure) throw failure;
      },
      abort: async () => {
        failure ??= new Error('upload abandoned');
        body.destroy(failure as Error);
        await settled;
      },
    };
  }

  async #abortParts(key: string, uploadId: string | undefined): Promise<void> {
    if (!uploadId) return;
    await this.#o.client.send(
      new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
    );
  }

  async putEmpty(key: string): Promise<void> {
    await this.#o.client.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: Buffer.alloc(0) }),
    );
  }

  async copy(from: string, to: string): Promise<void> {
    const source = `${this.#bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    await this.#o.client.send(
      new CopyObjectCommand({
        Bucket: this.#bucket,
        Key: to,
        CopySource: source,
        ...this.#storageClass,
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#o.client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
  }

  async checkBucket(): Promise<void> {
    await this.#o.client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
  }

  error(err: unknown, op: string, path: string): VfsError {
    return s3Error(err, op, path);
  }
}
