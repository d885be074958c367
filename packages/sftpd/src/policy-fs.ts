import { posix } from 'node:path';
import type { Permission } from '@sftpgo/provider';
import {
  type DirHandle,
  exists,
  type FileHandle,
  type FileStat,
  type Fs,
  type OpenFlags,
  type SetStat,
  type StatVfs,
  VfsError,
} from '@sftpgo/vfs';
import type { DirectoryPermissions } from './directory-permissions.js';

/** An open file whose attribute changes go through the same checks as paths'. */
class PolicyFileHandle implements FileHandle {
  readonly #handle: FileHandle;
  readonly #checkSetStat: (attrs: SetStat) => void;

  constructor(handle: FileHandle, checkSetStat: (attrs: SetStat) => void) {
    this.#handle = handle;
    this.#checkSetStat = checkSetStat;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.#handle.read(buffer, offset, length, position);
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.#handle.write(buffer, offset, length, position);
  }

  stat(): Promise<FileStat> {
    return this.#handle.stat();
  }

  async setstat(attrs: SetStat): Promise<void> {
    this.#checkSetStat(attrs);
    await this.#handle.setstat(attrs);
  }

  sync(): Promise<void> {
    return this.#handle.sync();
  }

  close(): Promise<void> {
    return this.#handle.close();
  }

  abort(): Promise<void> {
    return (this.#handle.abort ?? this.#handle.close).call(this.#handle);
  }
}

/**
 * The filesystem as one user may use it: every operation is checked against
 * the user's per-directory permissions before it reaches the storage.
 * Permissions are those of the directory that holds the entry acted on; a
 * listing needs `list` on the directory listed.
 */
export class PolicyFs implements Fs {
  readonly #fs: Fs;
  readonly #permissions: DirectoryPermissions;

  constructor(fs: Fs, permissions: DirectoryPermissions) {
    this.#fs = fs;
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

  async stat(path: string): Promise<FileStat> {
    this.#requireIn('list', path, 'stat');
    return this.#fs.stat(path);
  }

  async lstat(path: string): Promise<FileStat> {
    this.#requireIn('list', path, 'lstat');
    return this.#fs.lstat(path);
  }

  async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    if (flags.read) this.#requireIn('download', path, 'open');
    if (flags.write || flags.append || flags.create || flags.truncate) {
      this.#requireIn('upload', path, 'open');
      const mustBeNew = flags.create && flags.exclusive;
      if (!mustBeNew && (await exists(this.#fs, path))) this.#requireIn('overwrite', path, 'open');
    }
    const handle = await this.#fs.open(path, flags, mode);
    return new PolicyFileHandle(handle, (attrs) => this.#checkSetStat(path, attrs));
  }

  async opendir(path: string): Promise<DirHandle> {
    this.#require('list', path, 'opendir', path);
    return this.#fs.opendir(path);
  }

  async mkdir(path: string, mode?: number): Promise<void> {
    this.#requireIn('create_dirs', path, 'mkdir');
    return this.#fs.mkdir(path, mode);
  }

  async rmdir(path: string): Promise<void> {
    this.#requireIn('delete', path, 'rmdir');
    return this.#fs.rmdir(path);
  }

  async remove(path: string): Promise<void> {
    this.#requireIn('delete', path, 'remove');
    return this.#fs.remove(path);
  }

  async rename(from: string, to: string): Promise<void> {
    if (from === '/' || to === '/') {
      throw new VfsError('permission', 'rename: the root directory cannot be renamed', from);
    }
    this.#requireIn('rename', from, 'rename');
    this.#requireIn('rename', to, 'rename');
    return this.#fs.rename(from, to);
  }

  async setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void> {
    this.#checkSetStat(path, attrs);
    return this.#fs.setstat(path, attrs, options);
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

  async symlink(target: string, path: string): Promise<void> {
    this.#requireIn('create_symlinks', path, 'symlink');
    // A link into a directory is a way into it: the target's directory must
    // allow links as well.
    this.#requireIn('create_symlinks', posix.resolve(posix.dirname(path), target), 'symlink');
    return this.#fs.symlink(target, path);
  }

  async readlink(path: string): Promise<string> {
    this.#requireIn('list', path, 'readlink');
    return this.#fs.readlink(path);
  }

  async link(existing: string, path: string): Promise<void> {
    this.#requireIn('create_symlinks', path, 'link');
    this.#requireIn('download', existing, 'link');
    return this.#fs.link(existing, path);
  }

  async statvfs(path: string): Promise<StatVfs> {
    return this.#fs.statvfs(path);
  }
}
