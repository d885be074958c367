import {
  type Attrs,
  type SftpDirEntry,
  type SftpDirectory,
  type SftpFile,
  type SftpHandler,
  SftpStatusError,
  type SftpStatVfs,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FX_PERMISSION_DENIED,
  SSH_FXF_APPEND,
  SSH_FXF_CREAT,
  SSH_FXF_EXCL,
  SSH_FXF_READ,
  SSH_FXF_TRUNC,
  SSH_FXF_WRITE,
} from '@sftpgo/sftp-protocol';
import {
  cleanVirtualPath,
  type DirHandle,
  exists,
  type FileHandle,
  type FileStat,
  type Fs,
  type SetStat,
  VfsError,
} from '@sftpgo/vfs';

const STATUS_OF: Record<VfsError['code'], number> = {
  'not-found': SSH_FX_NO_SUCH_FILE,
  permission: SSH_FX_PERMISSION_DENIED,
  unsupported: SSH_FX_OP_UNSUPPORTED,
  exists: SSH_FX_FAILURE,
  'not-a-directory': SSH_FX_FAILURE,
  'is-a-directory': SSH_FX_FAILURE,
  'not-empty': SSH_FX_FAILURE,
  'invalid-path': SSH_FX_FAILURE,
  'quota-exceeded': SSH_FX_FAILURE,
  failure: SSH_FX_FAILURE,
};

/** The SFTP status, and the message, that answer a filesystem error. */
export function toSftpError(err: unknown): unknown {
  if (err instanceof VfsError)
    return new SftpStatusError(STATUS_OF[err.code], err.message, { cause: err });
  return err;
}

const rethrowAsSftp = (err: unknown): never => {
  throw toSftpError(err);
};

/**
 * `op`, its failures turned into SFTP errors. Not an async function: that
 * would cost every request, each read and write of a transfer included, a
 * promise and a turn of the microtask queue more.
 */
function mapErrors<T>(op: () => Promise<T>): Promise<T> {
  try {
    return op().then(undefined, rethrowAsSftp);
  } catch (err) {
    return Promise.reject(toSftpError(err));
  }
}

