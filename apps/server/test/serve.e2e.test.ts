import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  killAllServers,
  runSftpgo,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

const haveClients = hasCommand('sftp') && hasCommand('sshpass');

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sftpgo --version', () => {
  it('prints the version, without a commit or a build date that a run from the sources lacks', async () => {
    for (const flag of ['--version', '-v']) {
      const { code, stdout } = await runSftpgo([flag]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^SFTPGo version: \d+\.\d+\.\d+\n$/);
    }
  });
});

describe('sftpgo serve with a bad configuration', () => {
  it('exits non-zero naming the bad key', async () => {
    const tmp = await makeTempDir();
    try {
      await writeFile(join(tmp.path, 'sftpgo.json'), '{"sftpd": {"bind_port": 0, "umask": "9"}}');
      const { code, stderr } = await runSftpgo(['serve', '--config-dir', tmp.path]);
      expect(code).toBe(1);
      expect(stderr).toContain('"sftpd.umask": must be an octal mode');
    } finally {
      await tmp.remove();
    }
  });
});

describe.runIf(haveClients)('sftpgo serve with the OpenSSH client', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;
  let home: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'homes', 'erin');
    ({ server, api } = await startLoopbackServer(tmp.path, { umask: '0077', grace_time: 1 }));
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    killAllServers();
    await tmp?.remove();
  });

  it('creates the SQLite database and a private host key in the config dir', async () => {
    expect((await stat(join(tmp.path, 'sftpgo.db'))).isFile()).toBe(true);
    expect((await stat(join(tmp.path, 'id_rsa'))).mode & 0o777).toBe(0o600);
  });

  it('adds a user over the REST API', async () => {
    const res = await fetch(`${api}/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        status: 1,
        username: 'erin',
        password: 'erin-password',
        home_dir: home,
        permissions: { '/': ['*'] },
      }),
    });
    expect(res.status).toBe(200);
    const user = (await res.json()) as { id: number };
    expect(user).toMatchObject({ username: 'erin', home_dir: home });
    expect(user).not.toHaveProperty('password');
    const again = await (await fetch(`${api}/user/${user.id}`)).json();
    expect(again).toEqual(user);
  });

  it('uploads, lists, renames, downloads and deletes with sftp', async () => {
    const local = join(tmp.path, 'random.bin');
    const content = randomBytes(5 * 1024 * 1024);
    await writeFile(local, content);
    const batch = [
      'mkdir incoming',
      'put random.bin incoming/random.bin',
      'ls -l incoming',
      'rename incoming/random.bin incoming/moved.bin',
      'get incoming/moved.bin downloaded.bin',
      'ls incoming',
      'ln -s moved.bin incoming/link',
      'rm incoming/link',
      'rm incoming/moved.bin',
      'rmdir incoming',
      'ls',
    ].join('\n');
    const { code, output } = await sftpBatch(
      server.sshPort,
      'erin',
      'erin-password',
      batch,
      tmp.path,
    );
    expect(output).not.toMatch(/Couldn't|not found|failure/i);
    expect(code).toBe(0);
    expect(output).toMatch(/-rw-\S+ +1 +\d+ +\d+ +5242880 .* random\.bin/);
    expect(output).toMatch(/sftp> ls incoming\s+incoming\/moved\.bin/);
    expect(sha256(await readFile(join(tmp.path, 'downloaded.bin')))).toBe(sha256(content));
    // the file was created under umask 0077, whatever mode the client asked for
    expect(output).toMatch(/-rw------- +1 .* random\.bin/);
    await expect(stat(join(home, 'incoming'))).rejects.toThrow(/ENOENT/);
    // the spec's transfer and command log lines, field for field
    const fields = (sender: string) => server.logs.find((l) => l.sender === sender);
    expect(fields('Upload')).toEqual({
      level: 'info',
      time: expect.stringMatching(/\.\d{3}Z$/),
      sender: 'Upload',
      elapsed_ms: expect.any(Number),
      size_bytes: 5 * 1024 * 1024,
      username: 'erin',
      // the path on the server's disk, as the reference logs it
      file_path: join(home, 'incoming/random.bin'),
      connection_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      protocol: 'SFTP',
    });
    expect(fields('Download')).toMatchObject({
      size_bytes: 5 * 1024 * 1024,
      file_path: join(home, 'incoming/moved.bin'),
    });
    expect(fields('Rename')).toMatchObject({
      file_path: join(home, 'incoming/random.bin'),
      target_path: join(home, 'incoming/moved.bin'),
      filemode: '',
      uid: -1,
      gid: -1,
      access_time: '',
      modification_time: '',
      ssh_command: '',
      protocol: 'SFTP',
    });
    // a link's target as the client sent it (`moved.bin`), resolved from the home as the reference does
    expect(fields('Symlink')).toMatchObject({
      file_path: join(home, 'moved.bin'),
      target_path: join(home, 'incoming/link'),
    });
    for (const sender of ['Mkdir', 'Remove', 'Rmdir']) expect(fields(sender)).toBeDefined();
  });

  it('refuses a wrong password and logs the failure', async () => {
    const { code, output } = await sftpBatch(server.sshPort, 'erin', 'wrong', 'ls', tmp.path);
    expect(code).not.toBe(0);
    expect(output).toContain('Permission denied');
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        sender: 'connection_failed',
        username: 'erin',
        login_type: 'password',
      }),
    );
  });

  /** Logs erin in with the ssh2 client and writes `size` bytes to `path`, leaving it open. */
  async function uploadLeftOpen(path: string, size: number): Promise<ssh2.Client> {
    const client = await connectWithPassword(server.sshPort, 'erin', 'erin-password');
    const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) =>
      client.sftp((err, s) => (err ? reject(err) : resolve(s))),
    );
    const handle = await new Promise<Buffer>((resolve, reject) =>
      sftp.open(path, 'w', (err, h) => (err ? reject(err) : resolve(h))),
    );
    await new Promise<void>((resolve, reject) =>
      sftp.write(handle, Buffer.alloc(size, 1), 0, size, 0, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    return client;
  }

  it('lists a live connection with its transfer, and closes it on request', async () => {
    const client = await uploadLeftOpen('/live.bin', 2048);
    const list = (await (await fetch(`${api}/connection`)).json()) as Record<string, unknown>[];
    const mine = list.find((c) => c.username === 'erin');
    expect(mine).toMatchObject({
      protocol: 'SFTP',
      remote_address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      client_version: expect.stringMatching(/^SSH-2\.0-ssh2js/),
      active_transfers: [
        { operation_type: 'upload', path: '/live.bin', size: 2048, speed: expect.any(Number) },
      ],
    });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const res = await fetch(`${api}/connection/${mine?.connection_id}`, { method: 'DELETE' });
    expect(await res.json()).toEqual({ error: '', message: 'Connection closed', status: 200 });
    await closed;
    const missing = await fetch(`${api}/connection/nope`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
  });

  it('stops cleanly on SIGTERM, closing open transfers', async () => {
    const client = await uploadLeftOpen('/partial.bin', 1024);
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));

    expect(await server.stop('SIGTERM')).toBe(0);
    await clientClosed;
    expect(server.logs.at(-1)).toMatchObject({ sender: 'service', message: 'stopped' });
    expect((await stat(join(home, 'partial.bin'))).size).toBe(1024);
  });
});
