import { opError, type VfsError } from './errors.js';
import { type FileHandle, type FileStat, S_IFREG, type SetStat } from './fs.js';
import type { ObjectStore, ObjectStoreEvents, ObjectUpload } from './object-store.js';
import type { UploadBudget } from './upload-budget.js';

const unsupported = (op: string, path: string, why: string) =>
  opError('unsupported', op, path, why);

/** The object a handle is open on. */
export interface ObjectTarget {
  readonly store: ObjectStore;
  readonly key: string;
  /** The virtual path, for messages. */
  readonly path: string;
  readonly events?: ObjectStoreEvents;
}

/** Chunks a read handle keeps: the one being read, the one before, the one ahead. */
const KEPT_CHUNKS = 3;

/**
 * Reads an object by ranges of `chunkSize` bytes, each fetched once however
 * many reads fall in it, and the next one fetched ahead: SFTP clients read
 * front to back in small pieces, many at a time.
 */
export class ObjectReadHandle implements FileHandle {
  readonly #target: ObjectTarget;
  readonly #stat: FileStat;
  readonly #chunkSize: number;
  readonly #chunks = new Map<number, Promise<Buffer>>();
  #bytesRead = 0;
  #error: unknown;

  constructor(target: ObjectTarget, stat: FileStat, chunkSize: number) {
    this.#target = target;
    this.#stat = stat;
    this.#chunkSize = chunkSize;
  }

  #chunk(index: number): Promise<Buffer> {
    let chunk = this.#chunks.get(index);
    if (!chunk) {
      const { store, key, path } = this.#target;
      const start = index * this.#chunkSize;
      const end = Math.min(start + this.#chunkSize, this.#stat.size) - 1;
      chunk = store.readRange(key, start, end).catch((err: unknown) => {
        // a failed fetch is not kept: the next read tries again
        this.#chunks.delete(index);
        this.#error = err;
        throw store.error(err, 'read', path);
      });
      this.#chunks.set(index, chunk);
      for (const old of this.#chunks.keys()) {
        if (this.#chunks.size <= KEPT_CHUNKS) break;
        if (old < index - 1 || old > index + 1) this.#chunks.delete(old);
      }
    }
    return chunk;
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const size = this.#stat.size;
    if (position >= size) return 0;
    const end = Math.min(position + length, size);
    let done = 0;
    for (let at = position; at < end; ) {
      const index = Math.floor(at / this.#chunkSize);
      const chunkStart = index * this.#chunkSize;
      if ((index + 1) * this.#chunkSize < size) this.#chunk(index + 1).catch(() => {});
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
    this.#bytesRead += done;
    return done;
  }

  async write(): Promise<number> {
    throw unsupported('write', this.#target.path, 'the file is open for reading');
  }

  async stat(): Promise<FileStat> {
    return this.#stat;
  }

  async setstat(_attrs: SetStat): Promise<void> {
    throw unsupported('setstat', this.#target.path, 'objects have no attributes to change');
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    this.#chunks.clear();
    this.#target.events?.transfer('download', this.#bytesRead, this.#error);
  }
}

/**
 * Writes an object front to back through an upload: it appears, whole, when
 * the handle is closed. Writes must come in offset order (the SFTP engine
 * starts them in the order the client sent them); any other offset fails
 * rather than store a corrupt object.
 */
export class ObjectWriteHandle implements FileHandle {
  readonly #target: ObjectTarget;
  readonly #upload: ObjectUpload;
  readonly #mode: number;
  readonly #opened = Date.now();
  #next = 0;
  #tail: Promise<void> = Promise.resolve();
  #failed: VfsError | undefined;
  readonly #budget: UploadBudget | undefined;
  #reserved: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(target: ObjectTarget, mode: number, budget?: UploadBudget) {
    this.#target = target;
    this.#upload = target.store.upload(target.key);
    this.#mode = mode;
    this.#budget = budget;
  }

  /** The server's upload memory this upload may buffer, taken before its first byte. */
  #reserve(): Promise<void> {
    if (!this.#budget) return Promise.resolve();
    this.#reserved ??= this.#budget.reserve(this.#target.store.uploadMemory).then((release) => {
      this.#release = release;
    });
    return this.#reserved;
  }

  async read(): Promise<number> {
    throw unsupported('read', this.#target.path, 'the file is open for writing');
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const { store, path } = this.#target;
    if (position !== this.#next) {
      const why = `write at offset ${position} where ${this.#next} was expected: objects are written front to back`;
      return Promise.reject(unsupported('write', path, why));
    }
    this.#next += length;
    // copied: the caller may reuse its buffer once the promise settles
    const data = Buffer.from(buffer.subarray(offset, offset + length));
    const written = this.#tail.then(async () => {
      if (this.#failed) throw this.#failed;
      await this.#reserve();
      try {
        await this.#upload.write(data);
      } catch (err) {
        this.#failed = store.error(err, 'write', path);
        throw this.#failed;
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
    return {
      size: this.#next,
      mode: S_IFREG | this.#mode,
      uid: 0,
      gid: 0,
      nlink: 1,
      atimeMs: this.#opened,
      mtimeMs: this.#opened,
    };
  }

  async setstat(_attrs: SetStat): Promise<void> {
    throw unsupported('setstat', this.#target.path, 'objects have no attributes to change');
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {
    await this.#tail;
    const { store, path, events } = this.#target;
    try {
      if (this.#failed) {
        await this.#upload.abort().catch(() => {});
        throw this.#failed;
      }
      await this.#reserve();
      await this.#upload.finish();
      events?.transfer('upload', this.#next);
    } catch (err) {
      events?.transfer('upload', this.#next, err);
      throw store.error(err, 'write', path);
    } finally {
      this.#release?.();
    }
  }

  async abort(): Promise<void> {
    await this.#tail;
    await this.#upload.abort().catch(() => {});
    this.#release?.();
    this.#target.events?.transfer('upload', this.#next, new Error('the upload was cut'));
  }
}
