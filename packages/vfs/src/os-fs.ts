import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fromNodeError, VfsError } from './errors.js';
import type { DirHandle, FileHandle, FileStat, Fs, OpenFlags, SetStat, StatVfs } from './fs.js';
import { blockingIo, type FsIo, threadPoolIo } from './fs-io.js';
import { DIR_PAGE_SIZE, nodeCall, OsDirHandle, OsFileHandle, toFileStat } from './os-handles.js';
import { cleanVirtualPath } from './virtual-path.js';

/** Symbolic links followed while resolving one path, as Linux's MAXSYMLINKS. */
const MAX_SYMLINK_DEPTH = 40;

function openFlagsToNumber(flags: OpenFlags): number {
  let n = 0;
  if (flags.read && (flags.write || flags.append)) n |= constants.O_RDWR;
  else if (flags.write || flags.append) n |= constants.O_WRONLY;
  else n |= constants.O_RDONLY;
  if (flags.append) n |= constants.O_APPEND;
  if (flags.create) n |= constants.O_CREAT;
  if (flags.truncate) n |= constants.O_TRUNC;
  if (flags.create && flags.exclusive) n |= constants.O_EXCL;
  // The path opened is already resolved: a final link there appeared since,
  // planted between the check and the open.
  return n | (constants.O_NOFOLLOW ?? 0);
}

/** Where Linux shows what a descriptor really opened. */
const PROC_FD = '/proc/self/fd';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export interface OsFsOptions {
  /**
   * Make the calls of reads, writes, stats and path resolution block the
   * event loop, as OpenSSH's `sftp-server` does: faster for a process that
   * serves a single client, and wrong for a server of many.
   */
  readonly blocking?: boolean;
}

/**
 * The local disk, rooted at a directory. Every path is resolved through its
 * symbolic links and refused if it lands outside the root.
 *
 * @example
 * const fs = await OsFs.create('/srv/sftp/alice');
 * const st = await fs.stat('/reports/2026.csv');
 */
export class OsFs implements Fs {
  readonly #root: string;
  readonly #io: FsIo;

  private constructor(realRoot: string, io: FsIo) {
    this.#root = realRoot;
    this.#io = io;
  }

  /** Opens `root`, creating it (and its parents) when missing. */
  static async create(root: string, options: OsFsOptions = {}): Promise<OsFs> {
    await fsp.mkdir(root, { recursive: true });
    const io = options.blocking ? blockingIo : threadPoolIo;
    return new OsFs(await fsp.realpath(root), io);
  }

