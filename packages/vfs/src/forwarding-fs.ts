import type {
  DirHandle,
  FileHandle,
  FileStat,
  Fs,
  FsCapabilities,
  OpenFlags,
  SetStat,
  StatVfs,
} from './fs.js';

/**
 * An {@link Fs} that passes every call to another one: extend it and
 * override what a layer changes (checks, throttling, upload modes).
 */
export class ForwardingFs implements Fs {
  protected readonly inner: Fs;

  constructor(inner: Fs) {
    this.inner = inner;
  }

  get capabilities(): FsCapabilities {
    return this.inner.capabilities;
  }

  stat(path: string): Promise<FileStat> {
    return this.inner.stat(path);
  }

  lstat(path: string): Promise<FileStat> {
    return this.inner.lstat(path);
  }

  open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    return this.inner.open(path, flags, mode);
  }

  opendir(path: string): Promise<DirHandle> {
    return this.inner.opendir(path);
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.inner.mkdir(path, mode);
  }

  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }

  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }

  setstat(path: string, attrs: SetStat, options: { followLinks: boolean }): Promise<void> {
    return this.inner.setstat(path, attrs, options);
  }

  symlink(target: string, path: string): Promise<void> {
    return this.inner.symlink(target, path);
  }

  realpath(path: string): Promise<string> {
    return this.inner.realpath(path);
  }

  readlink(path: string): Promise<string> {
    return this.inner.readlink(path);
  }

  link(existing: string, path: string): Promise<void> {
    return this.inner.link(existing, path);
  }

  statvfs(path: string): Promise<StatVfs> {
    return this.inner.statvfs(path);
  }
}

/** A {@link FileHandle} that passes every call to another one. */
export class ForwardingFileHandle implements FileHandle {
  protected readonly inner: FileHandle;

  constructor(inner: FileHandle) {
    this.inner = inner;
  }

  get sizeAtOpen(): number | undefined {
    return this.inner.sizeAtOpen;
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.read(buffer, offset, length, position);
  }

  write(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.inner.write(buffer, offset, length, position);
  }

  stat(): Promise<FileStat> {
    return this.inner.stat();
  }

  setstat(attrs: SetStat): Promise<void> {
    return this.inner.setstat(attrs);
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  abort(): Promise<void> {
    return this.inner.abort ? this.inner.abort() : this.inner.close();
  }
}
