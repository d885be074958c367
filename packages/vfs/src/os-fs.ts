import { closeSync, constants, ftruncate as ftruncateCallback } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { VfsError } from './errors.js';
import {
  type DirHandle,
  type FileHandle,
  type FileStat,
  type Fs,
  type FsCapabilities,
  type OpenFlags,
  POSIX_CAPABILITIES,
  type RealpathStat,
  type SetStat,
  type StatVfs,
} from './fs.js';
import { blockingIo, type FsIo, inlineLookupsIo, threadPoolIo } from './fs-io.js';
import { DIR_PAGE_SIZE, nodeCall, OsDirHandle, OsFileHandle, toFileStat } from './os-handles.js';
import { O_PATH, outsideRoot, type Resolved, RootWalker, type WalkOptions } from './root-walk.js';
import { cleanVirtualPath } from './virtual-path.js';

/**
 * Permission bits a user may set: set-user-id, set-group-id and sticky are
 * dropped, so that no upload becomes a program that runs as its owner.
 */
const USER_MODE_BITS = 0o777;

const ftruncate = promisify(ftruncateCallback);

function openFlagsToNumber(flags: OpenFlags): number {
  let n = 0;
  if (flags.read && (flags.write || flags.append)) n |= constants.O_RDWR;
  else if (flags.write || flags.append) n |= constants.O_WRONLY;
  else n |= constants.O_RDONLY;
  if (flags.append) n |= constants.O_APPEND;
  if (flags.create) n |= constants.O_CREAT;
  if (flags.truncate) n |= constants.O_TRUNC;
  if (flags.create && flags.exclusive) n |= constants.O_EXCL;
  // the entry opened is the one resolved, never a link put there since; and
  // opening a FIFO must not hang one of the few threads of the file I/O
  return n | constants.O_NOFOLLOW | constants.O_NONBLOCK;
}

export interface OsFsOptions {
  /**
   * Make the calls of reads, writes, stats and path resolution block the
   * event loop, as OpenSSH's `sftp-server` does: faster for a process that
   * serves a single client, and wrong for a server of many.
   */
  readonly blocking?: boolean;
  /**
   * Whether path lookups (each directory crossed, `lstat`, `readlink`,
   * `fstat`) are made on the event loop rather than on libuv's thread pool.
   * They cost microseconds on a local disk, less than a round trip to the
   * pool, and the upload of a small file makes a dozen; on a network or FUSE
   * filesystem a lookup may wait on a server, and must stall only the calls
   * that need it. By default, inline unless the root is on such a
   * filesystem (NFS, SMB, Ceph, AFS, FUSE, ...). Opening a file, reading,
   * writing and closing it always go to the pool (unless `blocking`).
   */
  readonly inlineLookups?: boolean;
  /**
   * Whether operations follow the symbolic links on their paths (inside the
   * root), as by default. With `false`, an operation fails where a link
   * would have to be followed, and a final link is acted on only by the
   * operations that never follow it (lstat, readlink, remove, rename, link,
   * setstat without following): for a caller that resolves each path with
   * {@link OsFs.realpath}, checks the answer, and acts on that answer, so
   * that a link swapped in meanwhile is refused rather than followed.
   */
  readonly followLinks?: boolean;
}

/** Closes the root descriptor of an instance that was dropped without {@link OsFs.close}. */
const openRoots = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
});

const FOLLOW: WalkOptions = { followLast: true, links: 'in-root' };
const STOP: WalkOptions = { followLast: false, links: 'in-root' };

/**
 * The local disk, rooted at a directory. Every path is resolved component
 * by component from a descriptor on the root, each link followed as if the
 * root were `/`, and every call acts on the entry that was resolved through
 * its directory's descriptor (on Linux; see docs/security.md for the rest).
 * Nothing a user names, links or swaps leads out of the root.
 *
 * @example
 * const fs = await OsFs.create('/srv/sftp/alice');
 * const st = await fs.stat('/reports/2026.csv');
 */
export class OsFs implements Fs {
  readonly capabilities: FsCapabilities = POSIX_CAPABILITIES;
  readonly #root: string;
  readonly #io: FsIo;
  readonly #walker: RootWalker;
  readonly #follow: WalkOptions;
  readonly #stop: WalkOptions;
  readonly #inlineLookups: boolean;
  readonly #followsLinks: boolean;

