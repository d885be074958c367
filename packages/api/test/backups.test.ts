import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApi } from '@sftpgo/api';
import { verifyPassword } from '@sftpgo/auth';
import {
  type DataProvider,
  ManagedProvider,
  openSqliteProvider,
  type User,
  type UserInput,
} from '@sftpgo/provider';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiBody, listen, listenWithBackups, migrationsDir, version } from './helpers.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let backups: string;
let api: Awaited<ReturnType<typeof listen>>;
const internalErrors: unknown[] = [];
let dbCount = 0;

const userOf = (username: string, extra: Partial<UserInput> = {}): UserInput => ({
  username,
  password: `${username}-pw`,
  home_dir: join(tmp.path, 'homes', username),
  permissions: { '/': ['list', 'download'] },
  ...extra,
});

async function get(path: string): Promise<{ status: number; body: ApiBody }> {
  const res = await fetch(`${api.base}${path}`);
  return { status: res.status, body: (await res.json()) as ApiBody };
}

const usernames = async () =>
  (await provider.listUsers({ limit: 500 })).map((u: User) => u.username);

beforeAll(async () => {
  tmp = await makeTempDir();
  backups = join(tmp.path, 'config/backups');
});

beforeEach(async () => {
  await api?.close();
  await provider?.close();
  provider = await openSqliteProvider({
    path: join(tmp.path, `backups-${dbCount++}.db`),
    migrationsDir,
  });
  api = await listenWithBackups(provider, backups, internalErrors);
});

afterAll(async () => {
  await api.close();
  await provider.close();
  await tmp.remove();
  expect(internalErrors).toEqual([]);
});

