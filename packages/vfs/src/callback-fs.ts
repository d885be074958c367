import * as fs from 'node:fs';

// Promises over Node's callback `fs` API for the calls on the transfer path:
// fs/promises' FileHandle costs about twice the CPU per read or write, and
// its stat calls a third more.

function settle<T>(resolve: (v: T) => void, reject: (e: unknown) => void) {
  return (err: NodeJS.ErrnoException | null, value: T) => (err ? reject(err) : resolve(value));
}

export function open(path: string, flags: number, mode: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, mode, settle(resolve, reject)));
}

export function close(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}

export function read(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.read(fd, buffer, offset, length, position, settle(resolve, reject)),
  );
}

export function write(
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.write(fd, buffer, offset, length, position, settle(resolve, reject)),
  );
}

export function fstat(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, settle(resolve, reject)));
}

export function stat(path: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.stat(path, settle(resolve, reject)));
}

export function lstat(path: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.lstat(path, settle(resolve, reject)));
}