  private constructor(
    realRoot: string,
    io: FsIo,
    walker: RootWalker,
    followLinks: boolean,
    inlineLookups: boolean,
  ) {
    this.#root = realRoot;
    this.#io = io;
    this.#inlineLookups = inlineLookups;
    this.#walker = walker;
    this.#followsLinks = followLinks;
    this.#follow = followLinks ? FOLLOW : { followLast: true, links: 'refuse' };
    this.#stop = followLinks ? STOP : { followLast: false, links: 'refuse' };
    if (walker.byDescriptor) openRoots.register(this, walker.rootDescriptor, this);
  }

  /**
   * Opens `root`, creating it (and its parents) when missing. The instance
   * holds a descriptor on the root: {@link close} it when done.
   */
  static async create(root: string, options: OsFsOptions = {}): Promise<OsFs> {
    await fsp.mkdir(root, { recursive: true });
    const realRoot = await fsp.realpath(root);
    const inline = options.inlineLookups ?? !isRemoteFilesystem((await fsp.statfs(realRoot)).type);
    const io = options.blocking ? blockingIo : inline ? inlineLookupsIo() : threadPoolIo;
    const walker = await RootWalker.open(realRoot, io);
    return new OsFs(
      realRoot,
      io,
      walker,
      options.followLinks ?? true,
      inline || !!options.blocking,
    );
  }

  /** Releases the descriptor held on the root; nothing may be called afterwards. */
  async close(): Promise<void> {
    openRoots.unregister(this);
    await this.#walker.close();
  }

  /**
   * Whether operations follow the symbolic links on their paths (see
   * {@link OsFsOptions.followLinks}); without, a path that an operation
   * accepts has no link on it.
   */
  get followsLinks(): boolean {
    return this.#followsLinks;
  }

  /** Whether path lookups are made on the event loop (see {@link OsFsOptions.inlineLookups}). */
  get inlineLookups(): boolean {
    return this.#inlineLookups;
  }

  /** The real path of the root on the host. */
  get root(): string {
    return this.#root;
  }

  /**
   * Whether paths are walked by descriptor, immune to swaps during the walk
   * (Linux with `/proc`), or by host path.
   */
  get confinedByDescriptor(): boolean {
    return this.#walker.byDescriptor;
  }

  /**
   * The host path of `path` (a clean virtual path) with its links resolved
   * inside the root: for the programs that work on the disk themselves
   * (rsync, git), which run where they can see nothing else.
   */
  async hostPath(path: string): Promise<string> {
    const resolved = await this.realpath(path);
    return resolved === '/' ? this.#root : `${this.#root}${resolved}`;
  }

