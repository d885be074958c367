import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import {
  type LoginDefender,
  type SessionCounter,
  SessionLimitError,
  SftpServer,
} from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir } from './fixtures.js';

/**
 * What a server spread over processes gives each one: a session count and a
 * defender kept elsewhere, answered later, and sockets accepted by another
 * listener.
 */
describe('SftpServer with shared login state', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let provider: DataProvider;
  let server: SftpServer;
  let listener: Server;
  let port: number;
  const admitted: string[] = [];
  const released: string[] = [];
  const failures: string[] = [];
  let banned = false;
  let refuseNext = false;
  /** Held by the test to answer an admission late. */
  let gate: Promise<void> = Promise.resolve();
  /** Admissions waiting at the gate. */
  let waiting = 0;

  const sessions: SessionCounter = {
    async admit(user) {
      waiting++;
      await gate;
      waiting--;
      if (refuseNext) throw new SessionLimitError('too many open sessions, elsewhere');
      admitted.push(user.username);
    },
    release: (username) => released.push(username),
  };
  const defender: LoginDefender = {
    isBanned: () => banned,
    recordFailure(ip) {
      failures.push(ip);
      return false;
    },
  };

  beforeAll(async () => {
    tmp = await makeTempDir();
    provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
    await provider.addUser({
      username: 'amy',
      password: 'pass',
      home_dir: join(tmp.path, 'amy'),
      permissions: { '/': ['*'] },
    });
    server = new SftpServer({ hostKeys: [hostKey], users: provider, sessions, defender });
    // a listener of the application's own, which hands each socket over
    listener = createServer((socket) => server.handleConnection(socket));
    port = await new Promise<number>((resolve) =>
      listener.listen(0, '127.0.0.1', () => resolve((listener.address() as { port: number }).port)),
    );
  });

  afterAll(async () => {
    listener?.close();
    await server?.close();
    await provider?.close();
    await tmp?.remove();
  });

  const connect = (password = 'pass') => connectClient(port, { username: 'amy', password });

  it('serves sockets handed over, counts logins with the shared counter and releases them', async () => {
    const client = await connect();
    expect(admitted).toEqual(['amy']);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.end();
    await closed;
    await expect.poll(() => released).toEqual(['amy']);
  });

  it('refuses a login that the shared counter refuses', async () => {
    refuseNext = true;
    try {
      await expect(connect()).rejects.toThrow(/authentication methods failed/);
    } finally {
      refuseNext = false;
    }
    expect(admitted).toEqual(['amy']);
  });

  it('releases at once a login admitted after its client left', async () => {
    let open = () => {};
    gate = new Promise((resolve) => {
      open = resolve;
    });
    const client = new ssh2.Client();
    client.on('error', () => {});
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.connect({ host: '127.0.0.1', port, username: 'amy', password: 'pass' });
    // the client leaves while its admission waits for the other process
    await expect.poll(() => waiting).toBe(1);
    client.destroy();
    await gone;
    open();
    await expect.poll(() => released).toEqual(['amy', 'amy']);
    expect(admitted).toEqual(['amy', 'amy']);
    expect(server.listConnections()).toEqual([]);
  });

  it('tells the shared defender of failures, and refuses the addresses it bans', async () => {
    await expect(connect('wrong')).rejects.toThrow(/authentication methods failed/);
    expect(failures).toEqual(['127.0.0.1']);
    banned = true;
    try {
      await expect(connect()).rejects.toThrow();
    } finally {
      banned = false;
    }
  });
});