describe('GET /api/v1/dumpdata', () => {
  it('writes every user with its password hash to a 0600 file of a 0700 directory it creates', async () => {
    await provider.addUser(userOf('bob'));
    await provider.addUser(userOf('amy', { quota_files: 3 }));
    const res = await get('/dumpdata?output_file=all.json');
    expect(res).toEqual({ status: 200, body: { error: '', message: 'Data saved', status: 200 } });

    expect((await stat(backups)).mode & 0o777).toBe(0o700);
    const file = join(backups, 'all.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('\n'); // not indented by default
    const dump = JSON.parse(text) as { users: User[] };
    expect(Object.keys(dump)).toEqual(['users']);
    expect(dump.users.map((u) => u.username)).toEqual(['amy', 'bob']);
    expect(dump.users[0]).toMatchObject({ quota_files: 3, home_dir: join(tmp.path, 'homes/amy') });
    expect(dump.users[0]?.filesystem).toEqual({ provider: 0, s3config: {}, gcsconfig: {} });
    expect(await verifyPassword('amy-pw', dump.users[0]?.password ?? '')).toBe(true);
  });

  it('indents with indent=1 and replaces the file of that name', async () => {
    await provider.addUser(userOf('cat'));
    expect((await get('/dumpdata?output_file=pretty.json')).status).toBe(200);
    expect((await get('/dumpdata?output_file=pretty.json&indent=1')).status).toBe(200);
    const text = await readFile(join(backups, 'pretty.json'), 'utf8');
    expect(text).toContain('\n  "users": [\n');
    expect((JSON.parse(text) as { users: User[] }).users.map((u) => u.username)).toEqual(['cat']);
    expect((await get('/dumpdata?output_file=pretty.json&indent=0')).status).toBe(200);
    expect(await readFile(join(backups, 'pretty.json'), 'utf8')).not.toContain('\n');
  });

  it('replaces a symbolic link of that name instead of writing through it', async () => {
    await mkdir(backups, { recursive: true });
    const victim = join(tmp.path, 'victim.txt');
    await writeFile(victim, 'keep me');
    await symlink(victim, join(backups, 'link.json'));
    expect((await get('/dumpdata?output_file=link.json')).status).toBe(200);
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect(JSON.parse(await readFile(join(backups, 'link.json'), 'utf8'))).toEqual({ users: [] });
  });

  it('refuses an absolute output_file or one that climbs with "..", writing nothing', async () => {
    for (const query of [
      '',
      'output_file=',
      `output_file=${encodeURIComponent(join(backups, 'abs.json'))}`,
      'output_file=/tmp/abs.json',
      'output_file=../escape.json',
      'output_file=sub/../../escape.json',
      'output_file=..',
      'output_file=.',
      'output_file=sub/',
      'output_file=sub%5Cfile.json',
      'output_file=nul%00.json',
      'output_file=%20',
    ]) {
      const res = await get(`/dumpdata?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toMatch(/output_file/);
    }
    const res = await get('/dumpdata?output_file=..%2Fescape.json');
    expect(res.body.error).toBe(
      'output_file must be a relative path inside the backups directory, without "..": "../escape.json"',
    );
    await expect(stat(join(tmp.path, 'config/escape.json'))).rejects.toThrow();
  });

  it('writes a relative sub-path, creating its directories with mode 0700', async () => {
    await provider.addUser(userOf('sam'));
    const res = await get('/dumpdata?output_file=daily%2F2026%2F.%2Fd.json');
    expect(res).toEqual({ status: 200, body: { error: '', message: 'Data saved', status: 200 } });
    for (const dir of ['daily', 'daily/2026']) {
      expect((await stat(join(backups, dir))).mode & 0o777, dir).toBe(0o700);
    }
    const file = join(backups, 'daily/2026/d.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((JSON.parse(await readFile(file, 'utf8')) as { users: User[] }).users).toHaveLength(1);
    expect(await get('/loaddata?input_file=daily%2F2026%2Fd.json')).toMatchObject({ status: 200 });
  });

  it('refuses a sub-path that a link leads outside backups_path, creating nothing there', async () => {
    const outside = join(tmp.path, 'dump-outside');
    await mkdir(outside, { recursive: true });
    await mkdir(backups, { recursive: true });
    await symlink(outside, join(backups, 'out-link'));
    await writeFile(join(backups, 'plain-file'), 'x');
    for (const [name, error] of [
      [
        'out-link/new/d.json',
        'output_file "out-link/new/d.json" leads outside the backups directory (httpd.backups_path)',
      ],
      [
        'out-link/d.json',
        'output_file "out-link/d.json" leads outside the backups directory (httpd.backups_path)',
      ],
      ['plain-file/d.json', 'output_file "plain-file/d.json": a part of it is not a directory'],
    ] as const) {
      const res = await get(`/dumpdata?output_file=${encodeURIComponent(name)}`);
      expect(res, name).toEqual({ status: 400, body: { error, message: '', status: 400 } });
    }
    await expect(stat(join(outside, 'new'))).rejects.toThrow();
    await expect(stat(join(outside, 'd.json'))).rejects.toThrow();
  });

  it('indents only for indent=1, taking any other value, and answers 400 to a directory', async () => {
    for (const [indent, indented] of [
      ['2', false],
      ['true', false],
      ['', false],
      ['%201%20', true],
      ['1&indent=0', true],
      ['0&indent=1', false],
    ] as const) {
      const res = await get(`/dumpdata?output_file=x.json&indent=${indent}`);
      expect(res, indent).toEqual({
        status: 200,
        body: { error: '', message: 'Data saved', status: 200 },
      });
      expect(await readFile(join(backups, 'x.json'), 'utf8'), indent).toContain(
        indented ? '\n' : '{"users":[]}',
      );
    }
    await mkdir(join(backups, 'a-dir'), { recursive: true });
    const res = await get('/dumpdata?output_file=a-dir');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('output_file "a-dir" is a directory');
  });

  it('trims output_file, and takes the first one given', async () => {
    expect((await get('/dumpdata?output_file=%20trim.json%20&output_file=other.json')).status).toBe(
      200,
    );
    expect(JSON.parse(await readFile(join(backups, 'trim.json'), 'utf8'))).toEqual({ users: [] });
    await expect(stat(join(backups, ' trim.json '))).rejects.toThrow();
    await expect(stat(join(backups, 'other.json'))).rejects.toThrow();
  });
});

describe('GET /api/v1/loaddata', () => {
  async function dumpFile(name: string, users: object[]): Promise<void> {
    await mkdir(backups, { recursive: true });
    await writeFile(join(backups, name), JSON.stringify({ users }));
  }

  it('restores a dump: the users come back with their passwords', async () => {
    await provider.addUser(userOf('dora', { max_sessions: 2 }));
    await provider.addUser(userOf('eve'));
    expect((await get('/dumpdata?output_file=round.json')).status).toBe(200);
    for (const user of await provider.listUsers()) await provider.deleteUser(user.id);

    const res = await get('/loaddata?input_file=round.json');
    expect(res).toEqual({
      status: 200,
      body: { error: '', message: 'Data restored', status: 200 },
    });
    expect(await usernames()).toEqual(['dora', 'eve']);
    const dora = await provider.getUserByUsername('dora');
    expect(dora?.max_sessions).toBe(2);
    expect(await verifyPassword('dora-pw', dora?.password ?? '')).toBe(true);
  });

  it('adds and updates with mode 0, only adds with mode 1, and deletes nothing with any mode', async () => {
    await provider.addUser(userOf('fay', { max_sessions: 1 }));
    await provider.addUser(userOf('gus'));
    await dumpFile('modes.json', [userOf('fay', { max_sessions: 9 }), userOf('hal')]);

    expect((await get('/loaddata?input_file=modes.json&mode=1')).status).toBe(200);
    expect(await usernames()).toEqual(['fay', 'gus', 'hal']);
    expect((await provider.getUserByUsername('fay'))?.max_sessions).toBe(1);

    expect((await get('/loaddata?input_file=modes.json&mode=0')).status).toBe(200);
    expect((await provider.getUserByUsername('fay'))?.max_sessions).toBe(9);
    expect(await usernames()).toEqual(['fay', 'gus', 'hal']);

    // later SFTPGo versions: 2 adds, updates and disconnects; 0.9: any integer but 1 is 0
    for (const mode of ['2', '3', '-1', '+7', '100']) {
      await provider.updateUser((await provider.getUserByUsername('fay'))?.id ?? 0, {
        ...userOf('fay'),
        max_sessions: 1,
      });
      const res = await get(`/loaddata?input_file=modes.json&mode=${encodeURIComponent(mode)}`);
      expect(res, mode).toEqual({
        status: 200,
        body: { error: '', message: 'Data restored', status: 200 },
      });
      expect(await usernames(), mode).toEqual(['fay', 'gus', 'hal']);
      expect((await provider.getUserByUsername('fay'))?.max_sessions, mode).toBe(9);
    }
  });

  it('deletes the users absent from the file only with replace=1 or replace=true', async () => {
    await provider.addUser(userOf('ned'));
    await provider.addUser(userOf('oda'));
    await dumpFile('replace.json', [userOf('ned')]);
    expect((await get('/loaddata?input_file=replace.json&replace=0')).status).toBe(200);
    expect(await usernames()).toEqual(['ned', 'oda']);
    expect((await get('/loaddata?input_file=replace.json&replace=1')).status).toBe(200);
    expect(await usernames()).toEqual(['ned']);

    await provider.addUser(userOf('oda'));
    await dumpFile('replace.json', [userOf('ned', { max_sessions: 4 })]);
    expect((await get('/loaddata?input_file=replace.json&mode=1&replace=true')).status).toBe(200);
    expect(await usernames()).toEqual(['ned']);
    expect((await provider.getUserByUsername('ned'))?.max_sessions).toBe(0);

    expect(await get('/loaddata?input_file=replace.json&replace=yes')).toEqual({
      status: 400,
      body: {
        error: 'Invalid replace: must be one of 0, 1, false, true',
        message: '',
        status: 400,
      },
    });
  });

  it('loads a dump of the reference server', async () => {
    await dumpFile('reference.json', [
      {
        id: 7,
        status: 1,
        username: 'ref',
        expiration_date: 0,
        password: '$pbkdf2-sha256$150000$E86a9YMX3zC7$R5J62hsSq+pYw00hLLPKBbcGXmq7fj5+/M0IFoYtZbo=',
        public_keys: [],
        home_dir: '/srv/ref',
        uid: 0,
        gid: 0,
        max_sessions: 0,
        quota_size: 0,
        quota_files: 0,
        permissions: { '/': ['*'] },
        used_quota_size: 10,
        used_quota_files: 1,
        last_quota_update: 1580000000000,
        upload_bandwidth: 0,
        download_bandwidth: 0,
        last_login: 0,
        filters: { allowed_ip: [], denied_ip: [] },
        filesystem: {
          provider: 0,
          s3config: {},
          gcsconfig: {},
        },
      },
    ]);
    expect(await get('/loaddata?input_file=reference.json')).toMatchObject({ status: 200 });
    expect((await provider.getUserByUsername('ref'))?.home_dir).toBe('/srv/ref');
  });

  it('reads null as an absent field, and as an empty list for a list', async () => {
    await dumpFile('nulls.json', [
      { ...userOf('quin'), status: null, public_keys: null, quota_files: null, filters: null },
    ]);
    expect(await get('/loaddata?input_file=nulls.json')).toMatchObject({ status: 200 });
    expect(await provider.getUserByUsername('quin')).toMatchObject({
      // no status: disabled, as the reference server decodes it
      status: 0,
      public_keys: [],
      quota_files: 0,
      filters: { allowed_ip: [], denied_ip: [] },
    });
  });

  it('trims input_file, as the reference server does', async () => {
    await dumpFile('trimmed.json', [userOf('ria')]);
    expect(await get('/loaddata?input_file=%20trimmed.json%09')).toMatchObject({ status: 200 });
    expect(await usernames()).toEqual(['ria']);
  });

  it('scans the quota of every user loaded with scan_quota=1, of those with a quota with 2', async () => {
    for (const name of ['ida', 'jon']) {
      const home = join(tmp.path, 'homes', name);
      await mkdir(home, { recursive: true });
      await writeFile(join(home, 'data'), Buffer.alloc(10));
    }
    await dumpFile('scan.json', [userOf('ida', { quota_size: 1000 }), userOf('jon')]);

    expect((await get('/loaddata?input_file=scan.json&scan_quota=2')).status).toBe(200);
    await eventually(async () =>
      expect((await provider.getUserByUsername('ida'))?.used_quota_files).toBe(1),
    );
    await eventually(async () =>
      expect(await (await fetch(`${api.base}/quota_scan`)).json()).toEqual([]),
    );
    expect((await provider.getUserByUsername('jon'))?.last_quota_update).toBe(0);

    expect((await get('/loaddata?input_file=scan.json&scan_quota=1')).status).toBe(200);
    await eventually(async () =>
      expect(await provider.getUserByUsername('jon')).toMatchObject({
        used_quota_size: 10,
        used_quota_files: 1,
      }),
    );
  });

  it('scans no user that add-only mode left alone', async () => {
    const home = join(tmp.path, 'homes', 'kim');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'data'), 'abc');
    await provider.addUser(userOf('kim'));
    await dumpFile('add-only.json', [userOf('kim'), userOf('lou')]);
    expect((await get('/loaddata?input_file=add-only.json&mode=1&scan_quota=1')).status).toBe(200);
    await eventually(async () =>
      expect((await provider.getUserByUsername('lou'))?.last_quota_update).toBeGreaterThan(0),
    );
    await eventually(async () =>
      expect(await (await fetch(`${api.base}/quota_scan`)).json()).toEqual([]),
    );
    expect((await provider.getUserByUsername('kim'))?.last_quota_update).toBe(0);
  });

  it('answers 400 to a scan_quota or mode that is not an integer, loading nothing', async () => {
    await dumpFile('ok.json', [userOf('max')]);
    for (const [query, error] of [
      ['scan_quota=', 'invalid scan_quota: "" is not an integer'],
      ['scan_quota=1.5', 'invalid scan_quota: "1.5" is not an integer'],
      ['mode=replace', 'invalid mode: "replace" is not an integer'],
      ['mode=99999999999999999999', 'invalid mode: "99999999999999999999" is not an integer'],
    ]) {
      const res = await get(`/loaddata?input_file=ok.json&${query}`);
      expect(res, query).toEqual({ status: 400, body: { error, message: '', status: 400 } });
    }
    expect(await usernames()).toEqual([]);
  });

  it('accepts any integer scan_quota, scanning nobody for one other than 1 and 2', async () => {
    const home = join(tmp.path, 'homes', 'pia');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'data'), 'abc');
    await dumpFile('no-scan.json', [userOf('pia')]);
    for (const scan of ['3', '-1', '0']) {
      expect((await get(`/loaddata?input_file=no-scan.json&scan_quota=${scan}`)).status).toBe(200);
    }
    expect(await (await fetch(`${api.base}/quota_scan`)).json()).toEqual([]);
    expect((await provider.getUserByUsername('pia'))?.last_quota_update).toBe(0);
  });

  it('loads an absolute path inside backups_path, as the reference server takes it', async () => {
    await dumpFile('abs.json', [userOf('abe')]);
    await mkdir(join(backups, 'sub'), { recursive: true });
    await writeFile(join(backups, 'sub/deep.json'), JSON.stringify({ users: [userOf('ada')] }));
    // a link inside that points inside is followed
    await symlink(join(backups, 'sub'), join(backups, 'inner'));
    for (const path of [
      join(backups, 'abs.json'),
      `${backups}/sub/../sub/deep.json`,
      join(backups, 'inner/deep.json'),
    ]) {
      const res = await get(`/loaddata?input_file=${encodeURIComponent(path)}`);
      expect(res, path).toEqual({
        status: 200,
        body: { error: '', message: 'Data restored', status: 200 },
      });
    }
    expect(await usernames()).toEqual(['abe', 'ada']);
    const missing = join(backups, 'missing.json');
    expect((await get(`/loaddata?input_file=${encodeURIComponent(missing)}`)).body.error).toBe(
      `input_file ${JSON.stringify(missing)} not found in the backups directory`,
    );
  });

  it('loads through a backups_path that is itself a link', async () => {
    const linked = join(tmp.path, 'linked-backups');
    await mkdir(backups, { recursive: true });
    await symlink(backups, linked);
    await dumpFile('via-link.json', [userOf('lin')]);
    const other = await listen(createApi({ provider, version, backupsPath: linked }));
    try {
      for (const path of [join(linked, 'via-link.json'), join(backups, 'via-link.json')]) {
        const res = await fetch(`${other.base}/loaddata?input_file=${encodeURIComponent(path)}`);
        expect(res.status, path).toBe(200);
      }
    } finally {
      await other.close();
    }
    expect(await usernames()).toEqual(['lin']);
  });

  it('refuses a path outside backups_path, whether the file is there or not', async () => {
    const outside = join(tmp.path, 'outside');
    const sibling = `${backups}2`; // shares the prefix of backups_path
    await mkdir(outside, { recursive: true });
    await mkdir(sibling, { recursive: true });
    const dump = JSON.stringify({ users: [userOf('mal')] });
    await writeFile(join(outside, 'x.json'), dump);
    await writeFile(join(sibling, 'x.json'), dump);
    await dumpFile('ok.json', [userOf('max')]);
    await symlink(join(outside, 'x.json'), join(backups, 'to-outside.json'));
    await symlink(outside, join(backups, 'outside-dir'));
    const refusal = (name: string) =>
      `input_file must be a relative path inside the backups directory (httpd.backups_path, ${JSON.stringify(backups)}) or an absolute path inside it: ${JSON.stringify(name)}`;
    for (const name of [
      join(outside, 'x.json'),
      join(outside, 'absent.json'),
      join(sibling, 'x.json'),
      `${backups}/../outside/x.json`,
      `${backups}/missing/../../outside/x.json`,
      `${backups}/outside-dir/x.json`,
      join(backups, 'to-outside.json'),
      'to-outside.json',
      backups,
      '/etc/passwd',
      '../backups/ok.json',
      '..',
      '.',
      'outside-dir/x.json',
      'sub\\ok.json',
    ]) {
      const res = await get(`/loaddata?input_file=${encodeURIComponent(name)}`);
      expect(res, name).toEqual({
        status: 400,
        body: { error: refusal(name), message: '', status: 400 },
      });
    }
    expect(await usernames()).toEqual([]);
  });

  it('refuses a missing input_file or one with a NUL character', async () => {
    for (const query of [
      'input_file=',
      'input_file=a%00',
      `input_file=${encodeURIComponent(backups)}%2Fa%00`,
    ]) {
      const res = await get(`/loaddata?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toMatch(/^input_file /);
    }
    expect((await get('/loaddata')).body.error).toBe(
      'input_file is required: a path relative to the backups directory, or an absolute path inside it',
    );
    expect(await usernames()).toEqual([]);
  });

  it('answers 400 to a missing file, a directory, a FIFO and a file over 10 MiB', async () => {
    await mkdir(join(backups, 'dir'), { recursive: true });
    expect((await get('/loaddata?input_file=missing.json')).body.error).toBe(
      'input_file "missing.json" not found in the backups directory',
    );
    expect((await get('/loaddata?input_file=dir')).body.error).toBe(
      'input_file "dir" is not a regular file',
    );
    if (hasCommand('mkfifo')) {
      execFileSync('mkfifo', [join(backups, 'fifo')]);
      expect((await get('/loaddata?input_file=fifo')).body.error).toBe(
        'input_file "fifo" is not a regular file',
      );
    }
    await writeFile(join(backups, 'big.json'), Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    const big = await get('/loaddata?input_file=big.json');
    expect(big).toEqual({
      status: 400,
      body: {
        error: '',
        message: 'Unable to restore input file: "big.json" size too big: 10485761/10485760 bytes',
        status: 400,
      },
    });
  });

  it('answers 400 to a file that is not a dump', async () => {
    await mkdir(backups, { recursive: true });
    for (const [text, error] of [
      ['{"users": [', /JSON/],
      ['[]', /^expected an object/],
      ['{"users": [1]}', /^users\.0: must be an object$/],
    ] as const) {
      await writeFile(join(backups, 'bad.json'), text);
      const res = await get('/loaddata?input_file=bad.json');
      expect(res.status, text).toBe(400);
      expect(res.body.error, text).toMatch(error);
      expect(res.body.message, text).toBe('Unable to parse input file: "bad.json"');
    }
  });

  it('names the users that cannot be stored', async () => {
    await dumpFile('invalid.json', [
      userOf('ned'),
      userOf('oli', { home_dir: 'relative' }),
      userOf('pam'),
    ]);
    const res = await get('/loaddata?input_file=invalid.json');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      'Validation error: users.1 ("oli"): home_dir: must be an absolute path',
    );
    // as the reference server: what came before stays stored
    expect(await usernames()).toEqual(['ned']);
  });

  it('answers 403 when users are managed elsewhere', async () => {
    await dumpFile('ok.json', [userOf('max')]);
    const readOnly = new ManagedProvider(provider, { manageUsers: false, usersBaseDir: '' });
    const other = await listen(createApi({ provider: readOnly, version, backupsPath: backups }));
    try {
      const res = await fetch(`${other.base}/loaddata?input_file=ok.json`);
      expect(res.status).toBe(403);
      expect(((await res.json()) as ApiBody).error).toMatch(/^Method disabled error: /);
      expect((await fetch(`${other.base}/dumpdata?output_file=ro.json`)).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('dumpdata and loaddata from another site', () => {
  // a browser holding the web admin's basic-auth credentials sends them with
  // a link or an image of any site: the GET routes that change state refuse
  // what the browser marks as cross-site
  const fromSite = (path: string, site: string) =>
    fetch(`${api.base}${path}`, { headers: { 'sec-fetch-site': site } });

  it('refuses a request a browser marks as sent from another site, changing nothing', async () => {
    await provider.addUser(userOf('ivy'));
    await mkdir(backups, { recursive: true });
    await writeFile(join(backups, 'keep.json'), JSON.stringify({ users: [] }));
    for (const site of ['cross-site', 'same-site']) {
      const load = await fromSite('/loaddata?input_file=keep.json&mode=2', site);
      expect(load.status).toBe(403);
      expect(((await load.json()) as ApiBody).error).toMatch(/another site/);
      expect(await usernames()).toEqual(['ivy']);
      const dump = await fromSite('/dumpdata?output_file=keep.json', site);
      expect(dump.status).toBe(403);
      expect(await readFile(join(backups, 'keep.json'), 'utf8')).toBe('{"users":[]}');
    }
  });

  it('answers a request from the same origin, or typed in the address bar', async () => {
    await provider.addUser(userOf('jay'));
    expect((await fromSite('/dumpdata?output_file=jay.json', 'same-origin')).status).toBe(200);
    expect((await fromSite('/loaddata?input_file=jay.json', 'none')).status).toBe(200);
    expect(await usernames()).toEqual(['jay']);
  });
});

describe('without a backups directory', () => {
  it('answers 404 to dumpdata and loaddata', async () => {
    const other = await listen(createApi({ provider, version }));
    try {
      for (const path of ['/dumpdata?output_file=x', '/loaddata?input_file=x']) {
        const res = await fetch(`${other.base}${path}`);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ error: '', message: 'Not Found', status: 404 });
      }
    } finally {
      await other.close();
    }
  });
});
