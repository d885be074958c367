import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type FileHandle,
  type FileStat,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  type SetStat,
} from '@sftpgo/vfs';

/** Stats made during one open, by kind and path, failures included. */
type Memo = Map<string, Promise<FileStat>>;

/**
 * Answers the stats of one open once: the session layers each look at the
 * target of an upload (permissions to overwrite, the quota it frees, ...),
 * and on an object store each look is a request. The memo lives for the
 * calls made on behalf of one open ({@link during}) and is dropped as soon
 * as anything changes what it holds.
 */
export class StatOnceFs extends ForwardingFs {
  readonly #memo = new AsyncLocalStorage<Memo>();

  /** Runs `work` with the stats it makes through this layer made once per path. */
  during<T>(work: () => Promise<T>): Promise<T> {
    return this.#memo.run(new Map(), work);
  }

  #once(kind: 'stat' | 'lstat', path: string): Promise<FileStat> {
    const memo = this.#memo.getStore();
    const call = () => (kind === 'stat' ? this.inner.stat(path) : this.inner.lstat(path));
    if (!memo) return call();
    // without links, a stat and an lstat are the same question
    const key = this.inner.capabilities.symlinks ? `${kind} ${path}` : path;
    let stat = memo.get(key);
    if (!stat) {
      stat = call();
      memo.set(key, stat);
    }
    return stat;
  }

  #forget(): void {
    this.#memo.getStore()?.clear();
  }

  override stat(path: string): Promise<FileStat> {
    return this.#once('stat', path);
  }

  override lstat(path: string): Promise<FileStat> {
    return this.#once('lstat', path);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    this.#forget();
    try {
      return await this.inner.open(path, flags, mode);
    } finally {
      this.#forget();
    }
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    this.#forget();
    await this.inner.mkdir(path, mode);
  }

  override async remove(path: string): Promise<void> {
    this.#forget();
    await this.inner.remove(path);
  }

  override async rmdir(path: string): Promise<void> {
    this.#forget();
    await this.inner.rmdir(path);
  }

  override async rename(from: string, to: string): Promise<void> {
    this.#forget();
    await this.inner.rename(from, to);
  }

  override async symlink(target: string, path: string): Promise<void> {
    this.#forget();
    await this.inner.symlink(target, path);
  }

  override async link(existing: string, path: string): Promise<void> {
    this.#forget();
    await this.inner.link(existing, path);
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    this.#forget();
    await this.inner.setstat(path, attrs, options);
  }
}

/** `fs`, each of whose opens makes the stats of `below` once per path. */
export class OpensStatOnceFs extends ForwardingFs {
  readonly #below: StatOnceFs;

  constructor(fs: Fs, below: StatOnceFs) {
    super(fs);
    this.#below = below;
  }

  override open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    return this.#below.during(() => this.inner.open(path, flags, mode));
  }
}
