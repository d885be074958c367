import * as fs from 'node:fs';

/**
 * The calls of Node's `fs` on the transfer and path-resolution paths, as
 * promises. Two implementations: one on libuv's thread pool, for a server
 * with many clients; one blocking, for a process serving a single client,
 * as OpenSSH's `sftp-server` does, where the thread pool's round trips cost
 * more than the calls themselves.
 */
export interface FsIo {
  open(path: string, flags: number, mode: number): Promise<number>;
  close(fd: number): Promise<void>;
  read(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  write(
    fd: number,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  fstat(fd: number): Promise<fs.Stats>;
  stat(path: string): Promise<fs.Stats>;
  lstat(path: string): Promise<fs.Stats>;
  realpath(path: string): Promise<string>;
  readlink(path: string): Promise<string>;
}

function settle<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null, value: T) => (err ? reject(err) : resolve(value));
}

// The callback API rather than fs/promises: its FileHandle costs about twice
// the CPU per read or write, and its stat calls a third more.
export const threadPoolIo: FsIo = {
  open: (path, flags, mode) =>
    new Promise((resolve, reject) => fs.open(path, flags, mode, settle(resolve, reject))),
  close: (fd) =>
    new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve()))),
  read: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) =>
      fs.read(fd, buffer, offset, length, position, settle(resolve, reject)),
    ),
  write: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) =>
      fs.write(fd, buffer, offset, length, position, settle(resolve, reject)),
    ),
  fstat: (fd) => new Promise((resolve, reject) => fs.fstat(fd, settle(resolve, reject))),
  stat: (path) => new Promise((resolve, reject) => fs.stat(path, settle(resolve, reject))),
  lstat: (path) => new Promise((resolve, reject) => fs.lstat(path, settle(resolve, reject))),
  realpath: (path) =>
    new Promise((resolve, reject) => fs.realpath.native(path, settle(resolve, reject))),
  readlink: (path) => new Promise((resolve, reject) => fs.readlink(path, settle(resolve, reject))),
};

export const blockingIo: FsIo = {
  open: async (path, flags, mode) => fs.openSync(path, flags, mode),
  close: async (fd) => fs.closeSync(fd),
  read: async (fd, buffer, offset, length, position) =>
    fs.readSync(fd, buffer, offset, length, position),
  write: async (fd, buffer, offset, length, position) =>
    fs.writeSync(fd, buffer, offset, length, position),
  fstat: async (fd) => fs.fstatSync(fd),
  stat: async (path) => fs.statSync(path),
  lstat: async (path) => fs.lstatSync(path),
  realpath: async (path) => fs.realpathSync.native(path),
  readlink: async (path) => fs.readlinkSync(path),
};
