import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ProxyProtocolError,
  parseProxyHeader,
  proxyPolicy,
  readProxyHeader,
} from '../src/proxy-protocol.js';

const SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
const banner = Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n');

/** A v2 header: command 1 (PROXY) or 0 (LOCAL), `family`, then `block` (addresses and TLVs). */
function v2(command: number, family: number, block: Buffer): Buffer {
  const fixed = Buffer.from([0x20 | command, family, 0, 0]);
  fixed.writeUInt16BE(block.length, 2);
  return Buffer.concat([SIGNATURE, fixed, block]);
}

function ipv4Block(source: number[], sourcePort: number, tlv = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(2022, 2);
  return Buffer.concat([Buffer.from(source), Buffer.from([127, 0, 0, 1]), ports, tlv]);
}

describe('parseProxyHeader', () => {
  it('reads v1 TCP4 and TCP6 lines, and UNKNOWN as no address', () => {
    const tcp4 = Buffer.from('PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\nSSH-2.0-x\r\n');
    expect(parseProxyHeader(tcp4)).toEqual({
      version: 1,
      source: { address: '192.0.2.7', port: 51000 },
      length: 43,
    });
    const tcp6 = Buffer.from('PROXY TCP6 2001:db8::7 ::1 51000 2022\r\n');
    expect(parseProxyHeader(tcp6)).toMatchObject({
      source: { address: '2001:db8::7', port: 51000 },
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ version: 1, length: 15 });
  });

  it('reads v2 over IPv4 and IPv6, skips TLVs, and takes LOCAL as no address', () => {
    const tlv = Buffer.from([0x04, 0x00, 0x01, 0x00]); // PP2_TYPE_NOOP
    const ipv4 = v2(1, 0x11, ipv4Block([198, 51, 100, 9], 40000, tlv));
    expect(parseProxyHeader(Buffer.concat([ipv4, banner]))).toEqual({
      version: 2,
      source: { address: '198.51.100.9', port: 40000 },
      length: ipv4.length,
    });
    const address = Buffer.from('20010db8000000000000000000000009', 'hex');
    const ports = Buffer.from([0x9c, 0x40, 0x07, 0xe6]);
    const ipv6 = v2(1, 0x21, Buffer.concat([address, Buffer.alloc(16), ports]));
    expect(parseProxyHeader(ipv6)).toMatchObject({
      source: { address: '2001:db8::9', port: 40000 },
    });
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toEqual({ version: 2, length: 16 });
  });

  it('asks for more bytes until it can tell, and knows an SSH greeting is no header', () => {
    expect(parseProxyHeader(Buffer.from('PRO'))).toBe('incomplete');
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 192.0.2.7'))).toBe('incomplete');
    expect(parseProxyHeader(SIGNATURE.subarray(0, 5))).toBe('incomplete');
    expect(parseProxyHeader(v2(1, 0x11, ipv4Block([1, 2, 3, 4], 1)).subarray(0, 20))).toBe(
      'incomplete',
    );
    expect(parseProxyHeader(banner)).toBe('none');
    expect(parseProxyHeader(Buffer.from('\r\nX'))).toBe('none');
  });

  it('refuses malformed headers with a reason', () => {
    const bad = [
      'PROXY TCP4 999.0.2.7 127.0.0.1 51000 2022\r\n',
      'PROXY TCP4 192.0.2.7 127.0.0.1 70000 2022\r\n',
      'PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n',
      'PROXY TCP5 192.0.2.7 127.0.0.1 1 2\r\n',
      'PROXY TCP4 192.0.2.7 127.0.0.1 1\r\n',
      `PROXY TCP4 ${'1'.repeat(120)}`,
    ];
    for (const header of bad) {
      expect(() => parseProxyHeader(Buffer.from(header)), header).toThrow(ProxyProtocolError);
    }
    const version3 = Buffer.concat([SIGNATURE, Buffer.from([0x31, 0x11, 0, 0])]);
    expect(() => parseProxyHeader(version3)).toThrow(/unknown version 3/);
    expect(() => parseProxyHeader(v2(1, 0x11, Buffer.alloc(4)))).toThrow(/short IPv4/);
  });
});

describe('proxyPolicy', () => {
  it("is SFTPGo 0.9.6's policy: listed peers use or require it, the others ignore it or are refused", () => {
    expect(proxyPolicy(1, undefined)).toBe('use');
    expect(proxyPolicy(2, undefined)).toBe('require');
    expect(proxyPolicy(1, true)).toBe('use');
    expect(proxyPolicy(2, true)).toBe('require');
    expect(proxyPolicy(1, false)).toBe('ignore');
    expect(proxyPolicy(2, false)).toBe('reject');
  });
});

describe('readProxyHeader', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  /**
   * Connects to a server that reads the header as `policy` says; `send` is
   * written in the chunks given, then nothing for `silentMs` before it ends. Resolves with the address read, or the
   * error, and the bytes the socket gives after it.
   */
  async function exchange(
    policy: 'use' | 'require' | 'ignore',
    chunks: readonly Buffer[],
    timeoutMs = 2000,
    silentMs = 0,
  ): Promise<{ address?: unknown; error?: unknown; after: string }> {
    const accepted = new Promise<{ address?: unknown; error?: unknown; after: string }>(
      (resolve) => {
        server = createServer(async (socket) => {
          sockets.push(socket);
          let result: { address?: unknown; error?: unknown };
          try {
            result = { address: (await readProxyHeader(socket, policy, timeoutMs))?.source };
          } catch (error) {
            resolve({ error, after: '' });
            return;
          }
          const data: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => data.push(chunk));
          socket.resume();
          await once(socket, 'end');
          resolve({ ...result, after: Buffer.concat(data).toString() });
        });
      },
    );
    const listening = server as unknown as Server;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const { port } = listening.address() as { port: number };
    const client = createConnection(port, '127.0.0.1');
    sockets.push(client);
    await once(client, 'connect');
    for (const chunk of chunks) {
      client.write(chunk);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // a client that waits for the server's greeting sends nothing for a while
    await new Promise((resolve) => setTimeout(resolve, silentMs));
    client.end();
    return accepted;
  }

  it('takes the address of a header sent in pieces and gives back the stream after it', async () => {
    const header = Buffer.from('PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\n');
    const result = await exchange('use', [
      header.subarray(0, 3),
      header.subarray(3, 30),
      Buffer.concat([header.subarray(30), banner]),
    ]);
    expect(result).toEqual({ address: { address: '192.0.2.7', port: 51000 }, after: `${banner}` });
  });

  it('passes a connection without a header on untouched, unless one is required', async () => {
    expect(await exchange('use', [banner])).toEqual({ address: undefined, after: `${banner}` });
    const refused = await exchange('require', [banner]);
    expect(refused.error).toBeInstanceOf(ProxyProtocolError);
    expect(String(refused.error)).toMatch(/no PROXY header/);
  });

  it('reads and drops the header of a peer not allowed to send one', async () => {
    const header = v2(1, 0x11, ipv4Block([198, 51, 100, 9], 40000));
    expect(await exchange('ignore', [Buffer.concat([header, banner])])).toEqual({
      address: undefined,
      after: `${banner}`,
    });
  });

  it('serves a client that waits for the greeting after the timeout, and refuses a stalled header', async () => {
    expect(await exchange('use', [], 200, 400)).toEqual({ address: undefined, after: '' });
    const stalled = await exchange('use', [Buffer.from('PROXY TCP4 192.0.2.7')], 200, 400);
    expect(String(stalled.error)).toMatch(/no complete PROXY header within 200 ms/);
  });
});
