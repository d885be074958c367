import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
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

/**
 * How uploads reach their path, as the spec's `upload_mode`: 0 writes in
 * place; 1 writes a temporary file renamed onto the path when the upload
 * completes and deleted when it is cut; 2 as 1, but a cut upload is renamed
 * onto the path too, so that the client can resume it.
 */
export type UploadMode = 0 | 1 | 2;

/** The temporary name of an upload to `path`, in the same directory. */
function temporaryPath(path: string): string {
  const id = randomBytes(8).toString('hex');
  return posix.join(posix.dirname(path), `.sftpgo-upload.${id}.${posix.basename(path)}`);
}

/** A file being uploaded under a temporary name. */
class AtomicUpload implements FileHandle {
  readonly #fs: Fs;
  readonly #handle: FileHandle;
  readonly #temporary: string;
  readonly #target: string;
  readonly #keepCut: boolean;

  constructor(fs: Fs, handle: FileHandle, temporary: string, target: string, keepCut: boolean) {
    this.#fs = fs;
    this.#handle = handle;
    this.#temporary = temporary;
    this.#target = target;
    this.#keepCut = keepCut;
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

  setstat(attrs: SetStat): Promise<void> {
    return this.#handle.setstat(attrs);
  }

  sync(): Promise<void> {
    return this.#handle.sync();
  }

  async close(): Promise<void> {
    await this.#finish(true);
  }

  async abort(): Promise<void> {
    await this.#finish(this.#keepCut);
  }

  async #finish(publish: boolean): Promise<void> {
    try {
      await this.#handle.close();
      if (publish) {
        await this.#fs.rename(this.#temporary, this.#target);
        return;
      }
    } catch (err) {
      await this.#fs.remove(this.#temporary).catch(() => {});
      throw err;
    }
    await this.#fs.remove(this.#temporary);
  }
}

/**
 * Applies an upload mode: in modes 1 and 2 a new upload, or one that
 * replaces a file, is written under a temporary name in the same directory,
 * so that the path never holds a partial file. Writing into an existing
 * file without truncating it (a resumed upload) stays in place.
 */
export class AtomicUploadFs implements Fs {
  readonly #fs: Fs;
  readonly #mode: UploadMode;

  constructor(fs: Fs, mode: UploadMode) {
    this.#fs = fs;
    this.#mode = mode;
  }

  async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const writes = flags.write || flags.append;
    if (this.#mode === 0 || !writes || flags.append) return this.#fs.open(path, flags, mode);
    const present = await exists(this.#fs, path);
    if (present && !flags.truncate) return this.#fs.open(path, flags, mode);
    if (!present && !flags.create) return this.#fs.open(path, flags, mode); // fails as it should
    if (present && flags.create && flags.exclusive) {
      throw new VfsError('exists', `open ${JSON.stringify(path)}: file already exists`, path);
    }
    const temporary = temporaryPath(path);
    const handle = await this.#fs.open(
      temporary,
      { ...flags, create: true, exclusive: true },
      mode,
    );
    return new AtomicUpload(this.#fs, handle, temporary, path, this.#mode === 2);
  }

  stat(path: string): Promise<FileStat> {
    return this.#fs.stat(path);
  }

  lstat(path: string): Promise<FileStat> {
    return this.#fs.lstat(path);
  }

  opendir(path: string): Promise<DirHandle> {
    return this.#fs.opendir(path);
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.#fs.mkdir(path, mode);
  }

  rmdir(path: string): Promise<void> {
    return this.#fs.rmdir(path);
  }

  remove(path: string): Promise<void> {
    return this.#fs.remove(path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.#fs.rename(from, to);
  }

  setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void> {
    return this.#fs.setstat(path, attrs, options);
  }

  symlink(target: string, path: string): Promise<void> {
    return this.#fs.symlink(target, path);
  }

  readlink(path: string): Promise<string> {
    return this.#fs.readlink(path);
  }

  link(existing: string, path: string): Promise<void> {
    return this.#fs.link(existing, path);
  }

  statvfs(path: string): Promise<StatVfs> {
    return this.#fs.statvfs(path);
  }
}
