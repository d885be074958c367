import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  PacketReader,
  PacketWriter,
  SftpSession,
  type SftpSessionOptions,
  SSH_FX_BAD_MESSAGE,
  SSH_FX_EOF,
  SSH_FX_FAILURE,
  SSH_FX_NO_SUCH_FILE,
  SSH_FX_OK,
  SSH_FX_OP_UNSUPPORTED,
  SSH_FXP_CLOSE,
  SSH_FXP_DATA,
  SSH_FXP_EXTENDED,
  SSH_FXP_OPEN,
  SSH_FXP_OPENDIR,
  SSH_FXP_READ,
  SSH_FXP_READDIR,
  SSH_FXP_REALPATH,
  SSH_FXP_RENAME,
  SSH_FXP_STAT,
  SSH_FXP_VERSION,
  SSH_FXP_WRITE,
} from '@sftpgo/sftp-protocol';
import { duplexPair } from '@sftpgo/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { memoryHandler, RawClient, startSession as start } from './memory-session.js';

/**
 * Makes every read of `handler`'s file wait until it is released: `waiting`
 * holds the releases, `most()` the most reads under way at once so far.
 */
async function holdReads(handler: ReturnType<typeof memoryHandler>) {
  const inner = await handler.open('/file', { read: true } as never, {});
  let running = 0;
  let most = 0;
  const waiting: (() => void)[] = [];
  handler.open = async () => ({
    ...inner,
    async read(position, length, into, offset) {
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      running--;
      return inner.read(position, length, into, offset);
    },
  });
  return { waiting, most: () => most };
}

