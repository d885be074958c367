import { readFileSync } from 'node:fs';
import { hashPassword, verifyPassword } from '@sftpgo/auth';
import { describe, expect, it } from 'vitest';
import {
  ApiClient,
  bandwidthKBps,
  convertProftpdUsers,
  convertPureFtpdUsers,
  convertUnixUsers,
  type ImportResult,
  mergeFilters,
  parseExpirationDate,
  parsePermissions,
  passwordProblem,
  pureFtpdIpList,
  UNIX_DEFAULT_MAX_UID,
  UNIX_DEFAULT_MIN_UID,
  UsageError,
  userFromFlags,
} from '../src/api-client/index.js';
import { runApiCli } from './fixtures/api-cli.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/import/${name}`, import.meta.url), 'utf8');
const passwd = fixture('passwd');
const shadow = fixture('shadow');

// The hashes of the fixtures, made with `openssl passwd` (see fixtures/import/README.md).
const HASH = {
  alice:
    '$6$s$0ONk7Cb6vQHj.WRVKbGZ0Y86yhuLam11L92a6wziCUwhPAmO1YdgYIoxpvS.wNpwTsZveSEo7dJ07No6GUEhX0',
  bob: '$1$b0bsalt$b4zmT/Qofcdffrd9l2b5o/',
  frank:
    '$6$frank$0PpHXUDaxA.ZuOhJvAQELLbc0ZlI7Q2zXeh.L7Ta3kcX0tyUK2jgzZ0Cj/.wZmMlSn4TPtXzmH3o/sEGTsE/F1',
  joe: '$6$joesalt$RLK4LZT0rEUFpNdp5IeFfOTXIusRZjCVdAvx.gonsVFOcoCdzDj10Bhi8kqmHPbWgCHJltpM6oNmCf6.BjH/Y0',
  ann: '$1$annsalt$bma1zweHPVqWZowaYAH4d1',
  pat: '$1$patsalt$Q9CfDsnEXJD4YvXA70sYq0',
  quinn:
    '$6$quinn$vkflaOHMbupmeQ1dQ85XZRYty1DdOyZVH1ZUeVJcWToOGMRrRy/s23EjdMnhZfMF.CUfU3AbSxKc8JFe7eVCw0',
};
const PLAIN: Record<string, string> = {
  alice: 'secret',
  bob: 'bob-secret',
  frank: 'frank-secret',
  joe: 'joe-secret',
  ann: 'ann-secret',
  wide: 'ann-secret',
  pat: 'pat-secret',
  quinn: 'quinn-secret',
};
const ALL = { '/': ['*'] };
const NOW = Date.UTC(2025, 0, 1);

/** Every converted user logs in with the password it had. */
async function expectPasswordsVerify(result: ImportResult) {
  for (const user of result.users) {
    expect(await verifyPassword(PLAIN[user.username]!, user.password), user.username).toBe(true);
    expect(await verifyPassword('wrong', user.password), user.username).toBe(false);
  }
}

