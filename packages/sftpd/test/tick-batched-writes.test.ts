import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchWritesPerTick } from '../src/tick-batched-writes.js';

describe('batchWritesPerTick', () => {
  let server: Server;
  let received: Promise<Buffer>;
  let socket: Socket;

  beforeEach(async () => {
    server = createServer();
    received = new Promise((resolve) => {
      server.once('connection', (peer: Socket) => {
        const chunks: Buffer[] = [];
        peer.on('data', (d: Buffer) => chunks.push(d));
        peer.on('end', () => {
          resolve(Buffer.concat(chunks));
          peer.end();
        });
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
  });

  afterEach(async () => {
    socket.destroy();
    server.close();
    await once(server, 'close');
  });

  it('holds the writes of one run of JavaScript and sends them together once it ends', async () => {
    batchWritesPerTick(socket);
    const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(1_000, i));
    const written: number[] = [];
    chunks.forEach((chunk, i) => {
      socket.write(chunk, () => written.push(i));
    });
    // a socket that writes at once would have handed every chunk to the kernel
    expect(socket.writableLength).toBe(10_000);
    // promise jobs started in the same run still join the batch
    await Promise.resolve();
    socket.write(Buffer.alloc(1_000, 10), () => written.push(10));
    expect(socket.writableLength).toBe(11_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writableLength).toBe(0);
    expect(written).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    socket.end();
    const data = await received;
    expect(data).toEqual(Buffer.concat([...chunks, Buffer.alloc(1_000, 10)]));
  });

  it('sends what a tick wrote when the socket is ended in that tick', async () => {
    batchWritesPerTick(socket);
    socket.write('first ');
    socket.end('last');
    expect((await received).toString()).toBe('first last');
  });

  it('leaves each later tick its own batch', async () => {
    batchWritesPerTick(socket);
    for (let i = 0; i < 3; i++) {
      socket.write(`tick ${i};`);
      expect(socket.writableLength).toBeGreaterThan(0);
      await new Promise((resolve) => setImmediate(resolve));
      expect(socket.writableLength).toBe(0);
    }
    socket.end();
    expect((await received).toString()).toBe('tick 0;tick 1;tick 2;');
  });
});
