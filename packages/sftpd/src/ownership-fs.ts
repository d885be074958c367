import { exists, type FileHandle, ForwardingFs, type Fs, type OpenFlags } from '@sftpgo/vfs';

/** The system account that owns what a user creates. */
export interface Ownership {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Gives the files and directories a user creates to the user's `uid` and
 * `gid`, as the spec does when the server runs as root.
 */
export class OwnershipFs extends ForwardingFs {
  readonly #owner: Ownership;

  constructor(fs: Fs, owner: Ownership) {
    super(fs);
    this.#owner = owner;
  }

  /** Whether ownership applies: only root may give files away, and 0:0 is root's own. */
  static applies(owner: Ownership): boolean {
    return process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0);
  }

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const created = flags.create === true && !(await exists(this.inner, path));
    const handle = await this.inner.open(path, flags, mode);
    if (created) await handle.setstat(this.#owner);
    return handle;
  }

  override async mkdir(path: string, mode?: number): Promise<void> {
    await this.inner.mkdir(path, mode);
    await this.inner.setstat(path, this.#owner, { followLinks: false });
  }

  override async symlink(target: string, path: string): Promise<void> {
    await this.inner.symlink(target, path);
    await this.inner.setstat(path, this.#owner, { followLinks: false });
  }
}