describe('SftpSession', () => {
  it('holds at most maxInFlight reads at once, reading no more requests meanwhile', async () => {
    const handler = memoryHandler(Buffer.alloc(1000, 1));
    const { waiting, most } = await holdReads(handler);
    const { client } = start(handler, { maxInFlight: 8 });
    await client.init();
    const handle = await client.openForReading();
    for (let id = 2; id < 102; id++) {
      client.send(
        new PacketWriter(SSH_FXP_READ).uint32(id).string(handle).uint64(0).uint32(10).finish(),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(most()).toBe(8);
    // released, every request is answered in order
    for (let id = 2; id < 102; id++) {
      while (waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
      waiting.shift()!();
      const reply = await client.next();
      expect(reply[0]).toBe(SSH_FXP_DATA);
      expect(reply.readUInt32BE(1)).toBe(id);
    }
    expect(most()).toBe(8);
  });

  it('reads no more than 1 MiB ahead of the output, however much each READ asks for', async () => {
    // OpenSSH's client asks for the largest READ served, as limits@openssh.com
    // advertises it, 64 at once: 16 MiB if all were read
    const size = 255 * 1024;
    const content = randomBytes(size);
    const handler = memoryHandler(content);
    const { waiting, most } = await holdReads(handler);
    const { client } = start(handler, { maxInFlight: 64, outputCopies: true, joinReplies: true });
    await client.init();
    const handle = await client.openForReading();
    for (let id = 2; id < 66; id++) {
      client.send(
        new PacketWriter(SSH_FXP_READ).uint32(id).string(handle).uint64(0).uint32(size).finish(),
      );
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(most()).toBe(Math.ceil((1024 * 1024) / size));
    // released as they start, every request is answered in order
    const releasing = setInterval(() => {
      for (const release of waiting.splice(0)) release();
    }, 1);
    try {
      for (let id = 2; id < 66; id++) {
        const reply = await client.next();
        expect(reply[0]).toBe(SSH_FXP_DATA);
        const r = new PacketReader(reply, 1);
        expect(r.uint32()).toBe(id);
        expect(Buffer.from(r.bytes()).equals(content)).toBe(true);
      }
    } finally {
      clearInterval(releasing);
    }
    expect(most()).toBe(Math.ceil((1024 * 1024) / size));
  });

  it('refuses a handle past maxHandles with a failure that says why, and serves the open ones', async () => {
    const { client } = start(memoryHandler(Buffer.from('x')), { maxHandles: 3 });
    await client.init();
    const handles: Buffer[] = [];
    for (const id of [1, 2, 3]) handles.push(Buffer.from(await client.openForReading(id)));
    client.sendOpenForReading(4);
    expect(await client.status()).toEqual({
      id: 4,
      code: SSH_FX_FAILURE,
      message: 'too many open handles (3)',
    });
    // closing one makes room again
    client.send(new PacketWriter(SSH_FXP_CLOSE).uint32(5).string(handles[0]!).finish());
    expect((await client.status()).code).toBe(SSH_FX_OK);
    client.sendOpenForReading(6);
    expect((await client.handle()).length).toBeGreaterThan(0);
  });

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
    const handle = await client.openForReading();
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

  /**
   * A session over `content` as `/file`, opened for reading, whose every
   * write to its output is shown to `onWrite` first.
   */
  async function openWithWriteLog(
    content: Buffer,
    options: SftpSessionOptions,
    onWrite: (chunk: Buffer) => void,
  ) {
    const [serverSide, clientSide] = duplexPair();
    const write = serverSide.write.bind(serverSide) as (...args: unknown[]) => boolean;
    serverSide.write = ((chunk: Buffer, ...rest: unknown[]) => {
      onWrite(chunk);
      return write(chunk, ...rest);
    }) as typeof serverSide.write;
    new SftpSession(serverSide, memoryHandler(content), options);
    const client = new RawClient(clientSide);
    await client.init();
    return { client, handle: await client.openForReading() };
  }

  /** A READ of the `i`th 32 KiB of the file, with id 10 + i. */
  const readChunk = (handle: Buffer, i: number) =>
    new PacketWriter(SSH_FXP_READ)
      .uint32(10 + i)
      .string(handle)
      .uint64(i * 32 * 1024)
      .uint32(32 * 1024)
      .finish();

  /** The data of the next reply, which must be the DATA of id 10 + i. */
  async function dataOf(client: RawClient, i: number): Promise<Buffer> {
    const data = await client.next();
    expect(data[0]).toBe(SSH_FXP_DATA);
    const r = new PacketReader(data, 1);
    expect(r.uint32()).toBe(10 + i);
    return Buffer.from(r.bytes());
  }

  it.each([
    [true, 1],
    [false, 6],
  ])(
    'with joinReplies %s, writes the replies of one run of JavaScript in %i chunks',
    async (joinReplies, chunks) => {
      const content = randomBytes(6 * 32 * 1024);
      const written: number[] = [];
      const { client, handle } = await openWithWriteLog(content, { joinReplies }, (chunk) =>
        written.push(chunk.length),
      );
      written.length = 0;
      // six reads in one chunk, as OpenSSH pipelines them: their replies are ready together
      client.send(Buffer.concat(Array.from({ length: 6 }, (_, i) => readChunk(handle, i))));
      const received: Buffer[] = [];
      for (let i = 0; i < 6; i++) received.push(await dataOf(client, i));
      expect(Buffer.concat(received).equals(content)).toBe(true);
      expect(written).toHaveLength(chunks);
      expect(written.reduce((a, b) => a + b, 0)).toBe(6 * (13 + 32 * 1024));
    },
  );

  it('reuses the buffers of 32 KiB READ replies once the output has taken them', async () => {
    const content = randomBytes(20 * 32 * 1024);
    const memory = new Set<ArrayBufferLike>();
    const { client, handle } = await openWithWriteLog(content, { outputCopies: true }, (chunk) => {
      if (chunk.length > 32 * 1024) memory.add(chunk.buffer);
    });
    const received: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      client.send(readChunk(handle, i));
      received.push(await dataOf(client, i));
    }
    expect(Buffer.concat(received).equals(content)).toBe(true);
    // one read at a time: each reply is written in the buffer of the one before
    expect(memory.size).toBe(1);
  });

  it('lets go of the buffers of a large upload once no request has come for 2 s', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    /** Buffers that WRITE data has come in that something still holds. */
    const held = async (refs: readonly WeakRef<ArrayBufferLike>[]) => {
      // what a weak reference gave keeps alive until the task that asked
      // is over, and weak references are cleared once the collector's is
      const nextTask = () => new Promise((resolve) => setImmediate(resolve));
      await nextTask();
      gc();
      await nextTask();
      return refs.filter((ref) => ref.deref() !== undefined).length;
    };
    /** Turns of the event loop until `done`, at most 10,000. */
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 10_000 && !done(); i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(done()).toBe(true);
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      // every write waits until all 64 are in flight: 64 packets of 255 KiB
      // assembled at once, each in a buffer of the session's pool
      const waiting: (() => void)[] = [];
      const buffers = new Set<ArrayBufferLike>();
      const refs: WeakRef<ArrayBufferLike>[] = [];
      const handler = memoryHandler(Buffer.alloc(0));
      const inner = await handler.open('/file', { write: true } as never, {});
      handler.open = async () => ({
        ...inner,
        async write(_position, data) {
          if (!buffers.has(data.buffer)) {
            buffers.add(data.buffer);
            refs.push(new WeakRef(data.buffer));
          }
          await new Promise<void>((resolve) => waiting.push(resolve));
        },
      });
      const { client, session } = start(handler);
      await client.init();
      client.send(
        new PacketWriter(SSH_FXP_OPEN).uint32(1).string('/file').uint32(2).attrs({}).finish(),
      );
      const handle = await client.handle();
      const data = Buffer.alloc(255 * 1024, 7);
      const write = (id: number) =>
        new PacketWriter(SSH_FXP_WRITE, data.length + 100)
          .uint32(id)
          .string(handle)
          .uint64(0)
          .string(data)
          .finish();
      for (let i = 0; i < 64; i++) {
        const packet = write(10 + i);
        // in pieces, as a channel delivers them, so that each is assembled
        for (let at = 0; at < packet.length; at += 32 * 1024) {
          client.send(packet.subarray(at, at + 32 * 1024));
        }
      }
      await until(() => waiting.length === 64);
      expect(buffers.size).toBe(64);
      buffers.clear();
      for (const release of waiting) release();
      for (let i = 0; i < 64; i++) expect((await client.status()).code).toBe(SSH_FX_OK);
      expect(await held(refs)).toBe(64);

      // quiet for less than 2 s: the pool keeps them; for 2 s on a check
      // every 2 s, at most 4 s: it lets them go
      vi.advanceTimersByTime(1_900);
      expect(await held(refs)).toBe(64);
      vi.advanceTimersByTime(2_200);
      expect(await held(refs)).toBe(0);

      // and the session goes on serving, with buffers of its own again
      client.send(write(99));
      await until(() => waiting.length === 65);
      waiting[64]!();
      expect(await client.status()).toMatchObject({ id: 99, code: SSH_FX_OK });
      client.stream.end();
      await session.ended;
    } finally {
      vi.useRealTimers();
    }
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

  it('keeps large writes intact when their packets arrive in small pieces', async () => {
    const handler = memoryHandler(Buffer.alloc(0));
    const { client } = start(handler);
    await client.init();
    client.send(
      new PacketWriter(SSH_FXP_OPEN).uint32(1).string('/file').uint32(2).attrs({}).finish(),
    );
    const handle = await client.handle();
    const expected = randomBytes(40 * 100_000);
    const stream = Buffer.concat(
      Array.from({ length: 40 }, (_, i) =>
        new PacketWriter(SSH_FXP_WRITE, 100_100)
          .uint32(10 + i)
          .string(handle)
          .uint64(i * 100_000)
          .string(expected.subarray(i * 100_000, (i + 1) * 100_000))
          .finish(),
      ),
    );
    for (let at = 0; at < stream.length; at += 1000) client.send(stream.subarray(at, at + 1000));
    for (let i = 0; i < 40; i++) expect((await client.status()).code).toBe(SSH_FX_OK);
    client.send(
      new PacketWriter(SSH_FXP_READ).uint32(99).string(handle).uint64(0).uint32(200_000).finish(),
    );
    const data = new PacketReader(await client.next(), 5).bytes();
    expect(data.equals(expected.subarray(0, 200_000))).toBe(true);
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
    // EXTENDED whose request name claims 1000 bytes, served in a method of its own
    client.send(new PacketWriter(SSH_FXP_EXTENDED).uint32(7).uint32(1000).finish());
    expect(await client.status()).toMatchObject({ id: 7, code: SSH_FX_BAD_MESSAGE });
    client.send(new PacketWriter(SSH_FXP_STAT).uint32(8).string('/file').finish());
    expect((await client.next())[0]).toBe(105);
  });

  it('answers every request sent before the client ends its side', async () => {
    const { session, client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    const requests = Array.from({ length: 200 }, (_, i) =>
      new PacketWriter(SSH_FXP_STAT).uint32(i).string('/file').finish(),
    );
    client.stream.end(Buffer.concat(requests));
    const ids = new Set<number>();
    for (let i = 0; i < 200; i++) ids.add(new PacketReader(await client.next(), 1).uint32());
    expect(ids.size).toBe(200);
    expect((await session.ended).reason).toBe('eof');
  });

  it('answers FAILURE rather than send a reply larger than a client accepts', async () => {
    const { client } = start(memoryHandler(Buffer.alloc(0)));
    await client.init();
    client.send(
      new PacketWriter(SSH_FXP_REALPATH)
        .uint32(1)
        .string(`/${'a'.repeat(200_000)}`)
        .finish(),
    );
    expect(await client.status()).toMatchObject({
      id: 1,
      code: SSH_FX_FAILURE,
      message: 'reply too large',
    });
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
