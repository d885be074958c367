// The SSH listener behind a proxy: the client address of a PROXY header is
// the one logins, filters, logs and the connection list see.
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { type LogEntry, type ProxyProtocolOptions, SftpServer } from '@sftpgo/sftpd';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: SftpServer | undefined;
const logs: LogEntry[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  await provider.addUser({
    username: 'fenced',
    password: 'pass',
    // only the proxied client's network: a login seen from 127.0.0.1 is refused
    filters: { allowed_ip: ['192.0.2.0/24'], denied_ip: [] },
    home_dir: join(tmp.path, 'homes/fenced'),
    permissions: { '/': ['*'] },
  });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  logs.length = 0;
});

afterAll(async () => {
  await provider?.close();
  await tmp?.remove();
});

async function listen(proxyProtocol: ProxyProtocolOptions): Promise<number> {
  server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    logger: { log: (e) => logs.push(e) },
    proxyProtocol: { headerTimeoutMs: 1000, ...proxyProtocol },
  });
  return (await server.listen(0, '127.0.0.1')).port;
}

/** A TCP connection to the server that starts with `header`. */
async function proxied(port: number, header: string | Buffer): Promise<Socket> {
  const sock = connectTcp(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.write(header);
  return sock;
}

const LOCAL_V2 = Buffer.from('0d0a0d0a000d0a515549540a20000000', 'hex');

describe('SftpServer with proxy_protocol', () => {
  it("takes the client address of a proxy's header for filters, logs and the connection list", async () => {
    const port = await listen({ mode: 2, allowed: ['127.0.0.1'] });
    const sock = await proxied(port, 'PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\n');
    const client = await connectClient(port, { sock, username: 'fenced', password: 'pass' });
    try {
      expect(server?.listConnections()).toEqual([
        expect.objectContaining({ username: 'fenced', remote_address: '192.0.2.7:51000' }),
      ]);
      expect(logs.find((l) => l.login_type === 'password')).toMatchObject({
        username: 'fenced',
        client_ip: '192.0.2.7',
      });
    } finally {
      client.end();
    }
  });

  it('refuses a connection without a header in mode 2, and one from an unlisted proxy, saying why', async () => {
    const port = await listen({ mode: 2, allowed: ['127.0.0.1/32'] });
    await expect(connectClient(port, { username: 'fenced', password: 'pass' })).rejects.toThrow();
    await eventually(async () => {
      expect(logs).toContainEqual({
        level: 'warn',
        sender: 'sftpd',
        message: 'connection from 127.0.0.1 refused: no PROXY header',
      });
    });
    await server?.close();
    const other = await listen({ mode: 2, allowed: ['10.0.0.0/8'] });
    const sock = await proxied(other, 'PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\n');
    await once(sock, 'close');
    expect(logs.at(-1)).toEqual({
      level: 'warn',
      sender: 'sftpd',
      message: 'connection from 127.0.0.1 refused: not an address of proxy_allowed',
    });
  });

  it("serves a client without a header in mode 1, and ignores an unlisted proxy's header", async () => {
    const port = await listen({ mode: 1, allowed: ['10.0.0.0/8'] });
    // seen from 127.0.0.1, which the user's filter refuses
    await expect(connectClient(port, { username: 'fenced', password: 'pass' })).rejects.toThrow(
      /authentication/i,
    );
    const sock = await proxied(port, 'PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\n');
    await expect(
      connectClient(port, { sock, username: 'fenced', password: 'pass' }),
    ).rejects.toThrow(/authentication/i);
    const refused = logs.filter((l) => l.login_type === 'password');
    expect(refused.map((l) => l.client_ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });

  it("logs nothing for the proxy's own health checks (a v2 LOCAL header, then nothing)", async () => {
    const port = await listen({ mode: 2, allowed: [] });
    // the server's greeting is read and dropped, so that the socket can close
    const check = (await proxied(port, LOCAL_V2)).resume();
    check.end();
    await once(check, 'close');
    const silent = (await proxied(port, 'PROXY TCP4 192.0.2.7 127.0.0.1 51000 2022\r\n')).resume();
    silent.end();
    await once(silent, 'close');
    await eventually(async () => {
      expect(logs.filter((l) => l.login_type === 'no_auth_tryed')).toEqual([
        expect.objectContaining({
          client_ip: '192.0.2.7',
          error: 'no SSH identification from the client',
        }),
      ]);
    });
  });
});
