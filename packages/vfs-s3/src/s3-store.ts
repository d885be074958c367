import { PassThrough } from 'node:stream';
import {
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
import { s3Error } from './s3-errors.js';

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

  upload(key: string): ObjectUpload {
    const body = new PassThrough();
    const upload = new Upload({
      client: this.#o.client,
      params: { Bucket: this.#bucket, Key: key, Body: body, ...this.#storageClass },
      partSize: this.#o.partSize,
      queueSize: this.#o.concurrency,
      leavePartsOnError: false,
    });
    const done = upload.done();
    let failure: unknown;
    done.catch((err: unknown) => {
      failure ??= err;
    });
    return {
      write: async (data) => {
        if (failure) throw failure;
        if (!body.write(data)) {
          await new Promise<void>((resolve) => body.once('drain', resolve));
        }
      },
      finish: async () => {
        body.end();
        await done;
      },
      abort: async () => {
        await upload.abort().catch(() => {});
        body.destroy();
        await done.catch(() => {});
      },
    };
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
