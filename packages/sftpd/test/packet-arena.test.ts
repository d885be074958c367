import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketArena } from '../src/packet-arena.js';
import { downloadWithSsh, serveExec, stopServer } from './fixtures/exec-download.js';

const PACKET = 32_800;
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Takes packets until one comes from a slab other than `slab`'s; at most 100. */
function takeUntilNewSlab(arena: PacketArena, slab: ArrayBufferLike): Buffer {
  for (let i = 0; i < 100; i++) {
    const packet = arena.take(PACKET);
    if (packet.buffer !== slab) return packet;
  }
  throw new Error('100 packets from one slab');
}

describe('PacketArena', () => {
  it('reuses a slab only once every write of its memory has completed', async () => {
    const arena = new PacketArena();
    const first = arena.take(PACKET);
    const release = arena.pin(first);
    expect(release).toBeTypeOf('function');
    const second = takeUntilNewSlab(arena, first.buffer);
    await tick();
    // the first slab is full, but a write of it is pending: a new slab is cut
    const third = takeUntilNewSlab(arena, second.buffer);
    expect([first.buffer, second.buffer]).not.toContain(third.buffer);
    expect(arena.slabsCreated).toBe(3);
    release?.();
    // written: it is the first free slab
    expect(takeUntilNewSlab(arena, third.buffer).buffer).toBe(first.buffer);
    expect(arena.slabsCreated).toBe(3);
  });

  it('does not reuse a full slab in the run of JavaScript that filled it', async () => {
    const arena = new PacketArena();
    const first = arena.take(PACKET);
    const second = takeUntilNewSlab(arena, first.buffer);
    // nothing of the first slab is pinned, but a packet just cut from it may not be written yet
    const third = takeUntilNewSlab(arena, second.buffer);
    expect(third.buffer).not.toBe(first.buffer);
    expect(arena.slabsCreated).toBe(3);
    await tick();
    expect([first.buffer, second.buffer]).toContain(takeUntilNewSlab(arena, third.buffer).buffer);
    expect(arena.slabsCreated).toBe(3);
  });

  it('leaves alone memory that is not its own, and sizes beyond a slab', () => {
    const arena = new PacketArena();
    expect(arena.pin(Buffer.alloc(PACKET))).toBeUndefined();
    expect(arena.pin('text')).toBeUndefined();
    const large = arena.take(2 * 1024 * 1024);
    expect(large.length).toBe(2 * 1024 * 1024);
    expect(arena.pin(large)).toBeUndefined();
    expect(arena.slabsCreated).toBe(0);
  });
});

describe('PacketArena.supply', () => {
  /** ssh2's cipher as the arena sees it: its own `allocPacket`, on its prototype. */
  class FakeCipher {
    allocPacket(payloadLength: number): Buffer {
      const packet = Buffer.alloc(payloadLength + 12);
      packet.writeUInt32BE(payloadLength + 8, 0);
      packet[4] = 7;
      return packet;
    }
  }

  /** A connection as ssh2 builds it, whose protocol then sets a cipher, as a key exchange does. */
  function connectionWithCipher(arena: PacketArena) {
    const socket = new Socket();
    arena.watch(socket);
    const protocol: { _cipher: unknown } = { _cipher: undefined };
    expect(arena.supply({ _sock: socket, _protocol: protocol })).toBe(true);
    protocol._cipher = new FakeCipher();
    return protocol._cipher as FakeCipher;
  }

  it("gives every connection's cipher the same allocPacket, which cuts packets of ssh2's layout", () => {
    const arena = new PacketArena();
    const [first, second] = [connectionWithCipher(arena), connectionWithCipher(arena)];
    expect(first.allocPacket).not.toBe(FakeCipher.prototype.allocPacket);
    // one function for all: V8's optimized code of its callers outlives a connection
    expect(first.allocPacket).toBe(second.allocPacket);
    const learned = first.allocPacket(8192);
    const cut = first.allocPacket(8192);
    expect(cut.length).toBe(learned.length);
    expect(cut.readUInt32BE(0)).toBe(8200);
    expect(cut[4]).toBe(7);
    expect(arena.slabsCreated).toBe(1);
  });

  it('keeps a cipher that is set again working, its layouts and ssh2 allocation kept', () => {
    const arena = new PacketArena();
    const socket = new Socket();
    arena.watch(socket);
    const protocol: { _cipher: unknown } = { _cipher: undefined };
    arena.supply({ _sock: socket, _protocol: protocol });
    const cipher = new FakeCipher();
    protocol._cipher = cipher;
    const learned = cipher.allocPacket(8192);
    protocol._cipher = cipher;
    // were ssh2's own taken to be the arena's, it would call itself without end
    expect(cipher.allocPacket(8192).length).toBe(learned.length);
    expect(cipher.allocPacket(100).length).toBe(112);
    expect(arena.slabsCreated).toBe(1);
  });
});

describe('PacketArena.watch', () => {
  let server: Server;
  let socket: Socket;
  let reader: Socket | undefined;

  afterEach(async () => {
    reader?.destroy();
    socket?.destroy();
    server?.close();
    if (server) await once(server, 'close');
  });

  it('keeps what a socket still has to write from being overwritten', async () => {
    server = createServer();
    const peer = new Promise<Socket>((resolve) => server.once('connection', resolve));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    reader = await peer;
    // the peer reads nothing for now: the kernel's buffers fill and the rest waits in the socket
    reader.pause();
    const arena = new PacketArena();
    arena.watch(socket);
    const sent = createHash('sha256');
    let bytes = 0;
    for (let i = 0; i < 400; i++) {
      // as ssh2 does: cut, filled, written at once
      const packet = arena.take(PACKET);
      packet.fill(i % 251);
      packet.writeUInt32BE(i, 0);
      sent.update(packet);
      bytes += packet.length;
      socket.write(packet);
      if (i % 40 === 39) await tick();
    }
    expect(socket.writableLength).toBeGreaterThan(0);
    const slabs = arena.slabsCreated;
    const received = createHash('sha256');
    let got = 0;
    reader.on('data', (d: Buffer) => {
      received.update(d);
      got += d.length;
    });
    reader.resume();
    socket.end();
    await once(reader, 'end');
    expect(got).toBe(bytes);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    // every slab held by a pending write was replaced by a new one
    expect(slabs).toBeGreaterThan(3);
  });
});

describe('PacketArena with ssh2 and an OpenSSH client', () => {
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await stopServer(server);
    server = undefined;
  });

  const data = randomBytes(24 * 1024 * 1024);
  const digest = createHash('sha256').update(data).digest('hex');

  it.each([
    ['aes128-gcm@openssh.com', []],
    ['chacha20-poly1305@openssh.com', []],
    ['aes128-ctr', ['-o', 'MACs=hmac-sha2-256']],
    ['aes256-ctr', ['-o', 'MACs=hmac-sha2-256-etm@openssh.com']],
  ])('sends %s packets from the arena intact, across key renewals', async (cipher, macs) => {
    const arena = new PacketArena();
    const supplied: boolean[] = [];
    server = await serveExec(data, {
      onSocket: (socket) => arena.watch(socket),
      onConnection: (connection) => supplied.push(arena.supply(connection)),
    });
    // a new key every 4 MiB: each new cipher of the connection is supplied too
    const received = await downloadWithSsh(server, ['-c', cipher, ...macs, '-o', 'RekeyLimit=4M']);
    expect(received).toBe(digest);
    expect(supplied).toEqual([true]);
    expect(arena.slabsCreated).toBeGreaterThan(0);
  });
});
