import { posix } from 'node:path';
import type { Permission } from '@sftpgo/provider';
import {
  type DirHandle,
  exists,
  type FileHandle,
  type FileStat,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type OpenFlags,
  type SetStat,
  type StatVfs,
  VfsError,
} from '@sftpgo/vfs';
import type { DirectoryPermissions } from './directory-permissions.js';

/** An open file whose attribute changes go through the same checks as paths'. */
class PolicyFileHandle extends ForwardingFileHandle {
  readonly #checkSetStat: (attrs: SetStat) => void;

  constructor(handle: FileHandle, checkSetStat: (attrs: SetStat) => void) {
    super(handle);
    this.#checkSetStat = checkSetStat;
  }

  override async setstat(attrs: SetStat): Promise<void> {
    this.#checkSetStat(attrs);
    await this.inner.setstat(attrs);
  }
}

/**
 * The filesystem as one user may use it: every operation is checked against
 * the user's per-directory permissions before it reaches the storage.
 * Permissions are those of the directory that holds the entry acted on; a
 * listing needs `list` on the directory listed.
 *
 * Each path is first resolved through its links (inside the root), the
 * permissions are those of where it leads, and the operation is passed on
 * with that resolved path: the storage below must refuse to follow any link
 * (an `OsFs` with `followLinks: false`), so that a link swapped in after the
 * check fails instead of leading elsewhere.
 */
export class PolicyFs extends ForwardingFs {
  readonly #permissions: DirectoryPermissions;
  readonly #linksRefused: boolean;

  /**
   * @param options.linksRefused the storage below refuses every path with a
   *   link on it (an `OsFs` with `followLinks: false`, or a storage without
   *   links): a path it opens is then where the path leads, and an open is
   *   first tried as named, with one walk instead of two
   */
  constructor(
    fs: Fs,
    permissions: DirectoryPermissions,
    options: { readonly linksRefused?: boolean } = {},
  ) {
    super(fs);
    this.#permissions = permissions;
    this.#linksRefused = options.linksRefused ?? false;
  }

