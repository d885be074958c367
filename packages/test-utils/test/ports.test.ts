import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, portSpanOutside } from '../src/ports.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

describe('freePort', () => {
  it('gives ports below the kernel ephemeral range, which a bind to port 0 never takes', async () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const ports = [await freePort(), await freePort(), await freePort()];
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port < low! || port > high!).toBe(true);
    // A port just found free, then a bind to port 0 beside it: the kernel hands
    // out another port, and the one found can still be bound.
    const found = await freePort();
    const anyPort = await listen(0);
    const found2 = await listen(found);
    expect((anyPort.address() as { port: number }).port).not.toBe(found);
    await Promise.all([close(anyPort), close(found2)]);
  });

  it('skips a port that is taken', async () => {
    const port = await freePort();
    const holder = await listen(port + 1);
    try {
      const next = await freePort();
      expect(next).not.toBe(port + 1);
      await close(await listen(next));
    } finally {
      await close(holder);
    }
  });
});

describe('portSpanOutside', () => {
  it('takes ports below the ephemeral range from 20000 when there is room', () => {
    expect(portSpanOutside('32768\t60999\n')).toEqual({ first: 20_000, end: 32_768 });
  });

  it('takes ports above a range that starts low, then below one that ends high', () => {
    expect(portSpanOutside('1024\t60999\n')).toEqual({ first: 61_000, end: 65_536 });
    expect(portSpanOutside('20500 65535')).toEqual({ first: 1_024, end: 20_500 });
  });

  it('refuses a range that leaves no room, saying how to narrow it', () => {
    expect(() => portSpanOutside('1024 65535')).toThrow(
      /1024-65535, .*ip_local_port_range="32768 60999"/,
    );
  });

  it("uses Linux's default range when the setting cannot be read", () => {
    expect(portSpanOutside(undefined)).toEqual({ first: 20_000, end: 32_768 });
    expect(portSpanOutside('garbage')).toEqual({ first: 20_000, end: 32_768 });
  });
});
