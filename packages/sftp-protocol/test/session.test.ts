import {
  type Attrs,
  PacketReader,
  PacketWriter,
  type SftpFile,
  type SftpHandler,
  SftpSession,
  SftpStatusError,
  SSH_FX_BAD_MESSAGE,
  SSH_FX_EOF,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FX_OK,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FXF_READ,
  SSH_FXP_CLOSE,
  SSH_FXP_DATA,
  SSH_FXP_EXTENDED,
  SSH_FXP_HANDLE,
  SSH_FXP_INIT,
  SSH_FXP_OPEN,
  SSH_FXP_OPENDIR,
  SSH_FXP_READ,
  SSH_FXP_READDIR,
  SSH_FXP_REALPATH,
  SSH_FXP_RENAME,
  SSH_FXP_STAT,
  SSH_FXP_STATUS,
  SSH_FXP_VERSION,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import { duplexPair } from '@sftpgo/test-utils';
import { describe, expect, it } from 'vitest';

/** A handler over one in-memory file, `/file`, and one directory, `/dir`. */
function memoryHandler(content: Buffer): SftpHandler & { closed: number; renames: unknown[] } {
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
class RawClient {
  readonly #replies: Buffer[] = [];
  readonly #waiters: ((b: Buffer) => void)[] = [];
  #pending = Buffer.alloc(0);
  ended = false;

  constructor(readonly stream: import('node:stream').Duplex) {
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

function start(handler: SftpHandler) {
  const [serverSide, clientSide] = duplexPair();
  const session = new SftpSession(serverSide, handler);
  return { session, client: new RawClient(clientSide) };
}

describe('SftpSession', () => {
  it('answers INIT with version 3 and its extensions', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    const reply = await client.init();
    expect(reply[0]).toBe(SSH_FXP_VERSION);
    const r = new PacketReader(reply, 1);
    expect(r.uint32()).toBe(3);
    expect(r.string()).toBe('posix-rename@openssh.com');
  });

  it('opens, reads to EOF exactly once, and closes a file', async () => {
    const handler = memoryHandler(Buffer.from('0123456789'));
    const { client } = start(handler);
    await client.init();
    client.send(
      new PacketWriter(SSH_FXP_OPEN)
        .uint32(1)
        .string('/file')
        .uint32(SSH_FXF_READ)
        .attrs({})
        .finish(),
    );
    const handle = await client.handle();
    client.send(
      new PacketWriter(SSH_FXP_READ).uint32(2).string(handle).uint64(4).uint32(100).finish(),
    );
    const data = await client.next();
    expect(data[0]).toBe(SSH_FXP_DATA);
    const r = new PacketReader(data, 1);
    expect(r.uint32()).toBe(2);
    expect(r.string()).toBe('456789');
    client.send(
      new PacketWriter(SSH_FXP_READ).uint32(3).string(handle).uint64(10).uint32(100).finish(),
    );
    expect(await client.status()).toMatchObject({ id: 3, code: SSH_FX_EOF });
    client.send(new PacketWriter(SSH_FXP_CLOSE).uint32(4).string(handle).finish());
    expect(await client.status()).toMatchObject({ id: 4, code: SSH_FX_OK });
    expect(handler.closed).toBe(1);
    client.send(
      new PacketWriter(SSH_FXP_READ).uint32(5).string(handle).uint64(0).uint32(1).finish(),
    );
    expect(await client.status()).toMatchObject({
      id: 5,
      code: SSH_FX_FAILURE,
      message: 'invalid handle',
    });
  });

  it('serves pipelined writes and answers each by id', async () => {
    const handler = memoryHandler(Buffer.alloc(0));
    const { client } = start(handler);
    await client.init();
    client.send(
      new PacketWriter(SSH_FXP_OPEN).uint32(1).string('/file').uint32(2).attrs({}).finish(),
    );
    const handle = await client.handle();
    for (let i = 0; i < 100; i++) {
      const chunk = Buffer.alloc(1000, i);
      client.send(
        new PacketWriter(SSH_FXP_WRITE, 1100)
          .uint32(100 + i)
          .string(handle)
          .uint64(i * 1000)
          .string(chunk)
          .finish(),
      );
    }
    const ids = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const s = await client.status();
      expect(s.code).toBe(SSH_FX_OK);
      ids.add(s.id);
    }
    expect(ids.size).toBe(100);
    client.send(new PacketWriter(SSH_FXP_STAT).uint32(7).string('/file').finish());
    const attrs = await client.next();
    expect(new PacketReader(attrs, 5).attrs().size).toBe(100_000);
  });

  it('lists a directory and then answers EOF', async () => {
    const { client } = start(memoryHandler(Buffer.from('abc')));
    await client.init();
    client.send(new PacketWriter(SSH_FXP_OPENDIR).uint32(1).string('/dir').finish());
    const handle = await client.handle();
    client.send(new PacketWriter(SSH_FXP_READDIR).uint32(2).string(handle).finish());
    const names = new PacketReader(await client.next(), 5);
    expect(names.uint32()).toBe(1);
    expect(names.string()).toBe('file');
    expect(names.string()).toMatch(/^-rw-r--r-- .* 3 .* file$/);
    client.send(new PacketWriter(SSH_FXP_READDIR).uint32(3).string(handle).finish());
    expect(await client.status()).toMatchObject({ id: 3, code: SSH_FX_EOF });
  });

  it('passes the handler status and message through', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    client.send(new PacketWriter(SSH_FXP_STAT).uint32(9).string('/nope').finish());
    expect(await client.status()).toEqual({
      id: 9,
      code: SSH_FX_NO_SUCH_FILE,
      message: '/nope: no such file',
    });
  });

  it('answers REALPATH with one name', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    client.send(new PacketWriter(SSH_FXP_REALPATH).uint32(1).string('.').finish());
    const r = new PacketReader(await client.next(), 5);
    expect(r.uint32()).toBe(1);
    expect(r.string()).toBe('/');
  });

  it('tells RENAME from posix-rename', async () => {
    const handler = memoryHandler(Buffer.alloc(0));
    const { client } = start(handler);
    await client.init();
    client.send(new PacketWriter(SSH_FXP_RENAME).uint32(1).string('/a').string('/b').finish());
    await client.status();
    client.send(
      new PacketWriter(SSH_FXP_EXTENDED)
        .uint32(2)
        .string('posix-rename@openssh.com')
        .string('/c')
        .string('/d')
        .finish(),
    );
    await client.status();
    expect(handler.renames).toEqual([
      ['/a', '/b', { overwrite: false }],
      ['/c', '/d', { overwrite: true }],
    ]);
  });

  it('answers unknown extensions and packet types with OP_UNSUPPORTED', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    client.send(new PacketWriter(SSH_FXP_EXTENDED).uint32(1).string('nope@example.com').finish());
    expect(await client.status()).toMatchObject({ id: 1, code: SSH_FX_OP_UNSUPPORTED });
    client.send(new PacketWriter(99).uint32(2).finish());
    expect(await client.status()).toMatchObject({ id: 2, code: SSH_FX_OP_UNSUPPORTED });
  });

  it('answers a request with a truncated field with BAD_MESSAGE and keeps serving', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    // OPEN whose filename claims 1000 bytes
    client.send(new PacketWriter(SSH_FXP_OPEN).uint32(5).uint32(1000).finish());
    expect(await client.status()).toMatchObject({ id: 5, code: SSH_FX_BAD_MESSAGE });
    client.send(new PacketWriter(SSH_FXP_STAT).uint32(6).string('/file').finish());
    expect((await client.next())[0]).toBe(105);
  });

  it('ends the session on a packet longer than the limit', async () => {
    const { session, client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    client.send(Buffer.from([0x7f, 0xff, 0xff, 0xff, SSH_FXP_STAT]));
    const end = await session.ended;
    expect(end.reason).toBe('protocol-error');
  });

  it('ends the session on a request before INIT', async () => {
    const { session, client } = start(memoryHandler(Buffer.alloc(0)));
    client.send(new PacketWriter(SSH_FXP_STAT).uint32(1).string('/file').finish());
    expect((await session.ended).reason).toBe('protocol-error');
  });

  it('closes the handles left open when the client goes away', async () => {
    const handler = memoryHandler(Buffer.alloc(0));
    const { session, client } = start(handler);
    await client.init();
    client.send(
      new PacketWriter(SSH_FXP_OPEN).uint32(1).string('/file').uint32(1).attrs({}).finish(),
    );
    await client.handle();
    client.stream.end();
    expect((await session.ended).reason).toBe('eof');
    expect(handler.closed).toBe(1);
  });
});