describe('convertUnixUsers', () => {
  const options = { minUid: UNIX_DEFAULT_MIN_UID, maxUid: UNIX_DEFAULT_MAX_UID, now: NOW };

  it('joins passwd and shadow, keeps the sha512crypt and md5crypt hashes, skips the rest', async () => {
    const result = convertUnixUsers(passwd, shadow, options);
    expect(result).toEqual({
      users: [
        {
          username: 'alice',
          password: HASH.alice,
          home_dir: '/home/alice',
          uid: 1000,
          gid: 1000,
          permissions: ALL,
          status: 1,
        },
        {
          username: 'bob',
          password: HASH.bob,
          home_dir: '/home/bob',
          uid: 1001,
          gid: 1001,
          permissions: ALL,
          status: 1,
        },
        {
          username: 'frank',
          password: HASH.frank,
          home_dir: '/home/frank',
          uid: 1005,
          gid: 1005,
          permissions: ALL,
          // 19000 + 90 + 30 days: the password went inactive on 2022-05-08
          status: 0,
          // the shadow's expiry, day 25000
          expiration_date: 25000 * 86_400_000,
        },
      ],
      skipped: [
        { username: 'carol', reason: 'locked account' },
        { username: 'dave', reason: 'unsupported password hash (yescrypt)' },
        { username: 'erin', reason: 'no password' },
      ],
      warnings: [
        {
          username: 'frank',
          message: 'password inactive since 2022-05-08: imported disabled (status 0)',
        },
      ],
    });
    await expectPasswordsVerify(result);
  });

  it('takes only the names asked for, under --home-base, with the permissions given', () => {
    const result = convertUnixUsers(passwd, shadow, {
      ...options,
      usernames: ['bob', 'svc', 'zed'],
      homeBase: '/srv/sftp',
      permissions: { '/': ['list', 'download'], '/in': ['*'] },
    });
    expect(result.users).toEqual([
      {
        username: 'bob',
        password: HASH.bob,
        home_dir: '/srv/sftp/bob',
        uid: 1001,
        gid: 1001,
        permissions: { '/': ['list', 'download'], '/in': ['*'] },
        status: 1,
      },
    ]);
    // svc is a system account, below the uid range
    expect(result.skipped).toEqual([]);
    expect(result.warnings).toEqual([
      { username: 'svc', message: 'no such account in the uid range' },
      { username: 'zed', message: 'no such account in the uid range' },
    ]);
  });

  it('takes a hash written in passwd itself, and reports a missing shadow entry', () => {
    const result = convertUnixUsers(
      `old:${HASH.bob}:2000:2000::/home/old:/bin/sh\nghost:x:2001:2001::/home/ghost:/bin/sh\nbad line\n`,
      '',
    );
    expect(result.users.map((u) => [u.username, u.password])).toEqual([['old', HASH.bob]]);
    expect(result.skipped).toEqual([
      { username: 'ghost', reason: 'no shadow entry' },
      { username: 'bad line', reason: 'malformed passwd line 3' },
    ]);
  });
});

