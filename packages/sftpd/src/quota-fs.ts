import type { QuotaChange, User } from '@sftpgo/provider';
import {
  type FileHandle,
  type FileStat,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  isDirectory,
  type OpenFlags,
  VfsError,
} from '@sftpgo/vfs';

/** Where used quota is read and changed: the data provider. */
export interface QuotaStore {
  getUserByUsername(username: string): Promise<User | undefined>;
  updateQuota(username: string, change: QuotaChange): Promise<void>;
}

/** The spec's `track_quota`: 0 off, 1 for every user, 2 for users with a quota. */
export type QuotaTracking = 0 | 1 | 2;

function hasQuota(user: User): boolean {
  return user.quota_size > 0 || user.quota_files > 0;
}

function quotaExceeded(path: string, what: string): VfsError {
  return new VfsError('quota-exceeded', `${JSON.stringify(path)}: ${what} quota exceeded`, path);
}

/** A file being uploaded: its writes are held within the size quota left at its opening. */
class QuotaFile extends ForwardingFileHandle {
  readonly #path: string;
  /** Bytes the file may hold in all; Infinity without a size quota. */
  readonly #maxSize: number;
  readonly #account: () => Promise<void>;

  constructor(handle: FileHandle, path: string, maxSize: number, account: () => Promise<void>) {
    super(handle);
    this.#path = path;
    this.#maxSize = maxSize;
    this.#account = account;
  }

  override async write(buffer: Buffer, offset: number, length: number, position: number) {
    if (position + length > this.#maxSize) throw quotaExceeded(this.#path, 'size');
    return this.inner.write(buffer, offset, length, position);
  }

  override async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.#account();
    }
  }

  override async abort(): Promise<void> {
    try {
      await super.abort();
    } finally {
      await this.#account();
    }
  }
}

/**
 * Keeps a user within `quota_size` and `quota_files` and records what their
 * uploads, deletions and renames change, with the provider's atomic updates
 * so that several sessions and server processes never lose a change. An
 * upload is checked when it opens and stopped by the write that would cross
 * the size quota.
 */
export class QuotaFs extends ForwardingFs {
  readonly #store: QuotaStore;
  readonly #user: User;
  readonly #enforce: boolean;

  constructor(fs: Fs, store: QuotaStore, user: User) {
    super(fs);
    this.#store = store;
    this.#user = user;
    this.#enforce = hasQuota(user);
  }

  /** Whether quota is tracked for `user` under `tracking`. */
  static applies(tracking: QuotaTracking, user: User): boolean {
    return tracking === 1 || (tracking === 2 && hasQuota(user));
  }

  async #statOrUndefined(path: string): Promise<FileStat | undefined> {
    try {
      return await this.inner.lstat(path);
    } catch (err) {
      if (err instanceof VfsError && err.code === 'not-found') return undefined;
      throw err;
    }
  }

  #record(sizeDelta: number, filesDelta: number): Promise<void> {
    if (sizeDelta === 0 && filesDelta === 0) return Promise.resolve();
    return this.#store.updateQuota(this.#user.username, { sizeDelta, filesDelta });
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    if (!(flags.write || flags.append)) return this.inner.open(path, flags, mode);
    // An exclusive create that succeeds made the file, so nothing was there;
    // one that fails opens nothing to account for. Only a files quota needs
    // to know beforehand whether the file is new.
    const before =
      flags.create && flags.exclusive && !this.#enforce
        ? undefined
        : await this.#statOrUndefined(path);
    const previous = before && !isDirectory(before) ? before.size : 0;
    let maxSize = Number.POSITIVE_INFINITY;
    if (this.#enforce) {
      const used = (await this.#store.getUserByUsername(this.#user.username)) ?? this.#user;
      const { quota_files: files, quota_size: size } = this.#user;
      if (!before && files > 0 && used.used_quota_files >= files)
        throw quotaExceeded(path, 'files');
      if (size > 0) {
        if (used.used_quota_size >= size) throw quotaExceeded(path, 'size');
        maxSize = size - used.used_quota_size + previous;
      }
    }
    const handle = await this.inner.open(path, flags, mode);
    const account = async () => {
      const after = await this.#statOrUndefined(path);
      await this.#record((after?.size ?? 0) - previous, (after ? 1 : 0) - (before ? 1 : 0));
    };
    return new QuotaFile(handle, path, maxSize, account);
  }

  override async remove(path: string): Promise<void> {
    const before = await this.#statOrUndefined(path);
    await this.inner.remove(path);
    if (before) await this.#record(-before.size, -1);
  }

  override async rename(from: string, to: string): Promise<void> {
    const replaced = await this.#statOrUndefined(to);
    await this.inner.rename(from, to);
    if (replaced && !isDirectory(replaced)) await this.#record(-replaced.size, -1);
  }
}
