import * as fs from 'node:fs';

/**
 * The calls of Node's `fs` on the transfer and path-resolution paths, as
 * promises. Three implementations: one on libuv's thread pool; one that
 * makes path lookups inline and the rest on the thread pool, for a server
 * with many clients; one blocking, for a process serving a single client,
 * as OpenSSH's `sftp-server` does, where the thread pool's round trips cost
 * more than the calls themselves.
 */
export interface FsIo {
  open(path: string, flags: number, mode: number): Promise<number>;
  close(fd: number): Promise<void>;
  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  fstat(fd: number): Promise<fs.Stats>;
  stat(path: string): Promise<fs.Stats>;
  lstat(path: string): Promise<fs.Stats>;
  /**
   * `lstat`, with `null` where nothing is there: an upload's target usually
   * is not, and Node's error for it, with its stack trace, costs more than
   * the call.
   */
  lstatIfAny(path: string): Promise<fs.Stats | null>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
}

/**
 * Linux's `O_PATH` (absent from Node's constants): a descriptor that names a
 * file or directory without opening it for reading or writing. The value of
 * x86-64, arm64 and most other architectures.
 */
export const O_PATH = 0o10000000;

function settle<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null, value: T) => (err ? reject(err) : resolve(value));
}

// The callback API rather than fs/promises: its FileHandle costs about twice
// the CPU per read or write, and its stat calls a third more.
export const threadPoolIo: FsIo = {
  open: (path, flags, mode) =>
    new Promise((resolve, reject) => fs.open(path, flags, mode, settle(resolve, reject))),
  close: (fd) =>
    new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  read: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) =>
      fs.read(fd, buffer, offset, length, position, settle(resolve, reject)),
    ),
  write: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) =>
      fs.write(fd, buffer, offset, length, position, settle(resolve, reject)),
    ),
  fstat: (fd) => new Promise((resolve, reject) => fs.fstat(fd, settle(resolve, reject))),
  stat: (path) => new Promise((resolve, reject) => fs.stat(path, settle(resolve, reject))),
  lstat: (path) => new Promise((resolve, reject) => fs.lstat(path, settle(resolve, reject))),
  lstatIfAny: (path) =>
    new Promise((resolve, reject) =>
      fs.lstat(path, (err, st) => {
        if (err?.code === 'ENOENT') resolve(null);
        else if (err) reject(err);
        else resolve(st);
      }),
    ),
  realpath: (path) =>
    new Promise((resolve, reject) => fs.realpath.native(path, settle(resolve, reject))),
  readlink: (path) => new Promise((resolve, reject) => fs.readlink(path, settle(resolve, reject))),
};

export const blockingIo: FsIo = {
  open: async (path, flags, mode) => fs.openSync(path, flags, mode),
  close: async (fd) => fs.closeSync(fd),
  read: async (fd, buffer, offset, length, position) =>
    fs.readSync(fd, buffer, offset, length, position),
  write: async (fd, buffer, offset, length, position) =>
    fs.writeSync(fd, buffer, offset, length, position),
  fstat: async (fd) => fs.fstatSync(fd),
  stat: async (path) => fs.statSync(path),
  lstat: async (path) => fs.lstatSync(path),
  lstatIfAny: async (path) => fs.lstatSync(path, { throwIfNoEntry: false }) ?? null,
  realpath: async (path) => fs.realpathSync.native(path),
  readlink: async (path) => fs.readlinkSync(path),
};

const { O_CREAT, O_EXCL, O_RDWR, O_TRUNC, O_WRONLY } = fs.constants;
/** Flags that an open changing nothing has none of: write access, creation, truncation. */
const CHANGING = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC;

/** Reads and writes that start this close to a file's start may be made inline. */
export const INLINE_SPAN = 64 * 1024;

/**
 * Whether the reads and writes of a process are made on its event loop, as
 * {@link inlineLookupsIo} does near a file's start: while they are fast.
 * The event loop is the process's, whatever file made it wait. A disk that
 * makes calls wait does so for every call (reads of what is not cached,
 * writes throttled): three slow calls in a row show it, where one may be
 * the process losing its core for a moment on a busy machine.
 */
export class InlineDataCalls {
  readonly #slowCallMs: number;
  readonly #poolForMs: number;
  /** Slow calls since the last fast one. */
  #slowInARow = 0;
  /** When inline calls resume, after some were slow. */
  #inlineFrom = 0;

  /**
   * @param slowCallMs a call that takes longer is slow
   * @param poolForMs how long every read and write goes to the pool after
   *   {@link SLOW_IN_A_ROW} slow ones
   */
  constructor(slowCallMs = 1, poolForMs = 5_000) {
    this.#slowCallMs = slowCallMs;
    this.#poolForMs = poolForMs;
  }

