import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { type LogEntry, SftpServer } from '@sftpgo/sftpd';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, hostKey, migrationsDir, sftpOf } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: SftpServer;
let port: number;
let home: string;
const logs: LogEntry[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'homes/dave');
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  await provider.addUser({
    username: 'dave',
    password: 'dave-pass',
    home_dir: home,
    permissions: { '/': ['*'] },
  });
  await provider.addUser({
    username: 'disabled',
    password: 'pass',
    status: 0,
    home_dir: join(tmp.path, 'homes/disabled'),
    permissions: { '/': ['*'] },
  });
  for (const [username, filters] of [
    ['fenced', { allowed_ip: ['192.0.2.0/24'], denied_ip: [] }],
    ['banned', { allowed_ip: ['127.0.0.1/32'], denied_ip: ['127.0.0.0/8'] }],
    ['local', { allowed_ip: ['127.0.0.1/32', '2001:db8::/32'], denied_ip: ['192.0.2.1/32'] }],
  ] as const) {
    await provider.addUser({
      username,
      password: 'pass',
      filters: { allowed_ip: [...filters.allowed_ip], denied_ip: [...filters.denied_ip] },
      home_dir: join(tmp.path, 'homes', username),
      permissions: { '/': ['*'] },
    });
  }
  server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    ident: 'SFTPGo_test',
    logger: { log: (e) => logs.push(e) },
  });
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await tmp.remove();
});

const connect = (username: string, password: string) => connectClient(port, { username, password });

function call<T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
}

