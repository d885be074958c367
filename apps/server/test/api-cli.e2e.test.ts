import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasCommand, makeTempDir, writeSelfSignedCertificate } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import { killAllServers, type ServerProcess, startLoopbackServer } from './server-process.js';

// `sftpgo api` alone, until cli.ts registers it: the same command module.
const ENTRY = fileURLToPath(new URL('./fixtures/api-cli-entry.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/import/', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs `sftpgo api <args>` as a process, to completion. */
function sftpgoApi(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@sftpgo/source', '--import', TSX, ENTRY, 'api', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('sftpgo api against a running server', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let url: string;
  const homes = () => join(tmp.path, 'homes');
  /** `sftpgo api` with this server's URL. */
  const api = (...args: string[]) => sftpgoApi(args, { SFTPGO_API_URL: url });

  beforeAll(async () => {
    tmp = await makeTempDir();
    let apiUrl: string;
    ({ server, api: apiUrl } = await startLoopbackServer(tmp.path));
    url = apiUrl.replace(/\/api\/v1$/, '');
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('answers version and provider-status', async () => {
    const version = await api('version');
    expect(version.code).toBe(0);
    // in the reference server's order
    expect(Object.keys(JSON.parse(version.stdout))).toEqual([
      'version',
      'build_date',
      'commit_hash',
    ]);
    const status = await api('provider-status');
    expect(JSON.parse(status.stdout)).toEqual({ error: '', message: 'Alive', status: 200 });
  });

  it('adds, lists, updates and deletes a user', async () => {
    const added = await api(
      'users',
      'add',
      '--username',
      'carl',
      '--password',
      'carl-secret',
      '--home-dir',
      join(homes(), 'carl'),
      '--permissions',
      '/:list,download',
      '/in:*',
      '--quota-size',
      '1000000',
      '--upload-bandwidth',
      '500',
      '--expiration-date',
      '2099-12-31',
      '--allowed-ip',
      '127.0.0.0/8',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const user = JSON.parse(added.stdout);
    expect(user).toMatchObject({
      username: 'carl',
      permissions: { '/': ['list', 'download'], '/in': ['*'] },
      quota_size: 1000000,
      upload_bandwidth: 500,
      expiration_date: Date.UTC(2099, 11, 31),
      filters: { allowed_ip: ['127.0.0.0/8'], denied_ip: [] },
    });
    expect(user).not.toHaveProperty('password');
    const id = String(user.id);

    const listed = await api('users', 'list', '--username', 'carl');
    expect(JSON.parse(listed.stdout).map((u: { id: number }) => u.id)).toEqual([user.id]);

    const updated = await api(
      'users',
      'update',
      id,
      '--quota-files',
      '5',
      '--denied-ip',
      '10.0.0.0/8',
    );
    expect(JSON.parse(updated.stdout)).toEqual({ error: '', message: 'User updated', status: 200 });
    const got = JSON.parse((await api('users', 'get', id)).stdout);
    expect(got).toMatchObject({
      quota_files: 5,
      quota_size: 1000000,
      permissions: { '/': ['list', 'download'], '/in': ['*'] },
      filters: { allowed_ip: ['127.0.0.0/8'], denied_ip: ['10.0.0.0/8'] },
    });

    const deleted = await api('users', 'delete', id);
    expect(JSON.parse(deleted.stdout)).toEqual({ error: '', message: 'User deleted', status: 200 });
    const gone = await api('users', 'get', id);
    expect(gone).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `sftpgo api: 404 Not found: user with ID ${id} does not exist\n`,
    });
  });

  it('exits 1 with the reason of an invalid user, 2 on a usage error', async () => {
    const invalid = await api('users', 'add', '--username', 'nohome', '--password', 'x');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^sftpgo api: 400 Validation error: .*home_dir/);
    const usage = await api('users', 'get', 'abc');
    expect(usage.code).toBe(2);
    const unknown = await api('users', 'list', '--no-such-flag');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown argument');
  });

  it('dumps by file name and loads by the absolute path the reference server takes', async () => {
    const added = await api(
      'users',
      'add',
      '--username',
      'dina',
      '--password',
      'dina-secret',
      '--home-dir',
      join(homes(), 'dina'),
      '--permissions',
      '/:*',
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const dumped = await api('dumpdata', 'cli-backup.json');
    expect(JSON.parse(dumped.stdout)).toEqual({ error: '', message: 'Data saved', status: 200 });
    const { id } = JSON.parse(added.stdout) as { id: number };
    expect((await api('users', 'delete', String(id))).code).toBe(0);

    const backup = join(tmp.path, 'backups/cli-backup.json');
    const loaded = await api('loaddata', backup, '--mode', '1');
    expect(loaded).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(loaded.stdout)).toEqual({ error: '', message: 'Data restored', status: 200 });
    const listed = await api('users', 'list', '--username', 'dina');
    expect((JSON.parse(listed.stdout) as { username: string }[]).map((u) => u.username)).toEqual([
      'dina',
    ]);
    expect(JSON.parse((await api('loaddata', 'cli-backup.json')).stdout)).toMatchObject({
      status: 200,
    });

    const outside = join(tmp.path, 'cli-backup.json');
    await writeFile(outside, JSON.stringify({ users: [] }));
    const refused = await api('loaddata', outside);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^sftpgo api: 400 input_file must be a relative path inside the backups directory \(httpd\.backups_path, .*\) or an absolute path inside it: /,
    );
  });

  it('imports Linux, Pure-FTPd and ProFTPD accounts, then reports the duplicates', async () => {
    const unix = [
      'import-users',
      '--from',
      'unix',
      '--passwd',
      join(FIXTURES, 'passwd'),
      '--shadow',
      join(FIXTURES, 'shadow'),
      '--home-base',
      homes(),
    ];
    const dry = await api(...unix, '--dry-run');
    expect(dry.code).toBe(0);
    expect(
      JSON.parse(dry.stdout).users.map((u: { username: string; home_dir: string }) => [
        u.username,
        u.home_dir,
      ]),
    ).toEqual([
      ['alice', join(homes(), 'alice')],
      ['bob', join(homes(), 'bob')],
      ['frank', join(homes(), 'frank')],
    ]);
    expect(JSON.parse((await api('users', 'list', '--username', 'alice')).stdout)).toEqual([]);

    const imported = await api(...unix);
    expect(imported.code).toBe(0);
    const outcome = JSON.parse(imported.stdout);
    expect(outcome.added.map((a: { username: string }) => a.username)).toEqual([
      'alice',
      'bob',
      'frank',
    ]);
    expect(outcome.failed).toEqual([]);
    expect(outcome.skipped.map((s: { username: string }) => s.username)).toEqual([
      'carol',
      'dave',
      'erin',
    ]);
    expect(imported.stderr).toContain('sftpgo api: import-users: skipped carol: locked account');
    const [frank] = JSON.parse((await api('users', 'list', '--username', 'frank')).stdout);
    expect(frank.status).toBe(0);

    const pure = await api(
      'import-users',
      '--from',
      'pure-ftpd',
      '--file',
      join(FIXTURES, 'pureftpd.passwd'),
      '--home-base',
      homes(),
    );
    expect(pure.code).toBe(0);
    expect(JSON.parse(pure.stdout).added.map((a: { username: string }) => a.username)).toEqual([
      'joe',
      'ann',
      'wide',
    ]);
    const [joe] = JSON.parse((await api('users', 'list', '--username', 'joe')).stdout);
    expect(joe).toMatchObject({
      upload_bandwidth: 102,
      download_bandwidth: 204,
      max_sessions: 3,
      quota_files: 1000,
      quota_size: 10485760,
      filters: { allowed_ip: ['192.168.0.0/16', '10.1.1.5/32'], denied_ip: ['192.168.1.1/32'] },
    });

    const proftpd = [
      'import-users',
      '--from',
      'proftpd',
      '--file',
      join(FIXTURES, 'ftpd.passwd'),
      '--home-base',
      homes(),
    ];
    expect(JSON.parse((await api(...proftpd)).stdout).added).toHaveLength(2);
    const again = await api(...proftpd);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).failed.map((f: { status: number }) => f.status)).toEqual([
      409, 409,
    ]);
    expect(again.stderr).toContain('sftpgo api: import-users: pat not added: 409');
  });

  it.runIf(hasCommand('sftp') && hasCommand('sshpass'))(
    'lets the imported users log in over SFTP with the passwords they had',
    async () => {
      // the users imported by the test above
      const local = join(tmp.path, 'local');
      await mkdir(local, { recursive: true });
      await writeFile(join(local, 'hello.txt'), 'hello');
      // sha512crypt from shadow, md5crypt from shadow, md5crypt from ftpd.passwd
      for (const [user, password] of [
        ['alice', 'secret'],
        ['bob', 'bob-secret'],
        ['pat', 'pat-secret'],
      ] as const) {
        const { code, output } = await sftpBatch(
          server.sshPort,
          user,
          password,
          'put hello.txt\nls',
          local,
        );
        expect(code, output).toBe(0);
        expect(output).toContain('hello.txt');
      }
      const wrong = await sftpBatch(server.sshPort, 'alice', 'bob-secret', 'ls', local);
      expect(wrong.code).not.toBe(0);
      // frank's password went inactive: imported disabled
      const disabled = await sftpBatch(server.sshPort, 'frank', 'frank-secret', 'ls', local);
      expect(disabled.code).not.toBe(0);
    },
  );
});

describe.runIf(hasCommand('openssl'))(
  'sftpgo api over HTTPS with a self-signed certificate',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let server: ServerProcess;
    let url: string;

    beforeAll(async () => {
      tmp = await makeTempDir();
      writeSelfSignedCertificate(
        join(tmp.path, 'cert.pem'),
        join(tmp.path, 'key.pem'),
        '127.0.0.1',
      );
      let apiUrl: string;
      ({ server, api: apiUrl } = await startLoopbackServer(
        tmp.path,
        {},
        {},
        { certificate_file: 'cert.pem', certificate_key_file: 'key.pem' },
      ));
      url = apiUrl;
    });

    afterAll(async () => {
      await server?.stop();
      killAllServers();
      await tmp?.remove();
    });

    it('refuses the certificate, unless --insecure', async () => {
      const refused = await sftpgoApi(['version', '--url', url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^sftpgo api: cannot reach https:.*certificate/);
      const accepted = await sftpgoApi(['version', '--url', url, '--insecure']);
      expect(accepted.stderr).toBe('');
      expect(JSON.parse(accepted.stdout)).toHaveProperty('version');
    });
  },
);