describe('convertPureFtpdUsers', () => {
  it('maps quotas, bandwidths, sessions, client IPs and the chroot; skips host names and scrypt', async () => {
    const result = convertPureFtpdUsers(fixture('pureftpd.passwd'));
    expect(result).toEqual({
      users: [
        {
          username: 'joe',
          password: HASH.joe,
          home_dir: '/home/ftpusers/joe',
          uid: 500,
          gid: 101,
          permissions: ALL,
          status: 1,
          // 102400 and 204800 bytes/s (pure-pw -T 100 -t 200) in KB/s of 1000 bytes
          upload_bandwidth: 102,
          download_bandwidth: 204,
          max_sessions: 3,
          quota_files: 1000,
          quota_size: 10485760,
          filters: { allowed_ip: ['192.168.0.0/16', '10.1.1.5/32'], denied_ip: ['192.168.1.1/32'] },
        },
        {
          username: 'ann',
          password: HASH.ann,
          home_dir: '/srv/ftp',
          uid: 500,
          gid: 101,
          permissions: ALL,
          status: 1,
          upload_bandwidth: 0,
          download_bandwidth: 0,
          max_sessions: 0,
          quota_files: 0,
          quota_size: 52428800,
          filters: { allowed_ip: [], denied_ip: [] },
        },
        {
          username: 'wide',
          password: HASH.ann,
          home_dir: '/var/www',
          uid: 500,
          gid: 101,
          permissions: ALL,
          status: 1,
          // 500 bytes/s: the least limit, never 0 (unlimited)
          upload_bandwidth: 1,
          download_bandwidth: 0,
          max_sessions: 0,
          quota_files: 0,
          quota_size: 0,
          filters: { allowed_ip: [], denied_ip: [] },
        },
      ],
      skipped: [
        {
          username: 'hosty',
          reason: 'client IP "blah.verybadhost.com" has no CIDR form (host name or malformed)',
        },
        { username: 'scrypty', reason: 'unsupported password hash (scrypt)' },
      ],
      warnings: [
        {
          username: 'ann',
          message: 'Pure-FTPd started sessions in /srv/ftp/./ann/: they start at /srv/ftp here',
        },
        { username: 'ann', message: 'upload:download ratio 1:10 dropped (not supported)' },
        {
          username: 'ann',
          message: 'local IP restrictions (allowed 10.0.0.1, denied none) dropped (not supported)',
        },
        { username: 'ann', message: 'time restriction 0900-1800 dropped (not supported)' },
        {
          username: 'wide',
          message: 'not chrooted in Pure-FTPd: SFTPGo confines the user to its home',
        },
      ],
    });
    await expectPasswordsVerify(result);
  });

  it('converts IP lists to CIDR and bandwidths to KB/s', () => {
    expect(pureFtpdIpList('')).toEqual({ cidrs: [] });
    expect(pureFtpdIpList('10.0.0.0/8, 1.2.3.4')).toEqual({ cidrs: ['10.0.0.0/8', '1.2.3.4/32'] });
    expect(pureFtpdIpList('10.0.0.0/33')).toEqual({ cidrs: [], invalid: '10.0.0.0/33' });
    expect(pureFtpdIpList('1.2.3.4,example.org')).toEqual({
      cidrs: ['1.2.3.4/32'],
      invalid: 'example.org',
    });
    expect([0, 1, 999, 1000, 1024, 102400].map(bandwidthKBps)).toEqual([0, 1, 1, 1, 1, 102]);
  });

  it('skips lines with more fields than pure-pw writes', () => {
    const result = convertPureFtpdUsers(`x:${HASH.joe}:1:1::/h/./${':'.repeat(13)}\n`);
    expect(result.skipped).toEqual([
      { username: 'x', reason: 'malformed line 1: expected up to 18 colon-separated fields' },
    ]);
  });
});

describe('convertProftpdUsers', () => {
  it('reads the ftpasswd format and skips DES hashes and malformed lines', async () => {
    const result = convertProftpdUsers(fixture('ftpd.passwd'), { minUid: 2000 });
    expect(result).toEqual({
      users: [
        {
          username: 'pat',
          password: HASH.pat,
          home_dir: '/home/pat',
          uid: 2001,
          gid: 2001,
          permissions: ALL,
          status: 1,
        },
        {
          username: 'quinn',
          password: HASH.quinn,
          home_dir: '/srv/quinn',
          uid: 2002,
          gid: 2002,
          permissions: ALL,
          status: 1,
        },
      ],
      skipped: [
        { username: 'old', reason: 'unsupported password hash (DES crypt)' },
        {
          username: 'broken',
          reason: 'malformed line 4: expected user:hash:uid:gid:gecos:home:shell',
        },
      ],
      warnings: [],
    });
    await expectPasswordsVerify(result);
  });
});

describe('passwordProblem', () => {
  it('accepts only the hashes @sftpgo/auth verifies', async () => {
    expect(passwordProblem(await hashPassword('x'))).toBeUndefined();
    expect(passwordProblem(HASH.alice)).toBeUndefined();
    expect(passwordProblem(HASH.bob)).toBeUndefined();
    expect(passwordProblem('$2y$10$abcdefghijklmnopqrstuuJ7sNtTfXA2pSVgpzaD3hOy4N1vdX6GK')).toBe(
      undefined,
    );
    expect(passwordProblem('')).toBe('no password');
    expect(passwordProblem('!!')).toBe('locked account');
    expect(passwordProblem('*')).toBe('locked account');
    expect(passwordProblem('$5$salt$abc')).toBe('unsupported password hash (sha256crypt)');
    expect(passwordProblem('$6$salt$short')).toBe('malformed password hash');
    expect(passwordProblem('plain-text')).toBe('unknown password hash format');
    expect(passwordProblem(`$6$rounds=999999999$s$${'a'.repeat(86)}`)).toBe(
      'unsupported password hash (sha512crypt with 999999999 rounds)',
    );
  });
});