describe('SftpServer', () => {
  it('identifies itself with the configured banner', async () => {
    const socket = connectTcp(port, '127.0.0.1');
    const [line] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    expect(line.toString()).toBe('SSH-2.0-SFTPGo_test\r\n');
  });

  it('serves SFTP on the home directory to a user logging in with a password', async () => {
    const client = await connect('dave', 'dave-pass');
    try {
      const sftp = await sftpOf(client);
      const local = join(tmp.path, 'upload.bin');
      const content = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(local, content);
      await call<void>((cb) => sftp.mkdir('/in', (e) => cb(e, undefined)));
      await call<void>((cb) => sftp.fastPut(local, '/in/data.bin', (e) => cb(e, undefined)));
      expect((await readFile(join(home, 'in/data.bin'))).equals(content)).toBe(true);

      const names = await call<ssh2.FileEntry[]>((cb) => sftp.readdir('/in', cb));
      expect(names.map((n) => n.filename)).toEqual(['data.bin']);
      expect(names[0]?.attrs.size).toBe(content.length);

      await call<void>((cb) =>
        sftp.rename('/in/data.bin', '/in/renamed.bin', (e) => cb(e, undefined)),
      );
      const back = join(tmp.path, 'download.bin');
      await call<void>((cb) => sftp.fastGet('/in/renamed.bin', back, (e) => cb(e, undefined)));
      const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(digest(await readFile(back))).toBe(digest(content));

      await call<void>((cb) => sftp.unlink('/in/renamed.bin', (e) => cb(e, undefined)));
      await call<void>((cb) => sftp.rmdir('/in', (e) => cb(e, undefined)));
      const root = await call<ssh2.FileEntry[]>((cb) => sftp.readdir('/', cb));
      expect(root).toEqual([]);
      expect((await provider.getUserByUsername('dave'))?.last_login).toBeGreaterThan(0);
    } finally {
      client.end();
    }
  });

  it('creates symbolic links the way the ssh2 client means them', async () => {
    await writeFile(join(home, 'target.txt'), 'T');
    const client = await connect('dave', 'dave-pass');
    try {
      const sftp = await sftpOf(client);
      await call<void>((cb) => sftp.symlink('target.txt', '/link', (e) => cb(e, undefined)));
      expect(await readlink(join(home, 'link'))).toBe('target.txt');
      expect(await call<string>((cb) => sftp.readlink('/link', cb))).toBe('target.txt');
    } finally {
      client.end();
    }
  });

  it('answers "no such file" and keeps the session usable', async () => {
    const client = await connect('dave', 'dave-pass');
    try {
      const sftp = await sftpOf(client);
      const err = await call((cb) => sftp.stat('/missing', cb)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 2 });
      expect(await call<string>((cb) => sftp.realpath('../..', cb))).toBe('/');
    } finally {
      client.end();
    }
  });

  it('keeps the user inside the home directory', async () => {
    const outside = join(tmp.path, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret'), 'secret');
    await symlink(outside, join(home, 'escape'));
    const client = await connect('dave', 'dave-pass');
    try {
      const sftp = await sftpOf(client);
      // the link's absolute target is taken inside the home, where nothing is
      const viaLink = await call((cb) => sftp.readdir('/escape', cb)).catch((e: unknown) => e);
      expect(viaLink).toMatchObject({ code: 2 });
      const viaDots = await call((cb) => sftp.stat('/../outside/secret', cb)).catch(
        (e: unknown) => e,
      );
      expect(viaDots).toMatchObject({ code: 2 });
    } finally {
      client.end();
    }
  });

  it('refuses a wrong password, an unknown user and a disabled user, and logs why', async () => {
    for (const [user, pass, why] of [
      ['dave', 'wrong', 'Invalid credentials'],
      ['nobody', 'x', 'does not exist'],
      ['disabled', 'pass', 'user is disabled'],
      ['fenced', 'pass', 'login from 127.0.0.1 is not allowed'],
      ['banned', 'pass', 'login from 127.0.0.1 is not allowed'],
    ] as const) {
      await expect(connect(user, pass)).rejects.toThrow(/authentication methods failed/);
      expect(logs).toContainEqual(
        expect.objectContaining({
          sender: 'connection_failed',
          username: user,
          client_ip: '127.0.0.1',
          login_type: 'password',
          error: expect.stringContaining(why),
        }),
      );
    }
  });

  it('logs a failed login with the keys in the order of the reference fail2ban filter', async () => {
    await expect(connect('dave', 'wrong')).rejects.toThrow(/authentication methods failed/);
    const failed = logs.findLast((l) => l.sender === 'connection_failed');
    expect(Object.keys(failed ?? {})).toEqual([
      'level',
      'sender',
      'client_ip',
      'username',
      'login_type',
      'error',
    ]);
  });

  it('logs a client that leaves before trying to log in as no_auth_tryed', async () => {
    const before = logs.length;
    const socket = connectTcp(port, '127.0.0.1');
    await once(socket, 'data');
    socket.end('SSH-2.0-scanner\r\n');
    await once(socket, 'close');
    socket.destroy();
    const garbage = connectTcp(port, '127.0.0.1');
    await once(garbage, 'data');
    garbage.write('GET / HTTP/1.0\r\n\r\n');
    await once(garbage, 'close');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const failed = logs.slice(before).filter((l) => l.sender === 'connection_failed');
    const noAuth = (error: string) => ({
      level: 'warn',
      sender: 'connection_failed',
      client_ip: '127.0.0.1',
      username: '',
      login_type: 'no_auth_tryed',
      error,
    });
    expect(failed).toEqual([
      noAuth('connection closed before authentication'),
      noAuth('no SSH identification from the client'),
    ]);
  });

  it('logs no address-less line for a client that resets before it is accepted', async () => {
    const before = logs.length;
    // run while this process is blocked: the reset comes before the accept,
    // as a load balancer's health check can make it come
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `const s = require('node:net').connect(${port}, '127.0.0.1', () => s.resetAndDestroy())`,
      ],
      { timeout: 10_000 },
    );
    expect(probe.status).toBe(0);
    await eventually(async () => {
      expect(logs.slice(before)).toEqual([
        {
          level: 'debug',
          sender: 'sftpd',
          message: 'connection reset by the client before it was accepted',
        },
      ]);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(logs.length).toBe(before + 1);
  });

  it("logs a login with the reference's message, and the fields of its own", async () => {
    const client = await connect('dave', 'dave-pass');
    client.end();
    const id = (await provider.getUserByUsername('dave'))?.id;
    const line = logs.findLast((l) => l.username === 'dave' && l.login_type === 'password');
    expect(line).toEqual({
      level: 'info',
      sender: 'sftpd',
      connection_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      message: expect.stringMatching(/ remote addr: "127\.0\.0\.1:\d+"$/),
      username: 'dave',
      client_ip: '127.0.0.1',
      login_type: 'password',
    });
    expect(String(line?.message).replace(/:\d+"$/, ':PORT"')).toBe(
      `User id: ${id}, logged in with: "password", username: "dave", home_dir: ${JSON.stringify(home)} remote addr: "127.0.0.1:PORT"`,
    );
  });

  it('admits a user whose IP filters allow the address', async () => {
    (await connect('local', 'pass')).end();
  });

  it('logs a failure of onEvent, answers the client and keeps serving', async () => {
    const failing: LogEntry[] = [];
    const events: string[] = [];
    const other = new SftpServer({
      hostKeys: [hostKey],
      users: provider,
      logger: { log: (e) => failing.push(e) },
      onEvent: (event) => {
        events.push(event.type);
        throw new Error('the embedder broke');
      },
    });
    const otherPort = (await other.listen(0, '127.0.0.1')).port;
    try {
      const client = await connectClient(otherPort, { username: 'dave', password: 'dave-pass' });
      try {
        const sftp = await sftpOf(client);
        for (const name of ['/one.txt', '/two.txt']) {
          await call<void>((cb) => sftp.writeFile(name, 'data', (e) => cb(e, undefined)));
        }
        expect(await readFile(join(home, 'two.txt'), 'utf8')).toBe('data');
      } finally {
        client.end();
      }
      await eventually(async () => expect(events).toEqual(['transfer', 'transfer']));
      expect(failing).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'onEvent failed on a transfer event: the embedder broke',
        }),
      );
    } finally {
      await other.close();
    }
  });

  it('counts the bytes each connection receives to onBytesReceived', async () => {
    let received = 0;
    const counting = new SftpServer({
      hostKeys: [hostKey],
      users: provider,
      onBytesReceived: (bytes) => {
        received += bytes;
      },
    });
    const countingPort = (await counting.listen(0, '127.0.0.1')).port;
    try {
      const client = await connectClient(countingPort, { username: 'dave', password: 'dave-pass' });
      const data = randomBytes(3 * 1024 * 1024);
      try {
        const sftp = await sftpOf(client);
        await call<void>((cb) => sftp.writeFile('/counted.bin', data, (e) => cb(e, undefined)));
      } finally {
        client.end();
      }
      expect(await readFile(join(home, 'counted.bin'))).toEqual(data);
      // the upload, its packets' framing and the login, all counted as they arrived
      expect(received).toBeGreaterThan(data.length);
      expect(received).toBeLessThan(data.length * 1.1);
    } finally {
      await counting.close();
    }
  });

  it('refuses a shell, and the exec request of a command not enabled, and logs it', async () => {
    const client = await connect('dave', 'dave-pass');
    try {
      const shell = await call((cb) => client.shell(cb)).catch((e: unknown) => e);
      expect(shell).toBeInstanceOf(Error);
      for (const command of ['id', 'ls -la', "md5sum 'unterminated"]) {
        const exec = await call((cb) => client.exec(command, cb)).catch((e: unknown) => e);
        expect(exec).toEqual(new Error('Unable to exec'));
        expect(logs).toContainEqual(
          expect.objectContaining({
            level: 'info',
            sender: 'sftpd',
            message: `ssh command not enabled/supported: ${JSON.stringify(command)}`,
          }),
        );
      }
    } finally {
      client.end();
    }
  });
});

