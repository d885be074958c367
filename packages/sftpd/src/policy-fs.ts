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

  override async stat(path: string): Promise<FileStat> {
    this.#requireIn('list', path, 'stat');
    return this.inner.stat(path);
  }

  override async lstat(path: string): Promise<FileStat> {
    this.#requireIn('list', path, 'lstat');
    return this.inner.lstat(path);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    if (flags.read) this.#requireIn('download', path, 'open');
    if (flags.write || flags.append || flags.create || flags.truncate) {
      this.#requireIn('upload', path, 'open');
      const mustBeNew = flags.create && flags.exclusive;
      if (!mustBeNew && (await exists(this.inner, path)))
        this.#requireIn('overwrite', path, 'open');
    }
    const handle = await this.inner.open(path, flags, mode);
    return new PolicyFileHandle(handle, (attrs) => this.#checkSetStat(path, attrs));
  }

  override async opendir(path: string): Promise<DirHandle> {
    this.#require('list', path, 'opendir', path);
    return this.inner.opendir(path);
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    this.#requireIn('create_dirs', path, 'mkdir');
    return this.inner.mkdir(path, mode);
  }

  override async rmdir(path: string): Promise<void> {
    this.#requireIn('delete', path, 'rmdir');
    return this.inner.rmdir(path);
  }

  override async remove(path: string): Promise<void> {
    this.#requireIn('delete', path, 'remove');
    return this.inner.remove(path);
  }

  override async rename(from: string, to: string): Promise<void> {
    if (from === '/' || to === '/') {
      throw new VfsError('permission', 'rename: the root directory cannot be renamed', from);
    }
    this.#requireIn('rename', from, 'rename');
    this.#requireIn('rename', to, 'rename');
    return this.inner.rename(from, to);
  }

  override async setstat(
    path: string,
    attrs: SetStat,
    options: { followLinks: boolean },
  ): Promise<void> {
    this.#checkSetStat(path, attrs);
    return this.inner.setstat(path, attrs, options);
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
    this.#requireIn('create_symlinks', path, 'symlink');
    // A link into a directory is a way into it: the target's directory must
    // allow links as well.
    this.#requireIn('create_symlinks', posix.resolve(posix.dirname(path), target), 'symlink');
    return this.inner.symlink(target, path);
  }

  override async readlink(path: string): Promise<string> {
    this.#requireIn('list', path, 'readlink');
    return this.inner.readlink(path);
  }

  override async link(existing: string, path: string): Promise<void> {
    this.#requireIn('create_symlinks', path, 'link');
    this.#requireIn('download', existing, 'link');
    return this.inner.link(existing, path);
  }
}