describe('user flags', () => {
  it('makes a body of the flags given only', () => {
    expect(
      userFromFlags({
        username: 'u1',
        password: 'pw',
        'public-key': ['ssh-ed25519 AAAA a', 'ssh-rsa BBBB b'],
        'home-dir': '/srv/u1',
        uid: '1000',
        gid: '1000',
        'max-sessions': '2',
        'quota-size': '1000000',
        'quota-files': '10',
        permissions: ['/:list,download', '/in::upload'],
        'upload-bandwidth': '100',
        'download-bandwidth': '200',
        status: '0',
        'expiration-date': '2030-01-31',
        'allowed-ip': ['10.0.0.0/8'],
        'denied-ip': ['10.1.0.0/16'],
      }),
    ).toEqual({
      username: 'u1',
      password: 'pw',
      public_keys: ['ssh-ed25519 AAAA a', 'ssh-rsa BBBB b'],
      home_dir: '/srv/u1',
      uid: 1000,
      gid: 1000,
      max_sessions: 2,
      quota_size: 1000000,
      quota_files: 10,
      permissions: { '/': ['list', 'download'], '/in': ['upload'] },
      upload_bandwidth: 100,
      download_bandwidth: 200,
      status: 0,
      expiration_date: Date.UTC(2030, 0, 31),
      filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: ['10.1.0.0/16'] },
    });
    expect(userFromFlags({ 'quota-files': ['1', '7'], 'denied-ip': [''] })).toEqual({
      quota_files: 7,
      filters: { denied_ip: [] },
    });
  });

  it('refuses malformed values as usage errors', () => {
    expect(() => userFromFlags({ uid: '-1' })).toThrow(UsageError);
    expect(() => userFromFlags({ uid: '70000' })).toThrow('--uid: expected a whole number from 0');
    expect(() => userFromFlags({ status: '2' })).toThrow(UsageError);
    expect(() => parsePermissions(['list'])).toThrow(UsageError);
    expect(() => parsePermissions(['/dir:'])).toThrow(UsageError);
    expect(parseExpirationDate('0')).toBe(0);
    expect(() => parseExpirationDate('2030-02-30')).toThrow(UsageError);
    expect(() => parseExpirationDate('tomorrow')).toThrow(UsageError);
  });

  it('keeps the stored IP list the update does not give', () => {
    const stored = { filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: ['10.9.0.0/16'] } };
    expect(mergeFilters({ filters: { denied_ip: [] } }, stored)).toEqual({
      filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: [] },
    });
    expect(mergeFilters({ quota_files: 1 }, stored)).toEqual({ quota_files: 1 });
  });
});

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** A fetch that records the calls and answers from `answers`, in order. */
function fakeFetch(answers: { status: number; body: unknown }[]) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const answer = answers.shift() ?? { status: 200, body: {} };
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

async function runApi(
  args: string[],
  answers: { status: number; body: unknown }[] = [],
  env: NodeJS.ProcessEnv = {},
) {
  const { fetch, calls } = fakeFetch(answers);
  let stdout = '';
  let stderr = '';
  let code = 0;
  await runApiCli(['api', ...args], {
    env,
    fetch,
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    setExitCode: (c) => {
      code = c;
    },
    readFile: async (path) => readFileSync(path, 'utf8'),
    now: () => NOW,
  });
  return { stdout, stderr, code, calls };
}

