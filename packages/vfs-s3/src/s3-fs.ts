import {
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  type DirEntry,
  type DirHandle,
  type FileHandle,
  type FileStat,
  type Fs,
  type FsCapabilities,
  type OpenFlags,
  S_IFDIR,
  S_IFREG,
  type SetStat,
  type StatVfs,
  VfsError,
} from '@sftpgo/vfs';
import { s3Error } from './s3-errors.js';
import { S3ReadHandle, S3WriteHandle } from './s3-handles.js';
import { KeyMap } from './s3-keys.js';

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
  /** Bytes fetched by each ranged GET of a download. Default 2 MiB. */
  readonly readChunkSize?: number;
  /** A client of the caller's own (shared, instrumented); else one is made from the fields above. */
  readonly client?: S3Client;
}

/** Parts of an S3 key listing turned into entries: prefixes are directories. */
function entriesOf(page: ListObjectsV2CommandOutput, dirPrefix: string, dirStat: FileStat) {
  const entries: DirEntry[] = [];
  for (const p of page.CommonPrefixes ?? []) {
    const name = p.Prefix?.slice(dirPrefix.length, -1);
    if (name) entries.push({ name, stat: dirStat });
  }
  for (const o of page.Contents ?? []) {
    const name = o.Key?.slice(dirPrefix.length);
    // the directory's own marker, and markers listed without a delimiter
    if (!name || name.includes('/')) continue;
    entries.push({ name, stat: fileStat(o.Size ?? 0, o.LastModified) });
  }
  return entries;
}

function fileStat(size: number, modified: Date | undefined): FileStat {
  const ms = modified?.getTime() ?? 0;
  return { size, mode: S_IFREG | 0o644, uid: 0, gid: 0, nlink: 1, atimeMs: ms, mtimeMs: ms };
}

function dirStat(modified: Date | number | undefined): FileStat {
  const ms = typeof modified === 'number' ? modified : (modified?.getTime() ?? 0);
  return { size: 0, mode: S_IFDIR | 0o755, uid: 0, gid: 0, nlink: 2, atimeMs: ms, mtimeMs: ms };
}

const unsupported = (op: string, path: string, why: string) =>
  new VfsError('unsupported', `${op} ${JSON.stringify(path)}: ${why}`, path);

const fail = (code: VfsError['code'], op: string, path: string, text: string) =>
  new VfsError(code, `${op} ${JSON.stringify(path)}: ${text}`, path);

/** Copies or deletes this many objects at once when a directory is renamed. */
const RENAME_PARALLELISM = 8;

/**
 * A user's storage in an S3-compatible bucket, below a key prefix.
 * Directories are key prefixes, with a `dir/` marker object for those made
 * by `mkdir`; files are written whole, front to back, by multipart uploads
 * streamed from the writes, and read with ranged GETs.
 */
export class S3Fs implements Fs {
  readonly capabilities: FsCapabilities = Object.freeze({
    atomicRename: false,
    randomAccessWrites: false,
    readWrite: false,
    atomicUploads: true,
    symlinks: false,
    hardLinks: false,
    permissions: false,
    ownership: false,
    times: false,
    statvfs: false,
    realDirectories: false,
  });
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #keys: KeyMap;
  readonly #partSize: number;
  readonly #concurrency: number;
  readonly #readChunk: number;
  readonly #storageClass: string | undefined;
  /** Directories without a marker (the root, prefixes) have no time of their own. */
  readonly #created = Date.now();

  constructor(options: S3FsOptions) {
    if (!options.bucket) throw new Error('an S3 storage needs a bucket');
    this.#bucket = options.bucket;
    this.#keys = new KeyMap(options.keyPrefix ?? '');
    this.#partSize = Math.max(5, options.uploadPartSize ?? 5) * MiB;
    this.#concurrency = Math.max(1, options.uploadConcurrency ?? 2);
    this.#readChunk = Math.max(64 * 1024, options.readChunkSize ?? 2 * MiB);
    this.#storageClass = options.storageClass || undefined;
    this.#client = options.client ?? S3Fs.client(options);
  }