  #require(permission: Permission, dir: string, op: string, path: string): void {
    if (!this.#permissions.has(permission, dir)) {
      throw new VfsError(
        'permission',
        `${op} ${JSON.stringify(path)}: permission denied (needs "${permission}")`,
        path,
      );
    }
  }

  /** Checks `permission` in the directory that holds `path`. */
  #requireIn(permission: Permission, path: string, op: string): void {
    this.#require(permission, posix.dirname(path), op, path);
  }

  /**
   * Where `path` leads (a final link followed, or with `entry` the entry
   * itself: its directory resolved), once `check` allows it there. A path
   * that cannot be resolved is checked as it was named before its error is
   * told, so that a refused user learns nothing of what exists there.
   */
  async #resolve(path: string, check: (resolved: string) => void, entry = false): Promise<string> {
    let resolved: string;
    try {
      resolved =
        !entry || path === '/'
          ? await this.inner.realpath(path)
          : posix.join(await this.inner.realpath(posix.dirname(path)), posix.basename(path));
    } catch (err) {
      check(path);
      throw err;
    }
    check(resolved);
    return resolved;
  }

  override async stat(path: string): Promise<FileStat> {
    const resolved = await this.#resolve(path, (p) => this.#requireIn('list', p, 'stat'));
    return this.inner.stat(resolved);
  }

  override async lstat(path: string): Promise<FileStat> {
    const resolved = await this.#resolve(path, (p) => this.#requireIn('list', p, 'lstat'), true);
    return this.inner.lstat(resolved);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const writes = flags.write || flags.append || flags.create || flags.truncate;
    if (this.#linksRefused) {
      const handle = await this.#openAsNamed(path, flags, mode, writes);
      if (handle) return handle;
    }
    const resolved = await this.#resolve(path, (p) => {
      if (flags.read) this.#requireIn('download', p, 'open');
      if (writes) this.#requireIn('upload', p, 'open');
    });
    const mustBeNew = flags.create && flags.exclusive;
    if (writes && !mustBeNew && (await exists(this.inner, resolved))) {
      this.#requireIn('overwrite', resolved, 'open');
    }
    const handle = await this.inner.open(resolved, flags, mode);
    return new PolicyFileHandle(handle, (attrs) => this.#checkSetStat(resolved, attrs));
  }

  /**
   * Opens `path` as named where that alone decides, as it does for a
   * download or the upload of a new file: the storage refuses links, so the
   * path opened is the path named, and a file created exclusively needs no
   * permission to overwrite. `undefined` where the resolved path must decide
   * ({@link open} then does): a link on the path, a file already there, or a
   * permission that the path as named does not give.
   */
  async #openAsNamed(
    path: string,
    flags: OpenFlags,
    mode: number | undefined,
    writes: boolean | undefined,
  ): Promise<FileHandle | undefined> {
    const dir = posix.dirname(path);
    if (flags.read && !this.#permissions.has('download', dir)) return undefined;
    if (writes && !(flags.create && this.#permissions.has('upload', dir))) return undefined;
    try {
      const handle = await this.inner.open(
        path,
        writes ? { ...flags, exclusive: true } : flags,
        mode,
      );
      return new PolicyFileHandle(handle, (attrs) => this.#checkSetStat(path, attrs));
    } catch (err) {
      // a link on the path (refused), or an entry there already, even a link
      if (err instanceof VfsError && (err.code === 'invalid-path' || err.code === 'exists')) {
        return undefined;
      }
      throw err;
    }
  }

  override async opendir(path: string): Promise<DirHandle> {
    const resolved = await this.#resolve(path, (p) => this.#require('list', p, 'opendir', p));
    return this.inner.opendir(resolved);
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    const check = (p: string) => this.#requireIn('create_dirs', p, 'mkdir');
    return this.inner.mkdir(await this.#resolve(path, check, true), mode);
  }

  override async rmdir(path: string): Promise<void> {
    const check = (p: string) => this.#requireIn('delete', p, 'rmdir');
    return this.inner.rmdir(await this.#resolve(path, check, true));
  }

  override async remove(path: string): Promise<void> {
    const check = (p: string) => this.#requireIn('delete', p, 'remove');
    return this.inner.remove(await this.#resolve(path, check, true));
  }

  override async rename(from: string, to: string): Promise<void> {
    const notRoot = (p: string) => {
      if (p === '/') {
        throw new VfsError('permission', 'rename: the root directory cannot be renamed', from);
      }
    };
    notRoot(from);
    notRoot(to);
    const check = (p: string) => {
      notRoot(p);
      this.#requireIn('rename', p, 'rename');
    };
    const [source, target] = await Promise.all([
      this.#resolve(from, check, true),
      this.#resolve(to, check, true),
    ]);
    return this.inner.rename(source, target);
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    const check = (p: string) => this.#checkSetStat(p, attrs);
    const resolved = await this.#resolve(path, check, !options.followLinks);
    return this.inner.setstat(resolved, attrs, options);
  }

  /** The permissions that each kind of attribute change needs. */
  #checkSetStat(path: string, attrs: SetStat): void {
    if (attrs.size !== undefined) this.#requireIn('overwrite', path, 'truncate');
    if (attrs.mode !== undefined) this.#requireIn('chmod', path, 'chmod');
    if (attrs.uid !== undefined || attrs.gid !== undefined) this.#requireIn('chown', path, 'chown');
    if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
      this.#requireIn('chtimes', path, 'chtimes');
    }
  }

  override async symlink(target: string, path: string): Promise<void> {
    const check = (p: string) => this.#requireIn('create_symlinks', p, 'symlink');
    const resolved = await this.#resolve(path, check, true);
    // A link into a directory is a way into it: where the target leads must
    // allow links as well.
    const named = posix.resolve(posix.dirname(resolved), target);
    await this.#resolve(named, check).catch((err: unknown) => {
      if (!(err instanceof VfsError) || err.code === 'permission') throw err;
    });
    return this.inner.symlink(target, resolved);
  }

  override async readlink(path: string): Promise<string> {
    const check = (p: string) => this.#requireIn('list', p, 'readlink');
    return this.inner.readlink(await this.#resolve(path, check, true));
  }

  override async link(existing: string, path: string): Promise<void> {
    const [source, target] = await Promise.all([
      this.#resolve(existing, (p) => this.#requireIn('download', p, 'link'), true),
      this.#resolve(path, (p) => this.#requireIn('create_symlinks', p, 'link'), true),
    ]);
    return this.inner.link(source, target);
  }

  override async statvfs(path: string): Promise<StatVfs> {
    return this.inner.statvfs(await this.#resolve(path, () => {}));
  }
}