  /**
   * A descriptor (`O_PATH`) of the directory `path`, resolved as every path
   * is: for a program that must be given exactly this directory, such as a
   * sandbox that binds it by descriptor rather than by a path that could be
   * swapped in between. The caller closes it.
   * @throws {VfsError} `unsupported` where paths are not walked by descriptor
   */
  openDirectory(path: string): Promise<number> {
    return this.#at('opendir', path, this.#follow, async (r) => {
      if (!this.#walker.byDescriptor) {
        throw new VfsError('unsupported', 'directories are not held by descriptor here', path);
      }
      return this.#io.open(r.at, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW, 0);
    });
  }

  realpath(path: string): Promise<string> {
    return this.#at('realpath', path, FOLLOW, async (r) => r.path);
  }

  /** The walk that resolves the path ends with an `lstat` of what it reaches: its answer too. */
  realpathStat(path: string): Promise<RealpathStat> {
    return this.#at('realpath', path, FOLLOW, async (r) => ({
      path: r.path,
      stat: r.stat ? toFileStat(r.stat) : null,
    }));
  }

  stat(path: string): Promise<FileStat> {
    return this.#at('stat', path, this.#follow, async (r) => {
      if (!r.stat) throw notFound('stat', path);
      return toFileStat(r.stat);
    });
  }

  lstat(path: string): Promise<FileStat> {
    return this.#at('lstat', path, this.#stop, async (r) => toFileStat(await this.#io.lstat(r.at)));
  }

  /**
   * Opens the last component with `O_NOFOLLOW` straight away, the usual case
   * costing no `lstat`; only when it is a link is the path walked again,
   * following it.
   */
  open(path: string, flags: OpenFlags, mode = 0o666): Promise<FileHandle> {
    return this.#at('open', path, this.#stop, (r) =>
      this.#openAt(r, flags, mode, path).catch((err: unknown) => {
        if (!isLink(err)) throw err;
        return this.#walker.at(path, this.#follow, (target) =>
          this.#openAt(target, flags, mode, path),
        );
      }),
    );
  }

  async #openAt(r: Resolved, flags: OpenFlags, mode: number, path: string): Promise<FileHandle> {
    const fd = await this.#io.open(r.at, openFlagsToNumber(flags), mode & USER_MODE_BITS);
    // O_CREAT | O_EXCL succeeds only by making a new, empty regular file
    if (flags.create && flags.exclusive) return new OsFileHandle(this.#io, fd, path, 0);
    let size: number;
    try {
      const st = await this.#io.fstat(fd);
      // a device or a FIFO is no file to transfer: reading one could block or read the host's disks
      if (!st.isFile() && !st.isDirectory()) {
        throw new VfsError('permission', `open ${JSON.stringify(path)}: not a regular file`, path);
      }
      size = st.size;
    } catch (err) {
      await this.#io.close(fd).catch(() => {});
      throw err;
    }
    return new OsFileHandle(this.#io, fd, path, size);
  }

  opendir(path: string): Promise<DirHandle> {
    return this.#at('opendir', path, this.#follow, async (r) => {
      if (!r.stat) throw notFound('opendir', path);
      const flags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
      if (!this.#walker.byDescriptor) {
        const dir = await fsp.opendir(r.at, { bufferSize: DIR_PAGE_SIZE });
        return new OsDirHandle(this.#io, dir, r.at, path);
      }
      const fd = await this.#io.open(r.at, flags, 0);
      try {
        const dirPath = `/proc/self/fd/${fd}`;
        const dir = await fsp.opendir(dirPath, { bufferSize: DIR_PAGE_SIZE });
        return new OsDirHandle(this.#io, dir, dirPath, path, fd);
      } catch (err) {
        await this.#io.close(fd).catch(() => {});
        throw err;
      }
    });
  }

  mkdir(path: string, mode = 0o777): Promise<void> {
    return this.#at('mkdir', path, this.#stop, (r) =>
      fsp.mkdir(r.at, { mode: mode & USER_MODE_BITS }),
    );
  }

  rmdir(path: string): Promise<void> {
    return this.#at('rmdir', path, this.#stop, (r) => fsp.rmdir(r.at));
  }

  remove(path: string): Promise<void> {
    return this.#at('remove', path, this.#stop, (r) => fsp.unlink(r.at));
  }

  rename(from: string, to: string): Promise<void> {
    return this.#at('rename', from, this.#stop, (source) =>
      this.#at('rename', to, this.#stop, (target) => fsp.rename(source.at, target.at)),
    );
  }

  link(existing: string, path: string): Promise<void> {
    return this.#at('link', existing, this.#stop, (source) =>
      this.#at('link', path, this.#stop, (target) => fsp.link(source.at, target.at)),
    );
  }

  setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void> {
    const walk = options.followLinks ? this.#follow : this.#stop;
    return this.#at('setstat', path, walk, async (r) => {
      if (r.stat === null) throw notFound('setstat', path);
      if (attrs.size !== undefined) await this.#truncate(r, attrs.size, path);
      if (attrs.mode !== undefined) await this.#chmod(r, attrs.mode, path);
      if (attrs.uid !== undefined || attrs.gid !== undefined) {
        await fsp.lchown(r.at, attrs.uid ?? -1, attrs.gid ?? -1);
      }
      if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
        const st = await this.#io.lstat(r.at);
        await fsp.lutimes(
          r.at,
          (attrs.atimeMs ?? st.atimeMs) / 1000,
          (attrs.mtimeMs ?? st.mtimeMs) / 1000,
        );
      }
    });
  }

  async #truncate(r: Resolved, size: number, path: string): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    const fd = await this.#io.open(r.at, flags, 0).catch((err: unknown) => {
      throw isLink(err) ? linkHasNo('size', path) : err;
    });
    try {
      if (!(await this.#io.fstat(fd)).isFile()) {
        throw new VfsError(
          'permission',
          `truncate ${JSON.stringify(path)}: not a regular file`,
          path,
        );
      }
      await ftruncate(fd, size);
    } finally {
      await this.#io.close(fd);
    }
  }

  /** Changes the mode of exactly the entry resolved: Linux has no chmod that stops at a link. */
  async #chmod(r: Resolved, mode: number, path: string): Promise<void> {
    if (!this.#walker.byDescriptor) {
      if ((await this.#io.lstat(r.at)).isSymbolicLink()) throw linkHasNo('mode', path);
      await fsp.chmod(r.at, mode & USER_MODE_BITS);
      return;
    }
    const fd = await this.#io.open(r.at, O_PATH | constants.O_NOFOLLOW, 0);
    try {
      if ((await this.#io.fstat(fd)).isSymbolicLink()) throw linkHasNo('mode', path);
      await fsp.chmod(`/proc/self/fd/${fd}`, mode & USER_MODE_BITS);
    } finally {
      await this.#io.close(fd);
    }
  }

  async symlink(target: string, path: string): Promise<void> {
    if (target === '' || target.includes('\0')) throw outsideRoot(target);
    await this.#at('symlink', path, this.#stop, async (r) => {
      const dir = posix.dirname(r.path);
      const stored = posix.isAbsolute(target)
        ? `${this.#root}${cleanVirtualPath(target)}`.replace(/\/$/, '')
        : target;
      // refused where the kernel, following the links already there, would leave the root:
      // other programs (git, rsync, a backup) follow links without our walk
      const where = posix.isAbsolute(target) ? cleanVirtualPath(target) : `${dir}/${target}`;
      await this.#walker.at(where, { followLast: true, links: 'check' }, async () => {});
      await fsp.symlink(stored, r.at);
    });
  }

  readlink(path: string): Promise<string> {
    return this.#at('readlink', path, this.#stop, async (r) => {
      const target = await this.#io.readlink(r.at);
      if (target !== this.#root && !target.startsWith(`${this.#root}/`)) return target;
      return target.slice(this.#root.length) || '/';
    });
  }

  statvfs(path: string): Promise<StatVfs> {
    return this.#at('statvfs', path, this.#follow, async (r) => {
      const st = await fsp.statfs(r.dir.path);
      return {
        bsize: st.bsize,
        frsize: st.bsize,
        blocks: st.blocks,
        bfree: st.bfree,
        bavail: st.bavail,
        files: st.files,
        ffree: st.ffree,
        favail: st.ffree,
        fsid: 0,
        flag: 0,
        namemax: 255,
      };
    });
  }

  /** Resolves `path`, runs `call` on it, and turns errors of Node's `fs` into ones about `path`. */
  #at<T>(
    op: string,
    path: string,
    walk: WalkOptions,
    call: (r: Resolved) => Promise<T>,
  ): Promise<T> {
    return nodeCall(op, path, () => this.#walker.at(path, walk, call));
  }
}

/**
 * The `statfs` magic numbers of the filesystems whose calls may wait on
 * another machine or process: NFS, SMB (CIFS, SMB2), Ceph, AFS, Coda,
 * 9p, Lustre, GPFS, and FUSE (sshfs, s3fs, GlusterFS, ...).
 */
const REMOTE_FILESYSTEMS = new Set([
  0x6969, 0xff534d42, 0xfe534d42, 0x517b, 0x00c36400, 0x5346414f, 0x6b414653, 0x73757245,
  0x01021997, 0x0bd00bd0, 0x47504653, 0x65735546,
]);

function isRemoteFilesystem(type: number): boolean {
  return REMOTE_FILESYSTEMS.has(type);
}

function notFound(op: string, path: string): VfsError {
  return new VfsError(
    'not-found',
    `${op} ${JSON.stringify(path)}: no such file or directory`,
    path,
  );
}

function isLink(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ELOOP';
}

function linkHasNo(attribute: string, path: string): VfsError {
  return new VfsError(
    'unsupported',
    `${JSON.stringify(path)}: is a symbolic link, whose ${attribute} cannot be changed`,
    path,
  );
}