export function toAttrs(st: FileStat): Attrs {
  return {
    size: st.size,
    uid: st.uid,
    gid: st.gid,
    mode: st.mode,
    atime: Math.floor(st.atimeMs / 1000),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

/** SFTP attributes to change, as the filesystem takes them. */
export function toSetStat(attrs: Attrs): SetStat {
  // set one by one: spreads of objects into a literal take V8's slow path
  const set: { -readonly [K in keyof SetStat]: SetStat[K] } = {};
  if (attrs.size !== undefined) set.size = attrs.size;
  if (attrs.mode !== undefined) set.mode = attrs.mode & 0o7777;
  if (attrs.uid !== undefined) set.uid = attrs.uid;
  if (attrs.gid !== undefined) set.gid = attrs.gid;
  if (attrs.atime !== undefined) set.atimeMs = attrs.atime * 1000;
  if (attrs.mtime !== undefined) set.mtimeMs = attrs.mtime * 1000;
  return set;
}

class VfsSftpFile implements SftpFile {
  readonly #handle: FileHandle;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  read(position: number, length: number, into: Buffer, offset: number): Promise<number> {
    return mapErrors(() => this.#handle.read(into, offset, length, position));
  }

  write(position: number, data: Buffer): Promise<void> {
    return mapErrors(async () => {
      let done = 0;
      while (done < data.length) {
        done += await this.#handle.write(data, done, data.length - done, position + done);
      }
    });
  }

  stat(): Promise<Attrs> {
    return mapErrors(async () => toAttrs(await this.#handle.stat()));
  }

  setstat(attrs: Attrs): Promise<void> {
    return mapErrors(() => this.#handle.setstat(toSetStat(attrs)));
  }

  sync(): Promise<void> {
    return mapErrors(() => this.#handle.sync());
  }

  close(): Promise<void> {
    return mapErrors(() => this.#handle.close());
  }

  abort(): Promise<void> {
    return mapErrors(() => (this.#handle.abort ?? this.#handle.close).call(this.#handle));
  }
}

const toDirEntry = (filename: string, st: FileStat): SftpDirEntry => ({
  filename,
  attrs: toAttrs(st),
  nlink: st.nlink,
});

/**
 * An open directory whose first page starts with `.` and `..`, as the
 * listings of OpenSSH's sftp-server (which reads them from the kernel) do:
 * clients written against it skip them, and some count on seeing them.
 */
class VfsSftpDirectory implements SftpDirectory {
  readonly #dir: DirHandle;
  #dots: SftpDirEntry[] | null;

  constructor(dir: DirHandle, dots: SftpDirEntry[]) {
    this.#dir = dir;
    this.#dots = dots;
  }

  read() {
    return mapErrors(async () => {
      const page = (await this.#dir.read())?.map((e) => toDirEntry(e.name, e.stat)) ?? null;
      const dots = this.#dots;
      this.#dots = null;
      if (dots === null) return page;
      return [...dots, ...(page ?? [])];
    });
  }

  close(): Promise<void> {
    return this.#dir.close();
  }
}

export interface VfsSftpHandlerOptions {
  /** The user served: `home-directory` and `~user` answer for this name only. */
  readonly username?: string;
}

/** Serves SFTP requests from an {@link Fs}: the user's view of their storage. */
export class VfsSftpHandler implements SftpHandler {
  readonly #fs: Fs;
  readonly #username: string;
  /** `hardlink@openssh.com`, advertised only where the storage has hard links. */
  readonly link?: (existingPath: string, newPath: string) => Promise<void>;
  /** `statvfs@openssh.com`, advertised only where the storage can tell its space. */
  readonly statvfs?: (path: string) => Promise<SftpStatVfs>;

  constructor(fs: Fs, options: VfsSftpHandlerOptions = {}) {
    this.#fs = fs;
    this.#username = options.username ?? '';
    if (fs.capabilities.hardLinks) {
      this.link = (existingPath, newPath) =>
        mapErrors(() => fs.link(cleanVirtualPath(existingPath), cleanVirtualPath(newPath)));
    }
    if (fs.capabilities.statvfs) {
      this.statvfs = (path) => mapErrors(() => fs.statvfs(cleanVirtualPath(path)));
    }
  }

  open(path: string, pflags: number, attrs: Attrs): Promise<SftpFile> {
    return mapErrors(async () => {
      const handle = await this.#fs.open(
        cleanVirtualPath(path),
        {
          read: (pflags & SSH_FXF_READ) !== 0,
          write: (pflags & SSH_FXF_WRITE) !== 0,
          append: (pflags & SSH_FXF_APPEND) !== 0,
          create: (pflags & SSH_FXF_CREAT) !== 0,
          truncate: (pflags & SSH_FXF_TRUNC) !== 0,
          exclusive: (pflags & SSH_FXF_EXCL) !== 0,
        },
        attrs.mode === undefined ? 0o666 : attrs.mode & 0o777,
      );
      return new VfsSftpFile(handle);
    });
  }

  opendir(path: string): Promise<SftpDirectory> {
    return mapErrors(async () => {
      const virtual = cleanVirtualPath(path);
      const dir = await this.#fs.opendir(virtual);
      try {
        const self = await this.#fs.stat(virtual);
        // `..` of the home is the home, as in a chroot; a parent that may not
        // be listed shows the directory's own attributes rather than its own
        const parent = await this.#fs.stat(cleanVirtualPath(`${virtual}/..`)).catch(() => self);
        return new VfsSftpDirectory(dir, [toDirEntry('.', self), toDirEntry('..', parent)]);
      } catch (err) {
        await dir.close();
        throw err;
      }
    });
  }

  stat(path: string): Promise<Attrs> {
    return mapErrors(async () => toAttrs(await this.#fs.stat(cleanVirtualPath(path))));
  }

  lstat(path: string): Promise<Attrs> {
    return mapErrors(async () => toAttrs(await this.#fs.lstat(cleanVirtualPath(path))));
  }

  remove(path: string): Promise<void> {
    return mapErrors(() => this.#fs.remove(cleanVirtualPath(path)));
  }

  mkdir(path: string, attrs: Attrs): Promise<void> {
    const mode = attrs.mode === undefined ? 0o777 : attrs.mode & 0o777;
    return mapErrors(() => this.#fs.mkdir(cleanVirtualPath(path), mode));
  }

  rmdir(path: string): Promise<void> {
    return mapErrors(() => this.#fs.rmdir(cleanVirtualPath(path)));
  }

  async realpath(path: string): Promise<string> {
    return mapErrors(async () => cleanVirtualPath(path));
  }

  rename(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    return mapErrors(async () => {
      const source = cleanVirtualPath(from);
      const target = cleanVirtualPath(to);
      if (!options.overwrite && (await exists(this.#fs, target))) {
        throw new SftpStatusError(SSH_FX_FAILURE, `rename ${JSON.stringify(to)}: target exists`);
      }
      await this.#fs.rename(source, target);
    });
  }

  setstat(path: string, attrs: Attrs, options: { followLinks: boolean }): Promise<void> {
    return mapErrors(() => this.#fs.setstat(cleanVirtualPath(path), toSetStat(attrs), options));
  }

  readlink(path: string): Promise<string> {
    return mapErrors(() => this.#fs.readlink(cleanVirtualPath(path)));
  }

  symlink(linkPath: string, targetPath: string): Promise<void> {
    return mapErrors(() => this.#fs.symlink(targetPath, cleanVirtualPath(linkPath)));
  }

  /** Every user sees their own home as `/`; other users' homes are not disclosed. */
  async homeDirectory(username: string): Promise<string> {
    if (username === '' || username === this.#username) return '/';
    throw new SftpStatusError(
      SSH_FX_NO_SUCH_FILE,
      `no home directory for ${JSON.stringify(username)}`,
    );
  }
}
