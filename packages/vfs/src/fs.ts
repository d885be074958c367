import { VfsError } from './errors.js';

/** File type bits of {@link FileStat.mode}, as in POSIX `st_mode`. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/** What a stat call tells about a file. Times are in milliseconds since the epoch. */
export interface FileStat {
  readonly size: number;
  /** Permission bits and file type bits, as in POSIX `st_mode`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly nlink: number;
  readonly atimeMs: number;
  readonly mtimeMs: number;
}

/** How a file is opened. */
export interface OpenFlags {
  readonly read?: boolean;
  readonly write?: boolean;
  readonly append?: boolean;
  readonly create?: boolean;
  readonly truncate?: boolean;
  /** With `create`: fail if the file exists. */
  readonly exclusive?: boolean;
}

/** Attributes to change; each one that is absent is left as it is. Times in milliseconds. */
export interface SetStat {
  /** Truncates or extends the file to this size. */
  readonly size?: number;
  /** Permission bits. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly atimeMs?: number;
  readonly mtimeMs?: number;
}

/** What `statvfs(3)` tells about the filesystem holding a path. */
export interface StatVfs {
  readonly bsize: number;
  readonly frsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
  readonly favail: number;
  readonly fsid: number;
  readonly flag: number;
  readonly namemax: number;
}

/** An open file. Reads and writes are positional, so several may be in flight. */
export interface FileHandle {
  /** Reads up to `length` bytes at `position` into `buffer`; 0 means end of file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  stat(): Promise<FileStat>;
  setstat(attrs: SetStat): Promise<void>;
  /** Flushes the file's data to stable storage. */
  sync(): Promise<void>;
  close(): Promise<void>;
  /**
   * Closes a file whose transfer did not complete (the client went away);
   * `close` if absent.
   */
  abort?(): Promise<void>;
  /**
   * The file's size when it was opened, where the storage learned it while
   * opening; absent otherwise, when it would take a {@link stat}.
   */
  readonly sizeAtOpen?: number;
}

/** One entry of a directory listing. */
export interface DirEntry {
  readonly name: string;
  readonly stat: FileStat;
}

/** An open directory, read in pages so that huge directories stream. */
export interface DirHandle {
  /** The next page of entries, or `null` once the listing is exhausted. */
  read(): Promise<DirEntry[] | null>;
  close(): Promise<void>;
}

/**
 * What a storage can do. The layers above a storage ask it rather than
 * assume a POSIX disk: an object store has no links, renames by copying, and
 * writes a file front to back, made visible whole once closed. An operation
 * whose capability is `false` fails with a {@link VfsError} of code
 * `unsupported`.
 */
export interface FsCapabilities {
  /** `rename` replaces its target in one step, and moves a non-empty directory. */
  readonly atomicRename: boolean;
  /**
   * A file can be written at any offset and opened for writing without
   * truncation: resumed uploads, appends, writes out of order.
   */
  readonly randomAccessWrites: boolean;
  /** One open file can be both read and written. */
  readonly readWrite: boolean;
  /** A file being written is visible at its path only once closed, whole. */
  readonly atomicUploads: boolean;
  /** `symlink` and `readlink`. */
  readonly symlinks: boolean;
  /** `link`. */
  readonly hardLinks: boolean;
  /** `setstat` of `mode`. */
  readonly permissions: boolean;
  /** `setstat` of `uid` and `gid`. */
  readonly ownership: boolean;
  /** `setstat` of `atimeMs` and `mtimeMs`. */
  readonly times: boolean;
  /** `statvfs`. */
  readonly statvfs: boolean;
  /**
   * Directories are entries of their own, as on a disk: a file or directory
   * is made only inside an existing directory. An object store has prefixes
   * instead, and makes a file under any of them.
   */
  readonly realDirectories: boolean;
}

/** The capabilities of a local POSIX disk: everything but atomic uploads. */
export const POSIX_CAPABILITIES: FsCapabilities = Object.freeze({
  atomicRename: true,
  randomAccessWrites: true,
  readWrite: true,
  atomicUploads: false,
  symlinks: true,
  hardLinks: true,
  permissions: true,
  ownership: true,
  times: true,
  statvfs: true,
  realDirectories: true,
});

/**
 * The filesystem a user sees. Every path is an absolute virtual POSIX path
 * (see {@link cleanVirtualPath}); `/` is the user's root.
 */
export interface Fs {
  readonly capabilities: FsCapabilities;
  stat(path: string): Promise<FileStat>;
  lstat(path: string): Promise<FileStat>;
  open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle>;
  opendir(path: string): Promise<DirHandle>;
  mkdir(path: string, mode?: number): Promise<void>;
  rmdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Renames `from` to `to`, replacing `to` if it is a file. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Changes attributes of `path`; with `followLinks: false`, of a final
   * symbolic link itself.
   */
  setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void>;
  /**
   * Creates a symbolic link at `path` pointing to `target`: an absolute
   * virtual path, or a path relative to the link's directory. A target that
   * would resolve outside the root is refused.
   */
  symlink(target: string, path: string): Promise<void>;
  /**
   * The virtual path that `path` leads to, its links followed inside the
   * root; a missing last component is kept as it is.
   */
  realpath(path: string): Promise<string>;
  /**
   * Optional: {@link realpath} and the `lstat` of the entry it leads to
   * (null when nothing is there), in one look, for the callers that ask
   * both, where the storage learns both at once.
   */
  realpathStat?(path: string): Promise<RealpathStat>;
  /** The target of a symbolic link, as a virtual path or as a relative path. */
  readlink(path: string): Promise<string>;
  /** Creates a hard link `path` to the existing file `existing`. */
  link(existing: string, path: string): Promise<void>;
  statvfs(path: string): Promise<StatVfs>;
  /**
   * Releases what the storage holds (a descriptor on the root, ...) once the
   * session that opened it ends; nothing may be called afterwards.
   */
  close?(): Promise<void>;
}

export function isDirectory(stat: FileStat): boolean {
  return (stat.mode & S_IFMT) === S_IFDIR;
}

export function isSymbolicLink(stat: FileStat): boolean {
  return (stat.mode & S_IFMT) === S_IFLNK;
}

/** Whether `path` exists as an entry, a dangling symbolic link included. */
/** What {@link Fs.realpathStat} answers. */
export interface RealpathStat {
  readonly path: string;
  readonly stat: FileStat | null;
}

export async function exists(fs: Fs, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof VfsError && err.code === 'not-found') return false;
    throw err;
  }
}
