import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { type LogEntry, SftpServer, type SftpServerOptions } from '@sftpgo/sftpd';
import { eventually, hasCommand, makeTempDir, runWithInput } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKey, migrationsDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
const servers: SftpServer[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  await provider.addUser({
    username: 'u',
    password: 'right',
    home_dir: join(tmp.path, 'u'),
    permissions: { '/': ['*'] },
  });
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await provider?.close();
  await tmp.remove();
});

async function start(options: Partial<SftpServerOptions>, logs: LogEntry[] = []) {
  const server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    logger: { log: (e) => logs.push(e) },
    ...options,
  });
  servers.push(server);
  return (await server.listen(0, '127.0.0.1')).port;
}

function login(port: number, config: Partial<ssh2.ConnectConfig> = {}) {
  return new Promise<{ banner: string }>((resolve, reject) => {
    const client = new ssh2.Client();
    let banner = '';
    client.on('banner', (message) => {
      banner = message;
    });
    client.once('ready', () => {
      client.end();
      resolve({ banner });
    });
    client.once('error', reject);
    client.once('close', () => reject(new Error('connection closed before login')));
    client.connect({ host: '127.0.0.1', port, username: 'u', password: 'right', ...config });
  });
}

describe('sftpd settings', () => {
  it('refuses an unknown algorithm, naming its setting', () => {
    expect(
      () =>
        new SftpServer({ hostKeys: [hostKey], users: provider, algorithms: { cipher: ['rot13'] } }),
    ).toThrow(/^ciphers: unsupported algorithm: rot13$/);
    expect(
      () => new SftpServer({ hostKeys: [hostKey], users: provider, algorithms: { kex: ['x'] } }),
    ).toThrow(/^kex_algorithms: /);
  });

  it('offers only the ciphers configured', async () => {
    const port = await start({ algorithms: { cipher: ['aes128-ctr'] } });
    await login(port, { algorithms: { cipher: ['aes128-ctr'] } });
    await expect(
      login(port, { algorithms: { cipher: ['aes256-gcm@openssh.com'] } }),
    ).rejects.toThrow(/no matching/i);
  });

  it('sends the login banner before authentication', async () => {
    const port = await start({ loginBanner: 'Authorised users only.\n' });
    expect((await login(port)).banner).toMatch(/^Authorised users only\.\n/);
  });

  it('drops a connection after max_auth_tries failed attempts', async () => {
    const logs: LogEntry[] = [];
    const port = await start({ maxAuthTries: 2 }, logs);
    await expect(
      login(port, {
        authHandler: (_left, _partial, next) =>
          next({ type: 'password', username: 'u', password: 'wrong' }),
      }),
    ).rejects.toThrow();
    expect(logs.filter((l) => l.sender === 'connection_failed')).toHaveLength(2);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/: 2 failed login attempts$/) }),
    );
  });

  it('drops a client that never logs in after the grace time', async () => {
    const logs: LogEntry[] = [];
    const port = await start({ loginGraceMs: 400 }, logs);
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1', () => socket.write('SSH-2.0-silent\r\n'));
      socket.on('data', () => {});
      socket.on('close', () => resolve());
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(logs).toContainEqual(
      expect.objectContaining({
        sender: 'connection_failed',
        login_type: 'no_auth_tryed',
        client_ip: '127.0.0.1',
        error: 'login timeout',
      }),
    );
  });
  it('drops a client silent before its identification at the same deadline', async () => {
    const logs: LogEntry[] = [];
    const port = await start({ loginGraceMs: 400 }, logs);
    const started = Date.now();
    await new Promise<void>((resolve) => {
      // connects and sends nothing, as the half-open connections of a flood do
      const socket = connectTcp(port, '127.0.0.1');
      socket.on('data', () => {});
      socket.on('close', () => resolve());
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    // logged when the server's side of the socket has closed too
    await eventually(async () =>
      expect(logs).toContainEqual(
        expect.objectContaining({
          sender: 'connection_failed',
          login_type: 'no_auth_tryed',
          error: 'no SSH identification from the client',
        }),
      ),
    );
  });

  it('counts the login deadline from the connection, not from the identification', async () => {
    const port = await start({ loginGraceMs: 800 });
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const socket = connectTcp(port, '127.0.0.1', () => {
        // identifies itself late, then stalls in the key exchange
        setTimeout(() => socket.write('SSH-2.0-late\r\n'), 600);
      });
      socket.on('data', () => {});
      socket.on('close', () => resolve());
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(750);
    expect(elapsed).toBeLessThan(1300);
  });

  it('refuses connections of an address beyond max_per_host_connections, and serves others', async () => {
    const logs: LogEntry[] = [];
    const port = await start({ maxPerHostConnections: 3 }, logs);
    const open = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<ReturnType<typeof connectTcp>>((resolve) => {
            const socket = connectTcp(port, '127.0.0.1', () => resolve(socket));
            socket.on('data', () => {});
          }),
      ),
    );
    try {
      // the fourth of 127.0.0.1 is closed before any byte of the server's
      const fourth = await new Promise<string>((resolve) => {
        const socket = connectTcp(port, '127.0.0.1');
        let received = '';
        socket.on('data', (d) => {
          received += d;
        });
        socket.on('close', () => resolve(received));
        socket.on('error', () => {});
      });
      expect(fourth).toBe('');
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          client_ip: '127.0.0.1',
          message:
            'connection from 127.0.0.1 refused: 3 connections from this address are open, the limit of max_per_host_connections',
        }),
      );
      // another address logs in meanwhile
      await expect(login(port, { localAddress: '127.0.0.2' })).resolves.toBeDefined();
    } finally {
      for (const socket of open) socket.destroy();
    }
    // once the server has seen them closed, the address connects again
    await eventually(async () => {
      await login(port);
    });
  });

  it('asks a shared counter of connections per address, and refuses when it cannot answer', async () => {
    const logs: LogEntry[] = [];
    const opened: string[] = [];
    const closed: string[] = [];
    let answer: () => Promise<string | undefined> = async () => undefined;
    const port = await start(
      {
        // as a worker's counter, kept by another process: it answers later
        hostConnections: {
          open: async (ip) => {
            opened.push(ip);
            return answer();
          },
          close: (ip) => closed.push(ip),
        },
      },
      logs,
    );
    await login(port);
    expect(opened).toEqual(['127.0.0.1']);
    await eventually(async () => expect(closed).toEqual(['127.0.0.1']));

    answer = async () => 'the shared limit';
    await expect(login(port)).rejects.toThrow();
    answer = () => Promise.reject(new Error('no answer within 10 s'));
    await expect(login(port)).rejects.toThrow();
    expect(logs.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        'connection from 127.0.0.1 refused: the shared limit',
        'connection from 127.0.0.1 refused: its connections could not be counted: no answer within 10 s',
      ]),
    );
    // what was refused was not counted, so it is not counted out
    expect(closed).toEqual(['127.0.0.1']);
  });

  it('counts out, once, a connection whose client left while the shared counter answered', async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    let answer: (refused: string | undefined) => void = () => {};
    const port = await start({
      hostConnections: {
        open: (ip) => {
          opened.push(ip);
          return new Promise((resolve) => {
            answer = resolve;
          });
        },
        close: (ip) => closed.push(ip),
      },
    });
    const socket = connectTcp(port, '127.0.0.1');
    socket.on('error', () => {});
    await eventually(async () => expect(opened).toEqual(['127.0.0.1']));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer(undefined);
    await eventually(async () => expect(closed).toEqual(['127.0.0.1']));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toEqual(['127.0.0.1']);
  });

  // Terrapin (CVE-2023-48795): a man in the middle deletes packets at the
  // start of the encrypted stream unless both sides count them from the key
  // exchange on, which "strict KEX" makes them do.
  it.runIf(hasCommand('ssh'))("negotiates strict key exchange with OpenSSH's client", async () => {
    const port = await start({});
    // the server runs in this process: the client must not block it
    const { output } = await runWithInput(
      'ssh',
      [
        ...['-vvv', '-F', '/dev/null', '-p', String(port)],
        ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no'],
        ...['-o', 'UserKnownHostsFile=/dev/null', 'u@127.0.0.1', 'true'],
      ],
      '',
      { cwd: tmp.path },
    );
    expect(output).toMatch(/KEX algorithms: .*kex-strict-s-v00@openssh\.com/);
    expect(output).toContain('will use strict KEX ordering');
  });

  it.runIf(hasCommand('psftp'))("negotiates strict key exchange with PuTTY's psftp", async () => {
    const port = await start({});
    // the exchange comes before the host key check, which -batch then refuses
    const { output } = await runWithInput(
      'psftp',
      ['-v', '-batch', '-pw', 'right', '-P', String(port), 'u@127.0.0.1'],
      'quit\n',
      { cwd: tmp.path },
    );
    expect(output).toContain('Enabling strict key exchange semantics');
  });
});