// Listening on `::`, the socket reports an IPv4 client as ::ffff:127.0.0.1:
// logs, filters and the connection list must show it as 127.0.0.1.
describe('SftpServer listening on every interface', () => {
  let dual: SftpServer;
  let dualPort: number;
  const dualLogs: LogEntry[] = [];

  beforeAll(async () => {
    dual = new SftpServer({
      hostKeys: [hostKey],
      users: provider,
      logger: { log: (e) => dualLogs.push(e) },
    });
    dualPort = (await dual.listen(0, '::')).port;
  });

  afterAll(async () => {
    await dual?.close();
  });

  it('logs, filters and lists an IPv4 client by its plain IPv4 address', async () => {
    await expect(connectClient(dualPort, { username: 'banned', password: 'pass' })).rejects.toThrow(
      /authentication methods failed/,
    );
    expect(dualLogs).toContainEqual(
      expect.objectContaining({
        sender: 'connection_failed',
        username: 'banned',
        client_ip: '127.0.0.1',
        error: expect.stringContaining('login from 127.0.0.1 is not allowed'),
      }),
    );
    const client = await connectClient(dualPort, { username: 'local', password: 'pass' });
    try {
      expect(dualLogs).toContainEqual(
        expect.objectContaining({ username: 'local', client_ip: '127.0.0.1' }),
      );
      expect(dual.listConnections()).toEqual([
        expect.objectContaining({
          username: 'local',
          client_version: expect.stringMatching(/^SSH-2\.0-ssh2js/),
          remote_address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        }),
      ]);
    } finally {
      client.end();
    }
  });
});
