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

  constructor(fs: Fs, permissions: DirectoryPermissions) {
    super(fs);
    this.#permissions = permissions;
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

  /** Where `path` leads, a final link followed. */
  #resolve(path: string): Promise<string> {
    return this.inner.realpath(path);
  }

  /** Where the entry `path` itself is: its directory resolved, a final link not followed. */
  async #resolveEntry(path: string): Promise<string> {
    if (path === '/') return path;
    return posix.join(await this.inner.realpath(posix.dirname(path)), posix.basename(path));
  }

  override async stat(path: string): Promise<FileStat> {
    const resolved = await this.#resolve(path);
    this.#requireIn('list', resolved, 'stat');
    return this.inner.stat(resolved);
  }

  override async lstat(path: string): Promise<FileStat> {
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('list', resolved, 'lstat');
    return this.inner.lstat(resolved);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const resolved = await this.#resolve(path);
    if (flags.read) this.#requireIn('download', resolved, 'open');
    if (flags.write || flags.append || flags.create || flags.truncate) {
      this.#requireIn('upload', resolved, 'open');
      const mustBeNew = flags.create && flags.exclusive;
      if (!mustBeNew && (await exists(this.inner, resolved)))
        this.#requireIn('overwrite', resolved, 'open');
    }
    const handle = await this.inner.open(resolved, flags, mode);
    return new PolicyFileHandle(handle, (attrs) => this.#checkSetStat(resolved, attrs));
  }

  override async opendir(path: string): Promise<DirHandle> {
    const resolved = await this.#resolve(path);
    this.#require('list', resolved, 'opendir', resolved);
    return this.inner.opendir(resolved);
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('create_dirs', resolved, 'mkdir');
    return this.inner.mkdir(resolved, mode);
  }

  override async rmdir(path: string): Promise<void> {
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('delete', resolved, 'rmdir');
    return this.inner.rmdir(resolved);
  }

  override async remove(path: string): Promise<void> {
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('delete', resolved, 'remove');
    return this.inner.remove(resolved);
  }

  override async rename(from: string, to: string): Promise<void> {
    const [source, target] = await Promise.all([this.#resolveEntry(from), this.#resolveEntry(to)]);
    if (source === '/' || target === '/') {
      throw new VfsError('permission', 'rename: the root directory cannot be renamed', from);
    }
    this.#requireIn('rename', source, 'rename');
    this.#requireIn('rename', target, 'rename');
    return this.inner.rename(source, target);
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    const resolved = options.followLinks
      ? await this.#resolve(path)
      : await this.#resolveEntry(path);
    this.#checkSetStat(resolved, attrs);
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
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('create_symlinks', resolved, 'symlink');
    // A link into a directory is a way into it: where the target leads must
    // allow links as well.
    const leadsTo = await this.#resolve(posix.resolve(posix.dirname(resolved), target)).catch(() =>
      posix.resolve(posix.dirname(resolved), target),
    );
    this.#requireIn('create_symlinks', leadsTo, 'symlink');
    return this.inner.symlink(target, resolved);
  }

  override async readlink(path: string): Promise<string> {
    const resolved = await this.#resolveEntry(path);
    this.#requireIn('list', resolved, 'readlink');
    return this.inner.readlink(resolved);
  }

  override async link(existing: string, path: string): Promise<void> {
    const [source, target] = await Promise.all([
      this.#resolveEntry(existing),
      this.#resolveEntry(path),
    ]);
    this.#requireIn('create_symlinks', target, 'link');
    this.#requireIn('download', source, 'link');
    return this.inner.link(source, target);
  }

  override async statvfs(path: string): Promise<StatVfs> {
    return this.inner.statvfs(await this.#resolve(path));
  }
}
