import type { Duplex } from 'node:stream';
import {
  type Attrs,
  PacketReader,
  PacketWriter,
  type SftpFile,
  type SftpHandler,
  SftpSession,
  type SftpSessionOptions,
  SftpStatusError,
  SSH_FX_NO_SUCH_FILE,
  SSH_FXF_READ,
  SSH_FXP_HANDLE,
  SSH_FXP_INIT,
  SSH_FXP_OPEN,
  SSH_FXP_STATUS,
} from '@sftpgo/sftp-protocol';
import { duplexPair } from '@sftpgo/test-utils';
import { expect } from 'vitest';

// An engine session over in-memory streams, driven packet by packet.

/** A handler over one in-memory file, `/file`, and one directory, `/dir`. */
export function memoryHandler(
  content: Buffer,
): SftpHandler & { closed: number; renames: unknown[] } {
  const fileAttrs = (): Attrs => ({ size: content.length, mode: 0o100644, mtime: 0, atime: 0 });
  const state = { closed: 0, renames: [] as unknown[] };
  const file: SftpFile = {
    async read(position, length, into, offset) {
      return content.copy(into, offset, position, Math.min(position + length, content.length));
    },
    async write(position, data) {
      const next = Buffer.alloc(Math.max(content.length, position + data.length));
      content.copy(next);
      data.copy(next, position);
      content = next;
    },
    async stat() {
      return fileAttrs();
    },
    async close() {
      state.closed++;
    },
  };
  const missing = (path: string) =>
    new SftpStatusError(SSH_FX_NO_SUCH_FILE, `${path}: no such file`);
  return Object.assign(state, {
    async open(path: string) {
      if (path !== '/file') throw missing(path);
      return file;
    },
    async opendir(path: string) {
      if (path !== '/dir') throw missing(path);
      let done = false;
      return {
        async read() {
          if (done) return null;
          done = true;
          return [{ filename: 'file', attrs: fileAttrs() }];
        },
        async close() {
          state.closed++;
        },
      };
    },
    async stat(path: string) {
      if (path !== '/file') throw missing(path);
      return fileAttrs();
    },
    async lstat(path: string) {
      return this.stat(path);
    },
    async remove() {},
    async mkdir() {},
    async rmdir() {},
    async realpath(path: string) {
      return path === '.' ? '/' : path;
    },
    async rename(from: string, to: string, options: { overwrite: boolean }) {
      state.renames.push([from, to, options]);
    },
  });
}

/** A client side that sends raw packets and reads replies one at a time. */
export class RawClient {
  readonly #replies: Buffer[] = [];
  readonly #waiters: ((b: Buffer) => void)[] = [];
  #pending = Buffer.alloc(0);
  ended = false;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= 4) {
        const len = this.#pending.readUInt32BE(0);
        if (this.#pending.length < 4 + len) break;
        const packet = this.#pending.subarray(4, 4 + len);
        this.#pending = this.#pending.subarray(4 + len);
        const waiter = this.#waiters.shift();
        if (waiter) waiter(packet);
        else this.#replies.push(packet);
      }
    });
    stream.on('end', () => {
      this.ended = true;
    });
  }

  send(packet: Buffer): void {
    this.stream.write(packet);
  }

  next(): Promise<Buffer> {
    const ready = this.#replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async init(): Promise<Buffer> {
    this.send(Buffer.from([0, 0, 0, 5, SSH_FXP_INIT, 0, 0, 0, 3]));
    return this.next();
  }

  /** Asks to open `path` for reading, with request `id`. */
  sendOpenForReading(id = 1, path = '/file'): void {
    this.send(
      new PacketWriter(SSH_FXP_OPEN)
        .uint32(id)
        .string(path)
        .uint32(SSH_FXF_READ)
        .attrs({})
        .finish(),
    );
  }

  /** Opens `path` for reading with request `id`, and answers the handle. */
  async openForReading(id = 1, path = '/file'): Promise<Buffer> {
    this.sendOpenForReading(id, path);
    return this.handle();
  }

  async status(): Promise<{ id: number; code: number; message: string }> {
    const reply = await this.next();
    expect(reply[0]).toBe(SSH_FXP_STATUS);
    const r = new PacketReader(reply, 1);
    return { id: r.uint32(), code: r.uint32(), message: r.string() };
  }

  async handle(): Promise<Buffer> {
    const reply = await this.next();
    expect(reply[0]).toBe(SSH_FXP_HANDLE);
    const r = new PacketReader(reply, 5);
    return Buffer.from(r.bytes());
  }
}

/** A session serving `handler`, and a raw client talking to it. */
export function startSession(handler: SftpHandler, options: SftpSessionOptions = {}) {
  const [serverSide, clientSide] = duplexPair();
  const session = new SftpSession(serverSide, handler, options);
  return { session, client: new RawClient(clientSide) };
}