describe('sftpgo api', () => {
  it('calls the API paths of the reference server, with basic auth when given', async () => {
    const run = await runApi(
      [
        'users',
        'list',
        '--url',
        'https://sftp.example.com:8443/',
        '--auth-user',
        'admin',
        '--auth-password',
        'pw',
        '--limit',
        '10',
        '--order',
        'DESC',
      ],
      [{ status: 200, body: [] }],
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('[]\n');
    expect(run.calls).toEqual([
      {
        method: 'GET',
        url: 'https://sftp.example.com:8443/api/v1/user?limit=10&order=DESC',
        headers: { accept: 'application/json', authorization: `Basic ${btoa('admin:pw')}` },
        body: undefined,
      },
    ]);
    const fromEnv = await runApi(['version'], [], {
      SFTPGO_API_URL: 'http://10.0.0.1:9090',
      SFTPGO_API_USER: 'ops',
      SFTPGO_API_PASSWORD: 'secret',
    });
    expect(fromEnv.calls.map((c) => [c.url, c.headers.authorization])).toEqual([
      ['http://10.0.0.1:9090/api/v1/version', `Basic ${btoa('ops:secret')}`],
    ]);
    const api = new ApiClient({ baseUrl: 'http://h:1/api/v1' });
    expect(api.url('/quota_scan')).toBe('http://h:1/api/v1/quota_scan');
    expect(api.url('/dumpdata', { output_file: 'b.json', indent: 1 })).toBe(
      'http://h:1/api/v1/dumpdata?output_file=b.json&indent=1',
    );
  });

  it('sends quota scans, dumpdata and loaddata as the reference API takes them', async () => {
    const scan = await runApi(['quota-scans', 'start', 'alice'], [{ status: 201, body: {} }]);
    expect(scan.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['POST', 'http://127.0.0.1:8080/api/v1/quota_scan', { username: 'alice' }],
    ]);
    const dump = await runApi(['dumpdata', 'backup.json', '--indent']);
    expect(dump.calls[0]?.url).toBe(
      'http://127.0.0.1:8080/api/v1/dumpdata?output_file=backup.json&indent=1',
    );
    const load = await runApi(['loaddata', 'backup.json', '--scan-quota', '2', '--mode', '1']);
    expect(load.calls[0]?.url).toBe(
      'http://127.0.0.1:8080/api/v1/loaddata?input_file=backup.json&scan_quota=2&mode=1',
    );
    const replace = await runApi(['loaddata', 'backup.json', '--replace']);
    expect(replace.calls[0]?.url).toBe(
      'http://127.0.0.1:8080/api/v1/loaddata?input_file=backup.json&scan_quota=0&mode=0&replace=1',
    );
    const noMode2 = await runApi(['loaddata', 'backup.json', '--mode', '2']);
    expect(noMode2).toMatchObject({ code: 2, calls: [] });
    const absolute = await runApi(['loaddata', '/srv/sftpgo/backups/a b.json']);
    expect(absolute.calls[0]?.url).toBe(
      'http://127.0.0.1:8080/api/v1/loaddata?input_file=%2Fsrv%2Fsftpgo%2Fbackups%2Fa+b.json&scan_quota=0&mode=0',
    );
  });

  it('updates only the flags given, keeping the stored IP list it does not change', async () => {
    const run = await runApi(
      ['users', 'update', '7', '--quota-files', '5', '--allowed-ip', '10.0.0.0/8', '10.2.0.0/16'],
      [
        { status: 200, body: { id: 7, filters: { allowed_ip: [], denied_ip: ['1.2.3.4/32'] } } },
        { status: 200, body: { error: '', message: 'User updated', status: 200 } },
      ],
    );
    expect(run.code).toBe(0);
    expect(run.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', 'http://127.0.0.1:8080/api/v1/user/7', undefined],
      [
        'PUT',
        'http://127.0.0.1:8080/api/v1/user/7',
        {
          quota_files: 5,
          filters: { allowed_ip: ['10.0.0.0/8', '10.2.0.0/16'], denied_ip: ['1.2.3.4/32'] },
        },
      ],
    ]);
    expect(JSON.parse(run.stdout)).toEqual({ error: '', message: 'User updated', status: 200 });
  });

  it('takes a repeated flag as a list', async () => {
    const run = await runApi(
      ['users', 'add', '--username', 'u', '--permissions', '/:list', '--permissions', '/in:*'],
      [{ status: 200, body: { id: 1 } }],
    );
    expect(run.calls[0]?.body).toEqual({
      status: 1,
      username: 'u',
      permissions: { '/': ['list'], '/in': ['*'] },
    });
  });

  it('adds a user enabled unless --status says otherwise, as the reference CLI', async () => {
    const add = (...flags: string[]) =>
      runApi(['users', 'add', '--username', 'u', ...flags], [{ status: 200, body: { id: 1 } }]);
    expect((await add()).calls[0]?.body).toMatchObject({ status: 1 });
    expect((await add('--status', '0')).calls[0]?.body).toMatchObject({ status: 0 });
  });

  it('reports API errors on stderr with exit 1, usage errors with exit 2', async () => {
    const missing = await runApi(
      ['users', 'get', '9'],
      [
        {
          status: 404,
          body: { error: 'Not found: user with ID 9 does not exist', message: '', status: 404 },
        },
      ],
    );
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'sftpgo api: 404 Not found: user with ID 9 does not exist\n',
    });
    const badId = await runApi(['users', 'get', 'nine']);
    expect(badId).toMatchObject({ code: 2, calls: [] });
    expect(badId.stderr).toContain('expected a user ID');
    const badOrder = await runApi(['users', 'list', '--order', 'up']);
    expect(badOrder).toMatchObject({ code: 2, calls: [] });
    const noCommand = await runApi([]);
    expect(noCommand.code).toBe(2);
    const emptyUpdate = await runApi(['users', 'update', '3']);
    expect(emptyUpdate).toMatchObject({ code: 2, calls: [] });
    const proftpdWithoutFile = await runApi(['import-users', '--from', 'proftpd']);
    expect(proftpdWithoutFile).toMatchObject({ code: 2, calls: [] });
  });

  it('imports: posts each converted user and reports the failures with the API reason', async () => {
    const dir = new URL('./fixtures/import/', import.meta.url).pathname;
    const run = await runApi(
      ['import-users', '--from', 'proftpd', '--file', `${dir}ftpd.passwd`, '--home-base', '/srv'],
      [
        { status: 200, body: { id: 4, username: 'pat' } },
        {
          status: 409,
          body: { error: 'username "quinn" already exists', message: '', status: 409 },
        },
      ],
    );
    expect(run.code).toBe(1);
    expect(run.calls.map((c) => (c.body as { home_dir: string }).home_dir)).toEqual([
      '/srv/pat',
      '/srv/quinn',
    ]);
    expect(JSON.parse(run.stdout)).toEqual({
      added: [{ username: 'pat', id: 4 }],
      failed: [
        { username: 'quinn', status: 409, error: 'username "quinn" already exists', message: '' },
      ],
      skipped: [
        { username: 'old', reason: 'unsupported password hash (DES crypt)' },
        {
          username: 'broken',
          reason: 'malformed line 4: expected user:hash:uid:gid:gecos:home:shell',
        },
      ],
    });
    expect(run.stderr).toContain('sftpgo api: import-users: skipped old: unsupported');
    expect(run.stderr).toContain(
      'sftpgo api: import-users: quinn not added: 409 username "quinn" already exists',
    );
  });

  it('prints the converted users on --dry-run, and calls nothing', async () => {
    const dir = new URL('./fixtures/import/', import.meta.url).pathname;
    const run = await runApi([
      'import-users',
      '--from',
      'unix',
      '--passwd',
      `${dir}passwd`,
      '--shadow',
      `${dir}shadow`,
      '--users',
      'alice,bob',
      '--permissions',
      '/:list,download',
      '--dry-run',
    ]);
    expect(run.calls).toEqual([]);
    expect(run.code).toBe(0);
    const { users } = JSON.parse(run.stdout) as { users: { username: string }[] };
    expect(users).toEqual([
      expect.objectContaining({ username: 'alice', permissions: { '/': ['list', 'download'] } }),
      expect.objectContaining({ username: 'bob', password: HASH.bob }),
    ]);
  });
});
