import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { type LogEntry, SftpServer } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir, sftpOf } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: SftpServer;
let port: number;
const logs: LogEntry[] = [];
const IDLE_MS = 1500;

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  for (const [username, max] of [
    ['solo', 1],
    ['many', 0],
  ] as const) {
    await provider.addUser({
      username,
      password: 'pass',
      max_sessions: max,
      home_dir: join(tmp.path, username),
      permissions: { '/': ['*'] },
    });
  }
  server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    idleTimeoutMs: IDLE_MS,
    // one failure would ban 127.0.0.1
    defender: {
      scorePerFailure: 1,
      threshold: 1,
      banTimeMs: 60_000,
      observationMs: 60_000,
      allowList: [],
    },
    logger: { log: (e) => logs.push(e) },
  });
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await tmp.remove();
});

const connect = (username: string) => connectClient(port, { username, password: 'pass' });

const closedOf = (c: ssh2.Client) =>
  new Promise<void>((resolve) => c.once('close', () => resolve()));

describe('session limits', () => {
  it('refuses a login past max_sessions, and admits it again once a session ends', async () => {
    const first = await connect('solo');
    await expect(connect('solo')).rejects.toThrow(/authentication methods failed/);
    // a user's parallel sessions are no attack: no line for fail2ban, no ban
    expect(logs).toContainEqual({
      level: 'warn',
      sender: 'sftpd',
      connection_id: expect.stringMatching(/^[0-9a-f]+$/),
      message: 'authentication refused for user "solo" from 127.0.0.1: too many open sessions: 1/1',
    });
    expect(logs.filter((l) => l.sender === 'connection_failed')).toEqual([]);
    const closed = closedOf(first);
    first.end();
    await closed;
    const again = await connect('solo');
    again.end();
  });

  it('does not limit a user whose max_sessions is 0', async () => {
    const clients = await Promise.all([connect('many'), connect('many'), connect('many')]);
    for (const c of clients) c.end();
  });

  it('closes a connection that stays idle, and keeps a busy one', async () => {
    const idle = await connect('many');
    const busy = await connect('many');
    const sftp = await sftpOf(busy);
    let busyClosed = false;
    busy.once('close', () => {
      busyClosed = true;
    });
    const started = Date.now();
    const idleClosed = closedOf(idle);
    // keep the busy one talking past the timeout
    while (Date.now() - started < IDLE_MS * 1.6) {
      await new Promise<void>((resolve, reject) =>
        sftp.realpath('.', (err) => (err ? reject(err) : resolve())),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    await idleClosed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(busyClosed).toBe(false);
    expect(logs.some((l) => /idle for 1\.5 s/.test(String(l.message)))).toBe(true);
    busy.end();
  });

  it('opens at most 10 sessions on one connection, and one more once one closes', async () => {
    const client = await connect('many');
    const sessions = await Promise.all(Array.from({ length: 10 }, () => sftpOf(client)));
    await expect(sftpOf(client)).rejects.toThrow();
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'session refused: 10 sessions already open on the connection',
      }),
    );
    // the sessions open are served all the while
    await new Promise<void>((resolve, reject) =>
      sessions[9]?.realpath('.', (err) => (err ? reject(err) : resolve())),
    );
    const [first] = sessions;
    await new Promise((resolve) => {
      first?.once('close', resolve);
      first?.end();
    });
    const eleventh = await sftpOf(client);
    await new Promise<void>((resolve, reject) =>
      eleventh.realpath('.', (err) => (err ? reject(err) : resolve())),
    );
    client.end();
  });
});
