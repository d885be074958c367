import type { Dir, Stats } from 'node:fs';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { fromNodeError } from './errors.js';
import type { DirEntry, DirHandle, FileHandle, FileStat, SetStat } from './fs.js';
import type { FsIo } from './fs-io.js';

// The handles of OsFs: an open file by its descriptor, an open directory
// read in pages.

/** Entries returned by one {@link DirHandle.read} call. */
export const DIR_PAGE_SIZE = 256;
export function toFileStat(st: Stats): FileStat {
  return {
    size: st.size,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    nlink: st.nlink,
    atimeMs: st.atimeMs,
    mtimeMs: st.mtimeMs,
  };
}

/** Runs a call of Node's `fs`, turning its error into a {@link VfsError} about `path`. */
export async function nodeCall<T>(op: string, path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw fromNodeError(err, op, path);
  }
}

const fileOps = {
  ftruncate: promisify(fs.ftruncate),
  fchmod: promisify(fs.fchmod),
  fchown: promisify(fs.fchown),
  futimes: promisify(fs.futimes),
  fsync: promisify(fs.fsync),
};

export class OsFileHandle implements FileHandle {
  readonly #io: FsIo;
  readonly #fd: number;
  readonly #path: string;
  readonly sizeAtOpen: number;

  constructor(io: FsIo, fd: number, path: string, sizeAtOpen: number) {
    this.#io = io;
    this.#fd = fd;
    this.#path = path;
    this.sizeAtOpen = sizeAtOpen;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return nodeCall('read', this.#path, () =>
      this.#io.read(this.#fd, buffer, offset, length, position),
    );
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return nodeCall('write', this.#path, () =>
      this.#io.write(this.#fd, buffer, offset, length, position),
    );
  }

  async stat(): Promise<FileStat> {
    return toFileStat(await nodeCall('stat', this.#path, () => this.#io.fstat(this.#fd)));
  }

  setstat(attrs: SetStat): Promise<void> {
    const fd = this.#fd;
    return nodeCall('setstat', this.#path, async () => {
      if (attrs.size !== undefined) await fileOps.ftruncate(fd, attrs.size);
      // no set-id or sticky bit: see USER_MODE_BITS in os-fs.ts
      if (attrs.mode !== undefined) await fileOps.fchmod(fd, attrs.mode & 0o777);
      if (attrs.uid !== undefined || attrs.gid !== undefined) {
        await fileOps.fchown(fd, attrs.uid ?? -1, attrs.gid ?? -1);
      }
      if (attrs.atimeMs !== undefined || attrs.mtimeMs !== undefined) {
        const st = await this.#io.fstat(fd);
        await fileOps.futimes(
          fd,
          (attrs.atimeMs ?? st.atimeMs) / 1000,
          (attrs.mtimeMs ?? st.mtimeMs) / 1000,
        );
      }
    });
  }

  sync(): Promise<void> {
    return nodeCall('fsync', this.#path, () => fileOps.fsync(this.#fd));
  }

  close(): Promise<void> {
    return nodeCall('close', this.#path, () => this.#io.close(this.#fd));
  }
}

export class OsDirHandle implements DirHandle {
  readonly #io: FsIo;
  readonly #dir: Dir;
  readonly #dirPath: string;
  readonly #path: string;
  readonly #fd: number;

  /**
   * @param dirPath where the directory's entries are named: the descriptor
   *   `fd`'s `/proc/self/fd/N` when it has one, so that they are read there
   *   whatever is renamed meanwhile
   * @param fd a descriptor that the handle owns and closes, or -1
   */
  constructor(io: FsIo, dir: Dir, dirPath: string, path: string, fd = -1) {
    this.#io = io;
    this.#dir = dir;
    this.#dirPath = dirPath;
    this.#path = path;
    this.#fd = fd;
  }

  async read(): Promise<DirEntry[] | null> {
    const names: string[] = [];
    try {
      while (names.length < DIR_PAGE_SIZE) {
        const dirent = await this.#dir.read();
        if (!dirent) break;
        names.push(dirent.name);
      }
    } catch (err) {
      throw fromNodeError(err, 'readdir', this.#path);
    }
    if (names.length === 0) return null;
    const entries = await Promise.all(
      names.map(async (name) => {
        try {
          return { name, stat: toFileStat(await this.#io.lstat(`${this.#dirPath}/${name}`)) };
        } catch {
          return undefined; // removed while listing
        }
      }),
    );
    return entries.filter((e): e is DirEntry => e !== undefined);
  }

  async close(): Promise<void> {
    await this.#dir.close().catch(() => {});
    if (this.#fd >= 0) await this.#io.close(this.#fd).catch(() => {});
  }
}