  /** Runs `call` inline and notes its time; `undefined` while calls go to the pool. */
  run(call: () => number): Promise<number> | undefined {
    const start = performance.now();
    if (start < this.#inlineFrom) return undefined;
    try {
      return Promise.resolve(call());
    } catch (err) {
      return Promise.reject(err);
    } finally {
      const end = performance.now();
      if (end - start <= this.#slowCallMs) this.#slowInARow = 0;
      else if (++this.#slowInARow >= SLOW_IN_A_ROW) {
        this.#slowInARow = 0;
        this.#inlineFrom = end + this.#poolForMs;
      }
    }
  }
}

/** Slow inline calls in a row that send reads and writes to the pool. */
export const SLOW_IN_A_ROW = 3;

const processDataCalls = new InlineDataCalls();

/**
 * Path lookups inline, file I/O on the thread pool. A lookup (a directory's
 * `O_PATH` open and close, `lstat`, `stat`, `readlink`, `fstat`) costs a few
 * microseconds on a local disk, far less than a round trip to the thread
 * pool, and a small file's transfer makes a dozen of them. Opening a file
 * to read it, creating a new file, and closing either are as cheap: they
 * move no data and flush nothing. Truncating an existing file and closing
 * one that was truncated (which may start its write-back) go to the pool.
 *
 * Reads and writes that start within a file's first {@link INLINE_SPAN}
 * bytes are made inline too, while they are fast: a small file is then read
 * or written without waiting for another thread (the round trip takes
 * longer than the copy into or out of the page cache, and the client waits
 * for each reply), and a large one streams from the pool after its first
 * requests. Data calls are the ones that can wait on the disk (a read not
 * cached, a write throttled while the page cache holds too much to write
 * back): once three made inline in a row take over a millisecond each,
 * every read and write of the process goes to the pool for the next five
 * seconds (see {@link InlineDataCalls}). On a network filesystem whose lookups can
 * stall, use {@link threadPoolIo}, so that a slow server stalls only its
 * callers.
 */
export function inlineLookupsIo(dataCalls = processDataCalls): FsIo {
  return new InlineLookupsIo(dataCalls);
}

/**
 * {@link inlineLookupsIo}'s calls, as methods that every instance shares.
 * Each session has an instance: were the calls closures of each one, V8's
 * optimized code would hold the first session's closures, and be thrown
 * away, then optimized again, every time a session ended.
 */
class InlineLookupsIo implements FsIo {
  readonly #dataCalls: InlineDataCalls;
  /** Descriptors of files opened without write access or created new: closing them does no I/O. */
  readonly #lookups = new Set<number>();

  constructor(dataCalls: InlineDataCalls) {
    this.#dataCalls = dataCalls;
  }

  #inline(path: string, flags: number, mode: number): number {
    const fd = fs.openSync(path, flags, mode);
    this.#lookups.add(fd);
    return fd;
  }

  read(fd: number, buffer: Buffer, offset: number, length: number, position: number) {
    if (position < INLINE_SPAN) {
      const done = this.#dataCalls.run(() => fs.readSync(fd, buffer, offset, length, position));
      if (done) return done;
    }
    return threadPoolIo.read(fd, buffer, offset, length, position);
  }

  write(fd: number, buffer: Buffer, offset: number, length: number, position: number) {
    if (position < INLINE_SPAN) {
      const done = this.#dataCalls.run(() => fs.writeSync(fd, buffer, offset, length, position));
      if (done) return done;
    }
    return threadPoolIo.write(fd, buffer, offset, length, position);
  }

  async open(path: string, flags: number, mode: number): Promise<number> {
    if ((flags & CHANGING) === 0) return this.#inline(path, flags, mode);
    if ((flags & O_CREAT) !== 0) {
      // a file that is not there yet: created, with nothing to truncate
      try {
        return this.#inline(path, (flags & ~O_TRUNC) | O_EXCL, mode);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || (flags & O_EXCL) !== 0) {
          throw err;
        }
      }
    }
    // there already (or a link, which the flags decide about): opened as asked
    return threadPoolIo.open(path, flags, mode);
  }

  async close(fd: number): Promise<void> {
    if (!this.#lookups.delete(fd)) return threadPoolIo.close(fd);
    fs.closeSync(fd);
  }

  readonly fstat = blockingIo.fstat;
  readonly stat = blockingIo.stat;
  readonly lstat = blockingIo.lstat;
  readonly lstatIfAny = blockingIo.lstatIfAny;
  readonly realpath = threadPoolIo.realpath;
  readonly readlink = blockingIo.readlink;
}