  /** The client that {@link S3Fs} makes from its options, when none is given. */
  static client(options: S3FsOptions): S3Client {
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
    });
  }

  async #head(op: string, key: string, path: string): Promise<FileStat | undefined> {
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key }),
      );
      return fileStat(head.ContentLength ?? 0, head.LastModified);
    } catch (err) {
      const e = s3Error(err, op, path);
      if (e.code === 'not-found') return undefined;
      throw e;
    }
  }

  #list(prefix: string, token: string | undefined, delimiter = true, maxKeys?: number) {
    return this.#client.send(
      new ListObjectsV2Command({
        Bucket: this.#bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: '/' } : {}),
        ...(token ? { ContinuationToken: token } : {}),
        ...(maxKeys ? { MaxKeys: maxKeys } : {}),
      }),
    );
  }

  /** The directory at `key`: by its marker, else by anything stored below it. */
  async #dir(op: string, key: string, path: string): Promise<FileStat | undefined> {
    if (key === this.#keys.prefix) return dirStat(this.#created);
    const marker = await this.#head(op, `${key}/`, path);
    if (marker) return dirStat(marker.mtimeMs);
    try {
      const below = await this.#list(`${key}/`, undefined, false, 1);
      return (below.KeyCount ?? below.Contents?.length ?? 0) > 0
        ? dirStat(this.#created)
        : undefined;
    } catch (err) {
      throw s3Error(err, op, path);
    }
  }

  async #statOf(op: string, path: string): Promise<{ stat: FileStat; key: string; path: string }> {
    const r = this.#keys.resolve(path);
    const stat =
      (r.key === this.#keys.prefix ? undefined : await this.#head(op, r.key, r.path)) ??
      (await this.#dir(op, r.key, r.path));
    if (!stat) throw fail('not-found', op, r.path, 'no such file or directory');
    return { stat, ...r };
  }

  async stat(path: string): Promise<FileStat> {
    return (await this.#statOf('stat', path)).stat;
  }

  lstat(path: string): Promise<FileStat> {
    return this.stat(path);
  }

  async open(path: string, flags: OpenFlags, mode = 0o666): Promise<FileHandle> {
    const r = this.#keys.resolve(path);
    const writing = flags.write || flags.append;
    if (flags.read && writing) {
      throw unsupported('open', r.path, 'an object is read or written, not both at once');
    }
    const where = { client: this.#client, bucket: this.#bucket, key: r.key, path: r.path };
    if (!writing) {
      const stat = await this.#head('open', r.key, r.path);
      if (stat) return new S3ReadHandle(where, stat, this.#readChunk);
      if (await this.#dir('open', r.key, r.path)) {
        throw fail('is-a-directory', 'open', r.path, 'is a directory');
      }
      throw fail('not-found', 'open', r.path, 'no such file or directory');
    }
    if (r.key === this.#keys.prefix) throw fail('is-a-directory', 'open', r.path, 'is a directory');
    if (flags.append) throw unsupported('open', r.path, 'objects cannot be appended to');
    // a plain create-and-truncate, what uploads send, costs no request here
    if (!flags.truncate || flags.exclusive || !flags.create) {
      const existing = await this.#head('open', r.key, r.path);
      if (existing && flags.create && flags.exclusive) {
        throw fail('exists', 'open', r.path, 'file already exists');
      }
      if (!existing && !flags.create)
        throw fail('not-found', 'open', r.path, 'no such file or directory');
      if (existing && existing.size > 0 && !flags.truncate) {
        throw unsupported('open', r.path, 'objects are written whole: resuming is not supported');
      }
    }
    const limits = { partSize: this.#partSize, concurrency: this.#concurrency };
    return new S3WriteHandle(where, limits, this.#storageClass, mode & 0o777);
  }

  async opendir(path: string): Promise<DirHandle> {
    const r = this.#keys.resolve(path);
    const dirPrefix = this.#keys.directoryPrefix(r.key);
    const stat = dirStat(this.#created);
    let page: ListObjectsV2CommandOutput;
    try {
      page = await this.#list(dirPrefix, undefined);
    } catch (err) {
      throw s3Error(err, 'opendir', r.path);
    }
    const found = (page.KeyCount ?? 0) > 0 || (page.CommonPrefixes?.length ?? 0) > 0;
    if (!found && r.key !== this.#keys.prefix) {
      if (await this.#head('opendir', r.key, r.path)) {
        throw fail('not-a-directory', 'opendir', r.path, 'not a directory');
      }
      throw fail('not-found', 'opendir', r.path, 'no such file or directory');
    }
    let next: ListObjectsV2CommandOutput | undefined = page;
    return {
      read: async () => {
        while (next) {
          const current: ListObjectsV2CommandOutput = next;
          next = undefined;
          if (current.IsTruncated && current.NextContinuationToken) {
            try {
              next = await this.#list(dirPrefix, current.NextContinuationToken);
            } catch (err) {
              throw s3Error(err, 'opendir', r.path);
            }
          }
          const entries = entriesOf(current, dirPrefix, stat);
          if (entries.length > 0) return entries;
        }
        return null;
      },
      close: async () => {
        next = undefined;
      },
    };
  }

  async mkdir(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    if (r.key === this.#keys.prefix || (await this.#head('mkdir', r.key, r.path))) {
      throw fail('exists', 'mkdir', r.path, 'file already exists');
    }
    if (await this.#dir('mkdir', r.key, r.path)) {
      throw fail('exists', 'mkdir', r.path, 'file already exists');
    }
    await this.#put('mkdir', `${r.key}/`, r.path);
  }

  async #put(op: string, key: string, path: string): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: Buffer.alloc(0) }),
      );
    } catch (err) {
      throw s3Error(err, op, path);
    }
  }

  async #delete(op: string, key: string, path: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      throw s3Error(err, op, path);
    }
  }

  async rmdir(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    if (r.key === this.#keys.prefix)
      throw fail('permission', 'rmdir', r.path, 'the root cannot be removed');
    const dirPrefix = `${r.key}/`;
    let below: ListObjectsV2CommandOutput;
    try {
      below = await this.#list(dirPrefix, undefined, false, 2);
    } catch (err) {
      throw s3Error(err, 'rmdir', r.path);
    }
    const keys = (below.Contents ?? []).map((o) => o.Key);
    if (keys.some((k) => k !== dirPrefix))
      throw fail('not-empty', 'rmdir', r.path, 'directory not empty');
    if (keys.length === 0) {
      if (await this.#head('rmdir', r.key, r.path)) {
        throw fail('not-a-directory', 'rmdir', r.path, 'not a directory');
      }
      throw fail('not-found', 'rmdir', r.path, 'no such file or directory');
    }
    await this.#delete('rmdir', dirPrefix, r.path);
  }

  async remove(path: string): Promise<void> {
    const r = this.#keys.resolve(path);
    const file =
      r.key === this.#keys.prefix ? undefined : await this.#head('remove', r.key, r.path);
    if (!file) {
      if (await this.#dir('remove', r.key, r.path)) {
        throw fail('is-a-directory', 'remove', r.path, 'is a directory');
      }
      throw fail('not-found', 'remove', r.path, 'no such file or directory');
    }
    await this.#delete('remove', r.key, r.path);
  }

  async #copy(op: string, from: string, to: string, path: string): Promise<void> {
    const source = `${this.#bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: to,
          CopySource: source,
          ...(this.#storageClass ? { StorageClass: this.#storageClass as never } : {}),
        }),
      );
    } catch (err) {
      throw s3Error(err, op, path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.#keys.resolve(from);
    const target = this.#keys.resolve(to);
    const root = this.#keys.prefix;
    if (source.key === root || target.key === root) {
      throw fail('permission', 'rename', source.path, 'the root cannot be moved or replaced');
    }
    if (source.path === target.path) return;
    const file = await this.#head('rename', source.key, source.path);
    const targetDir = await this.#dir('rename', target.key, target.path);
    if (file) {
      if (targetDir) throw fail('is-a-directory', 'rename', target.path, 'is a directory');
      await this.#copy('rename', source.key, target.key, source.path);
      await this.#delete('rename', source.key, source.path);
      return;
    }
    if (!(await this.#dir('rename', source.key, source.path))) {
      throw fail('not-found', 'rename', source.path, 'no such file or directory');
    }
    if (target.path.startsWith(`${source.path}/`)) {
      throw fail('invalid-path', 'rename', source.path, 'a directory cannot move into itself');
    }
    if (await this.#head('rename', target.key, target.path)) {
      throw fail('not-a-directory', 'rename', target.path, 'not a directory');
    }
    if (targetDir) {
      const inside = await this.#list(`${target.key}/`, undefined, false, 2);
      if ((inside.Contents ?? []).some((o) => o.Key !== `${target.key}/`)) {
        throw fail('not-empty', 'rename', target.path, 'directory not empty');
      }
    }
    await this.#renameTree(source, target);
  }

  /** Copies every object below `source` to `target`, then deletes the originals. */
  async #renameTree(source: { key: string; path: string }, target: { key: string; path: string }) {
    const keys: string[] = [];
    for (let token: string | undefined, more = true; more; ) {
      const page: ListObjectsV2CommandOutput = await this.#list(
        `${source.key}/`,
        token,
        false,
      ).catch((err: unknown) => {
        throw s3Error(err, 'rename', source.path);
      });
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.NextContinuationToken;
      more = Boolean(page.IsTruncated && token);
    }
    const moved = (key: string) => `${target.key}/${key.slice(source.key.length + 1)}`;
    let copied = 0;
    try {
      await inBatches(keys, async (key) => {
        await this.#copy('rename', key, moved(key), source.path);
        copied++;
      });
    } catch (err) {
      const text = `${copied} of ${keys.length} objects copied, none removed from the source`;
      throw fail('failure', 'rename', source.path, `${(err as Error).message}; ${text}`);
    }
    let deleted = 0;
    try {
      await inBatches(keys, async (key) => {
        await this.#delete('rename', key, source.path);
        deleted++;
      });
    } catch (err) {
      const text = `every object copied, ${deleted} of ${keys.length} removed from the source`;
      throw fail('failure', 'rename', source.path, `${(err as Error).message}; ${text}`);
    }
  }

  async setstat(path: string, attrs: SetStat): Promise<void> {
    const r = this.#keys.resolve(path);
    if (Object.values(attrs).some((v) => v !== undefined)) {
      throw unsupported('setstat', r.path, 'objects have no attributes to change');
    }
    await this.#statOf('setstat', path);
  }

  async symlink(_target: string, path: string): Promise<void> {
    throw unsupported('symlink', path, 'object storage has no links');
  }

  async readlink(path: string): Promise<string> {
    throw unsupported('readlink', path, 'object storage has no links');
  }

  async link(_existing: string, path: string): Promise<void> {
    throw unsupported('link', path, 'object storage has no links');
  }

  async realpath(path: string): Promise<string> {
    return this.#keys.resolve(path).path;
  }

  async statvfs(path: string): Promise<StatVfs> {
    throw unsupported('statvfs', path, 'object storage has no disk statistics');
  }
}

/** Runs `each` on every item, {@link RENAME_PARALLELISM} at a time; stops at the first failure. */
async function inBatches<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(RENAME_PARALLELISM, items.length) }, worker));
}
