import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketArena } from '../src/packet-arena.js';
import { ssh2 } from '../src/ssh2.js';

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
  let tcp: Server | undefined;

  afterEach(async () => {
    if (tcp) {
      tcp.close();
      await once(tcp, 'close');
      tcp = undefined;
    }
  });

  /** An SSH server whose every exec answers with `data`; its connections are supplied by `arena`. */
  async function serve(arena: PacketArena, data: Buffer, supplied: boolean[]): Promise<number> {
    const ssh = new ssh2.Server(
      { hostKeys: [ssh2.utils.generateKeyPairSync('ed25519').private] },
      (client) => {
        client.on('authentication', (ctx) => ctx.accept());
        client.on('session', (accept) => {
          accept().on('exec', async (acceptExec) => {
            const channel = acceptExec();
            for (let at = 0; at < data.length; at += 256 * 1024) {
              if (!channel.write(data.subarray(at, at + 256 * 1024))) await once(channel, 'drain');
            }
            channel.exit(0);
            channel.end();
          });
        });
      },
    );
    ssh.on('connection', (client) => supplied.push(arena.supply(client)));
    tcp = createServer((socket) => {
      arena.watch(socket);
      ssh.injectSocket(socket);
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    return (tcp.address() as AddressInfo).port;
  }

  /** What `ssh` prints of the exec, read with pauses so that the server's socket backs up. */
  async function download(port: number, options: readonly string[]): Promise<string> {
    const child = spawn(
      'ssh',
      [
        ...['-p', String(port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no'],
        ...['-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', ...options],
        'user@127.0.0.1',
        'send',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const hash = createHash('sha256');
      let sinceSleep = 0;
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d;
      });
      child.stdout.on('data', (d: Buffer) => {
        hash.update(d);
        sinceSleep += d.length;
        if (sinceSleep > 2 * 1024 * 1024) {
          sinceSleep = 0;
          child.stdout.pause();
          setTimeout(() => child.stdout.resume(), 50);
        }
      });
      const [code] = await once(child, 'close');
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      return hash.digest('hex');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

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
    const port = await serve(arena, data, supplied);
    // a new key every 4 MiB: each new cipher of the connection is supplied too
    const received = await download(port, ['-c', cipher, ...macs, '-o', 'RekeyLimit=4M']);
    expect(received).toBe(digest);
    expect(supplied).toEqual([true]);
    expect(arena.slabsCreated).toBeGreaterThan(0);
  });
});
