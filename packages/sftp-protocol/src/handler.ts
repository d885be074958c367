import type { Attrs } from './attrs.js';

/** An open file, as the engine sees it. */
export interface SftpFile {
  /** Reads up to `length` bytes at `position` into `into` at `offset`; 0 means end of file. */
  read(position: number, length: number, into: Buffer, offset: number): Promise<number>;
  /**
   * Writes all of `data` at `position`. `data` is a view of a buffer that the
   * engine reuses once the promise settles: copy what must outlive it.
   */
  write(position: number, data: Buffer): Promise<void>;
  stat(): Promise<Attrs>;
  /** FSETSTAT; absent means SSH_FX_OP_UNSUPPORTED. */
  setstat?(attrs: Attrs): Promise<void>;
  /** `fsync@openssh.com`: flushes the file to stable storage. */
  sync?(): Promise<void>;
  /** CLOSE: the client is done with the file. */
  close(): Promise<void>;
  /** The session ended with the file still open, as when a transfer is cut; `close` if absent. */
  abort?(): Promise<void>;
}

/** The reply of `statvfs@openssh.com`, the fields of `statvfs(3)`. */
export interface SftpStatVfs {
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

/** One directory entry; the engine derives the `ls -l` long name from it. */
export interface SftpDirEntry {
  readonly filename: string;
  readonly attrs: Attrs;
  /** The number of hard links, shown in the long name; 1 when absent. */
  readonly nlink?: number;
}

/** An open directory, read page after page. */
export interface SftpDirectory {
  /** The next page, or `null` when the listing is done. */
  read(): Promise<SftpDirEntry[] | null>;
  close(): Promise<void>;
}

/**
 * What the engine calls to serve requests. Paths are passed as the client
 * sent them (decoded as UTF-8): resolving them is the handler's job.
 * A method may throw {@link SftpStatusError} to choose the status code sent
 * back; any other error is answered with SSH_FX_FAILURE. Optional methods
 * that are absent are answered with SSH_FX_OP_UNSUPPORTED.
 */
export interface SftpHandler {
  /** `pflags` are the SSH_FXF_* bits of the request. */
  open(path: string, pflags: number, attrs: Attrs): Promise<SftpFile>;
  opendir(path: string): Promise<SftpDirectory>;
  stat(path: string): Promise<Attrs>;
  lstat(path: string): Promise<Attrs>;
  /**
   * SETSTAT follows a final symbolic link; `lsetstat@openssh.com` does not
   * (`followLinks: false`).
   */
  setstat?(path: string, attrs: Attrs, options: { followLinks: boolean }): Promise<void>;
  remove(path: string): Promise<void>;
  mkdir(path: string, attrs: Attrs): Promise<void>;
  rmdir(path: string): Promise<void>;
  /** The canonical absolute form of `path`. */
  realpath(path: string): Promise<string>;
  /** RENAME refuses an existing target; `posix-rename@openssh.com` replaces it. */
  rename(from: string, to: string, options: { overwrite: boolean }): Promise<void>;
  readlink?(path: string): Promise<string>;
  symlink?(linkPath: string, targetPath: string): Promise<void>;
  /** `hardlink@openssh.com` */
  link?(existingPath: string, newPath: string): Promise<void>;
  /** `statvfs@openssh.com` and, with the path the handle was opened with, `fstatvfs@openssh.com`. */
  statvfs?(path: string): Promise<SftpStatVfs>;
  /**
   * The home directory of `username`, or of the session's user when it is
   * empty: for `home-directory` and for `~` in `expand-path@openssh.com`.
   */
  homeDirectory?(username: string): Promise<string>;
}