  #inside(hostPath: string): boolean {
    return hostPath === this.#root || hostPath.startsWith(this.#root + sep);
  }

  /**
   * Resolves a host path through every symbolic link it crosses, even a
   * dangling one, so that a link pointing out of the root is caught whether
   * or not its target exists.
   */
  async #resolveHost(hostPath: string, vpath: string, depth: number): Promise<string> {
    if (depth > MAX_SYMLINK_DEPTH) {
      throw new VfsError(
        'invalid-path',
        `${JSON.stringify(vpath)}: too many symbolic links`,
        vpath,
      );
    }
    let existing = hostPath;
    const missing: string[] = [];
    for (;;) {
      try {
        existing = await this.#io.realpath(existing);
        break;
      } catch (err) {
        if (!isMissing(err) || existing === dirname(existing))
          throw fromNodeError(err, 'stat', vpath);
        missing.unshift(basename(existing));
        existing = dirname(existing);
      }
    }
    if (!this.#inside(existing)) throw outsideRoot(vpath);
    const [first, ...rest] = missing;
    if (first === undefined) return existing;
    const child = join(existing, first);
    let link: string;
    try {
      link = await this.#io.readlink(child);
    } catch {
      return join(child, ...rest); // simply does not exist yet
    }
    return this.#resolveHost(join(resolve(existing, link), ...rest), vpath, depth + 1);
  }

  /** The host path of `vpath`, following a final symbolic link or not. */
  async #hostPath(vpath: string, followLast: boolean): Promise<string> {
    const lexical = vpath === '/' ? this.#root : join(this.#root, vpath);
    if (followLast || lexical === this.#root) return this.#resolveHost(lexical, vpath, 0);
    const parent = await this.#resolveHost(dirname(lexical), vpath, 0);
    return join(parent, basename(lexical));
  }

  /** The real path of the root on the host. */
  get root(): string {
    return this.#root;
  }

  /**
   * The host path of `path` (a clean virtual path) through its links, checked
   * to be inside the root: for the programs that work on the disk themselves
   * (rsync, git), which this filesystem cannot mediate.
   * @throws {VfsError} when the path, or a link on it, leads out of the root
   */
  hostPath(path: string): Promise<string> {
    return this.#hostPath(path, true);
  }

  async stat(path: string): Promise<FileStat> {
    const host = await this.#hostPath(path, true);
    return toFileStat(await nodeCall('stat', path, () => this.#io.stat(host)));
  }

  async lstat(path: string): Promise<FileStat> {
    const host = await this.#hostPath(path, false);
    return toFileStat(await nodeCall('lstat', path, () => this.#io.lstat(host)));
  }

  async open(path: string, flags: OpenFlags, mode = 0o666): Promise<FileHandle> {
    const host = await this.#hostPath(path, true);
    const fd = await nodeCall('open', path, () =>
      this.#io.open(host, openFlagsToNumber(flags), mode),
    );
    await this.#checkOpened(fd, path);
    return new OsFileHandle(this.#io, fd, path);
  }

  /**
   * Closes the race where a directory on the path is swapped for a link
   * between resolution and open: what the descriptor actually opened must lie
   * inside the root. Where `/proc` is missing, the resolution stands alone.
   */
  async #checkOpened(fd: number, path: string): Promise<void> {
    let opened: string;
    try {
      opened = await this.#io.readlink(`${PROC_FD}/${fd}`);
    } catch {
      return;
    }
    if (this.#inside(opened)) return;
    await this.#io.close(fd).catch(() => {});
    throw outsideRoot(path);
  }

  async opendir(path: string): Promise<DirHandle> {
    const host = await this.#hostPath(path, true);
    const dir = await nodeCall('opendir', path, () =>
      fsp.opendir(host, { bufferSize: DIR_PAGE_SIZE }),
    );
    return new OsDirHandle(this.#io, dir, host, path);
  }

  async mkdir(path: string, mode = 0o777): Promise<void> {
    const host = await this.#hostPath(path, false);
    await nodeCall('mkdir', path, () => fsp.mkdir(host, { mode }));
  }

  async rmdir(path: string): Promise<void> {
    const host = await this.#hostPath(path, false);
    await nodeCall('rmdir', path, () => fsp.rmdir(host));
  }

  async remove(path: string): Promise<void> {
    const host = await this.#hostPath(path, false);
    await nodeCall('remove', path, () => fsp.unlink(host));
  }

  async rename(from: string, to: string): Promise<void> {
    const [hostFrom, hostTo] = await Promise.all([
      this.#hostPath(from, false),
      this.#hostPath(to, false),
    ]);
    await nodeCall('rename', from, () => fsp.rename(hostFrom, hostTo));
  }

  async setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void> {
    const follow = options.followLinks;
    const host = await this.#hostPath(path, follow);
    await nodeCall('setstat', path, async () => {
      // Linux cannot change the mode or the size of a link itself.
      if (!follow && (attrs.size !== undefined || attrs.mode !== undefined)) {
        if ((await fsp.lstat(host)).isSymbolicLink()) {
          throw new VfsError('unsupported', `${JSON.stringify(path)}: is a symbolic link`, path);
        }
      }
      if (attrs.size !== undefined) await fsp.truncate(host, attrs.size);
      if (attrs.mode !== undefined) await fsp.chmod(host, attrs.mode & 0o7777);
      if (attrs.uid !== undefined || attrs.gid !== undefined) {
        await (follow ? fsp.chown : fsp.lchown)(host, attrs.uid ?? -1, attrs.gid ?? -1);
      }
      if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
        const st = await (follow ? fsp.stat : fsp.lstat)(host);
        await (follow ? fsp.utimes : fsp.lutimes)(
          host,
          (attrs.atimeMs ?? st.atimeMs) / 1000,
          (attrs.mtimeMs ?? st.mtimeMs) / 1000,
        );
      }
    });
  }

  async symlink(target: string, path: string): Promise<void> {
    let stored: string;
    if (posix.isAbsolute(target)) {
      stored = join(this.#root, cleanVirtualPath(target));
    } else {
      if (target === '' || target.includes('\0') || climbsAboveRoot(posix.dirname(path), target)) {
        throw outsideRoot(target);
      }
      stored = target;
    }
    const host = await this.#hostPath(path, false);
    await nodeCall('symlink', path, () => fsp.symlink(stored, host));
  }

  async readlink(path: string): Promise<string> {
    const host = await this.#hostPath(path, false);
    const target = await nodeCall('readlink', path, () => fsp.readlink(host));
    if (!posix.isAbsolute(target)) return target;
    if (!this.#inside(target)) throw outsideRoot(path);
    return `/${relative(this.#root, target).split(sep).join('/')}`.replace(/\/+$/, '') || '/';
  }

  async link(existing: string, path: string): Promise<void> {
    const [hostExisting, host] = await Promise.all([
      this.#hostPath(existing, false),
      this.#hostPath(path, false),
    ]);
    await nodeCall('link', path, () => fsp.link(hostExisting, host));
  }

  async statvfs(path: string): Promise<StatVfs> {
    const host = await this.#hostPath(path, true);
    const st = await nodeCall('statvfs', path, () => fsp.statfs(host));
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
  }
}

/** Whether `target`, relative to the virtual directory `dir`, climbs above `/`. */
function climbsAboveRoot(dir: string, target: string): boolean {
  let depth = dir.split('/').filter(Boolean).length;
  for (const part of target.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

function outsideRoot(vpath: string): VfsError {
  return new VfsError('permission', `${JSON.stringify(vpath)}: outside the user's root`, vpath);
}
