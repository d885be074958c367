import { PassThrough } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type FileHandle, type FileStat, type SetStat, VfsError } from '@sftpgo/vfs';
import { s3Error } from './s3-errors.js';

const unsupported = (op: string, path: string, why: string) =>
  new VfsError('unsupported', `${op} ${JSON.stringify(path)}: ${why}`, path);

interface Where {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** The virtual path, for messages. */
  readonly path: string;
}

/**
 * Reads an object with ranged GETs of `chunkSize` bytes, each fetched once
 * however many reads fall in it, and the next one fetched ahead: SFTP
 * clients read sequentially in small pieces, many at a time.
 */
export class S3ReadHandle implements FileHandle {
  readonly #where: Where;
  readonly #stat: FileStat;
  readonly #chunkSize: number;
  /** The chunks fetched or being fetched, by index; a few are kept. */
  readonly #chunks = new Map<number, Promise<Buffer>>();
  static readonly #KEPT = 4;

  constructor(where: Where, stat: FileStat, chunkSize: number) {
    this.#where = where;
    this.#stat = stat;
    this.#chunkSize = chunkSize;
  }

  #chunk(index: number): Promise<Buffer> {
    let chunk = this.#chunks.get(index);
    if (!chunk) {
      chunk = this.#fetch(index);
      // a failed fetch is not kept: the next read tries again
      chunk.catch(() => this.#chunks.delete(index));
      this.#chunks.set(index, chunk);
      for (const old of this.#chunks.keys()) {
        if (this.#chunks.size <= S3ReadHandle.#KEPT) break;
        if (old !== index) this.#chunks.delete(old);
      }
    }
    return chunk;
  }

  async #fetch(index: number): Promise<Buffer> {
    const { client, bucket, key, path } = this.#where;
    const start = index * this.#chunkSize;
    const end = Math.min(start + this.#chunkSize, this.#stat.size) - 1;
    try {
      const got = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }),
      );
      return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    } catch (err) {
      throw s3Error(err, 'read', path);
    }
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const size = this.#stat.size;
    if (position >= size) return 0;
    const end = Math.min(position + length, size);
    let done = 0;
    for (let at = position; at < end; ) {
      const index = Math.floor(at / this.#chunkSize);
      const chunkStart = index * this.#chunkSize;
      const ahead = index + 1;
      if (ahead * this.#chunkSize < size) void this.#chunk(ahead).catch(() => {});
      const data = await this.#chunk(index);
      const n = data.copy(
        buffer,
        offset + done,
        at - chunkStart,
        Math.min(end - chunkStart, data.length),
      );
      if (n === 0) break;
      done += n;
      at += n;
    }
    return done;
  }

  async write(): Promise<number> {
    throw unsupported('write', this.#where.path, 'the file is open for reading');
  }

  async stat(): Promise<FileStat> {
    return this.#stat;
  }

  async setstat(_attrs: SetStat): Promise<void> {
    throw unsupported('setstat', this.#where.path, 'objects have no attributes to change');
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.#chunks.clear();
  }
}

export interface UploadLimits {
  /** Bytes per part of the multipart upload (5 MiB at least). */
  readonly partSize: number;
  /** Parts sent at once; with `partSize`, bounds the memory an upload holds. */
  readonly concurrency: number;
}

/**
 * Writes an object front to back, streamed into a multipart upload: the
 * object appears, whole, when the handle is closed. Writes must come in
 * offset order (the SFTP engine starts them in the order the client sent
 * them); any other offset fails rather than store a corrupt object.
 */
export class S3WriteHandle implements FileHandle {
  readonly #where: Where;
  readonly #body = new PassThrough();
  readonly #upload: Upload;
  readonly #done: Promise<unknown>;
  #next = 0;
  #failed: VfsError | undefined;
  #tail: Promise<void> = Promise.resolve();
  readonly #mode: number;

  constructor(where: Where, limits: UploadLimits, storageClass: string | undefined, mode: number) {
    this.#where = where;
    this.#mode = mode;
    this.#upload = new Upload({
      client: where.client,
      params: {
        Bucket: where.bucket,
        Key: where.key,
        Body: this.#body,
        ...(storageClass ? { StorageClass: storageClass as never } : {}),
      },
      partSize: limits.partSize,
      queueSize: limits.concurrency,
      leavePartsOnError: false,
    });
    this.#done = this.#upload.done();
    // a failure is reported by the next write or by close
    this.#done.catch((err: unknown) => {
      this.#failed ??= s3Error(err, 'write', where.path);
    });
  }

  async read(): Promise<number> {
    throw unsupported('read', this.#where.path, 'the file is open for writing');
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    if (position !== this.#next) {
      return Promise.reject(
        unsupported(
          'write',
          this.#where.path,
          `write at offset ${position} where ${this.#next} was expected: objects are written front to back`,
        ),
      );
    }
    this.#next += length;
    // copied: the caller may reuse its buffer once the promise settles
    const data = Buffer.from(buffer.subarray(offset, offset + length));
    const written = this.#tail.then(async () => {
      if (this.#failed) throw this.#failed;
      if (!this.#body.write(data)) {
        await new Promise<void>((resolve) => this.#body.once('drain', resolve));
      }
      return length;
    });
    this.#tail = written.then(
      () => {},
      () => {},
    );
    return written;
  }

  async stat(): Promise<FileStat> {
    const now = Date.now();
    return {
      size: this.#next,
      mode: 0o100000 | this.#mode,
      uid: 0,
      gid: 0,
      nlink: 1,
      atimeMs: now,
      mtimeMs: now,
    };
  }

  async setstat(attrs: SetStat): Promise<void> {
    if (attrs.size !== undefined && attrs.size === this.#next) return;
    throw unsupported(
      'setstat',
      this.#where.path,
      'an object being written has no attributes to change',
    );
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    await this.#tail;
    this.#body.end();
    try {
      await this.#done;
    } catch (err) {
      throw this.#failed ?? s3Error(err, 'write', this.#where.path);
    }
  }

  /** Abandons the upload: its parts are deleted and no object appears. */
  async abort(): Promise<void> {
    await this.#upload.abort().catch(() => {});
    this.#body.destroy();
    await this.#done.catch(() => {});
  }
}
