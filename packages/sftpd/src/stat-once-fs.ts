import {
  type FileHandle,
  type FileStat,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  opError,
  type SetStat,
} from '@sftpgo/vfs';

/** The looks at a path being opened, by kind, failures included, and how many opens want them. */
interface Memo {
  opens: number;
  readonly stats: Map<string, Promise<FileStat>>;
}

/**
 * Answers the stats of a path being opened once: the session layers each
 * look at the target of an upload (permissions to overwrite, the quota it
 * frees, ...), and on an object store each look is a request. The memo of a
 * path lives while an open of it is under way ({@link during}), and is
 * dropped as soon as anything changes what a memo holds. It is kept by path
 * rather than by async context: tracking contexts would put a hook on every
 * promise of the server, the reads and writes of every transfer included.
 */
export class StatOnceFs extends ForwardingFs {
  readonly #memos = new Map<string, Memo>();

  /** Runs `work`, an open of `path`, with the stats of `path` through this layer made once. */
  async during<T>(path: string, work: () => Promise<T>): Promise<T> {
    let memo = this.#memos.get(path);
    if (!memo) {
      memo = { opens: 0, stats: new Map() };
      this.#memos.set(path, memo);
    }
    memo.opens++;
    try {
      return await work();
    } finally {
      if (--memo.opens === 0) this.#memos.delete(path);
    }
  }

  #once(kind: 'stat' | 'lstat', path: string): Promise<FileStat> {
    const memo = this.#memos.get(path);
    const call = () => (kind === 'stat' ? this.inner.stat(path) : this.inner.lstat(path));
    if (!memo) return call();
    // without links, a stat and an lstat are the same question
    const key = this.inner.capabilities.symlinks ? kind : 'stat';
    let stat = memo.stats.get(key);
    if (!stat) {
      stat = call();
      memo.stats.set(key, stat);
    }
    return stat;
  }

  /**
   * Where the path being opened leads, keeping the `lstat` that the storage
   * learned on the way (when it says it) for the looks that follow: the
   * permission layer resolves the path, then asks whether it exists.
   */
  override async realpath(path: string): Promise<string> {
    if (!this.#memos.has(path) || !this.inner.realpathStat) return this.inner.realpath(path);
    const { path: resolved, stat } = await this.inner.realpathStat(path);
    const memo = this.#memos.get(resolved);
    const key = this.inner.capabilities.symlinks ? 'lstat' : 'stat';
    if (memo && !memo.stats.has(key)) {
      const look = stat
        ? Promise.resolve(stat)
        : Promise.reject(opError('not-found', 'lstat', resolved, 'no such file or directory'));
      // a look nobody asks for is no unhandled rejection
      look.catch(() => {});
      memo.stats.set(key, look);
    }
    return resolved;
  }

  #forget(): void {
    for (const memo of this.#memos.values()) memo.stats.clear();
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
    return this.#below.during(path, () => this.inner.open(path, flags, mode));
  }
}
