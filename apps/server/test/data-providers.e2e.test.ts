import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '@sftpgo/auth';
import {
  createTestDatabase,
  type DatabaseServer,
  databaseServerUrl,
  eventually,
  hasCommand,
  makeTempDir,
  type TestDatabase,
} from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  runSftpgo,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const hasClients = hasCommand('sftp') && hasCommand('sshpass');

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let servers: ServerProcess[] = [];

beforeEach(async () => {
  tmp = await makeTempDir();
  await mkdir(join(tmp.path, 'local'));
  await writeFile(join(tmp.path, 'local', 'hello.txt'), 'hello from the client\n');
});

afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  killAllServers();
  await tmp.remove();
});

async function start(dataProvider: Record<string, unknown>) {
  const started = await startLoopbackServer(tmp.path, {}, dataProvider);
  servers.push(started.server);
  return started;
}

const upload = (server: ServerProcess, user: string, password: string) =>
  sftpBatch(server.sshPort, user, password, 'put hello.txt\nls\n', join(tmp.path, 'local'));

async function userByName(api: string, username: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${api}/user?username=${username}`);
  const [user] = (await res.json()) as Record<string, unknown>[];
  if (!user) throw new Error(`${username} is not listed`);
  return user;
}

for (const kind of ['postgresql', 'mysql'] as DatabaseServer[]) {
  const { url, skipReason } = databaseServerUrl(kind);
  if (skipReason) console.warn(`${kind} end-to-end tests skipped: ${skipReason}`);

  describe.runIf(url !== undefined && hasClients)(`sftpgo on ${kind}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await createTestDatabase(kind, url as URL);
    });
    afterEach(async () => {
      await db.drop();
    });

    it('initializes the schema once, then serves accounts with a base dir, quota and actions', async () => {
      const settings = {
        driver: kind,
        name: db.name,
        host: db.host,
        port: db.port,
        username: db.username,
        password: db.password,
        users_base_dir: join(tmp.path, 'homes'),
        actions: { execute_on: ['add'], command: join(tmp.path, 'on-user.sh') },
      };
      await writeFile(
        join(tmp.path, 'on-user.sh'),
        `#!/bin/sh\necho "$1 $2 $SFTPGO_USER_HOME_DIR" >> '${join(tmp.path, 'actions.log')}'\n`,
      );
      await chmod(join(tmp.path, 'on-user.sh'), 0o755);
      await writeFile(join(tmp.path, 'sftpgo.json'), JSON.stringify({ data_provider: settings }));
      const first = await runSftpgo(['initprovider', '--config-dir', tmp.path]);
      expect(first.stdout).toBe(`the ${kind} data provider is initialized: applied 20261128.sql\n`);
      expect(first.code).toBe(0);
      const again = await runSftpgo(['initprovider', '--config-dir', tmp.path]);
      expect(again.stdout).toMatch(/already initialized/);

      const { server, api } = await start(settings);
      expect(server.logs.some((l) => /schema script/.test(String(l.message)))).toBe(false);
      await addUser(api, {
        username: 'alice',
        password: 'pw-alice',
        permissions: { '/': ['*'] },
        quota_files: 10,
      });
      const result = await upload(server, 'alice', 'pw-alice');
      expect(result.output).toMatch(/hello\.txt/);
      expect(result.code).toBe(0);
      expect(await readFile(join(tmp.path, 'homes', 'alice', 'hello.txt'), 'utf8')).toBe(
        'hello from the client\n',
      );
      await eventually(async () => {
        expect(await userByName(api, 'alice')).toMatchObject({
          home_dir: join(tmp.path, 'homes', 'alice'),
          used_quota_files: 1,
          used_quota_size: 22,
        });
      });
      await eventually(async () => {
        expect(await readFile(join(tmp.path, 'actions.log'), 'utf8')).toBe(
          `add alice ${join(tmp.path, 'homes', 'alice')}\n`,
        );
      });
    });
  });
}

describe.runIf(hasClients)('sftpgo on the memory and bolt drivers', () => {
  it('serves the users of a dump, reloads it on SIGHUP, and never writes it', async () => {
    const dumpPath = join(tmp.path, 'users.json');
    const account = async (username: string) => ({
      id: username === 'alice' ? 1 : 2,
      username,
      password: await hashPassword(`pw-${username}`),
      home_dir: join(tmp.path, 'homes', username),
      permissions: { '/': ['*'] },
      quota_files: 100,
    });
    await writeFile(dumpPath, JSON.stringify({ users: [await account('alice')] }));
    const { server, api } = await start({ driver: 'memory', name: 'users.json' });
    expect((await upload(server, 'alice', 'pw-alice')).code).toBe(0);
    expect((await upload(server, 'bob', 'pw-bob')).code).not.toBe(0);

    const dump = JSON.stringify({ users: [await account('alice'), await account('bob')] });
    await writeFile(dumpPath, dump);
    const before = await stat(dumpPath);
    process.kill(server.pid, 'SIGHUP');
    // the reference's sender, for log filters written for it
    await server.waitForLog(
      (l) =>
        l.sender === 'dataProvider' &&
        /users reloaded from users\.json: 2 users/.test(String(l.message)),
    );
    expect((await upload(server, 'bob', 'pw-bob')).code).toBe(0);
    await eventually(async () => {
      expect(await userByName(api, 'bob')).toMatchObject({ used_quota_files: 1 });
    });
    expect(await readFile(dumpPath, 'utf8')).toBe(dump);
    expect((await stat(dumpPath)).mtimeMs).toBe(before.mtimeMs);

    await writeFile(dumpPath, '{"users": [ broken');
    process.kill(server.pid, 'SIGHUP');
    await server.waitForLog((l) =>
      /users not reloaded, the previous ones are kept/.test(String(l.message)),
    );
    expect((await upload(server, 'alice', 'pw-alice')).code).toBe(0);
  });

  it('keeps bolt users across a restart, in one file', async () => {
    const settings = { driver: 'bolt', name: 'sftpgo.bolt' };
    const first = await start(settings);
    await addUser(first.api, {
      username: 'carol',
      password: 'pw-carol',
      home_dir: join(tmp.path, 'homes', 'carol'),
      permissions: { '/': ['*'] },
    });
    expect(await first.server.stop()).toBe(0);
    const second = await start(settings);
    expect((await upload(second.server, 'carol', 'pw-carol')).code).toBe(0);
    expect((await stat(join(tmp.path, 'sftpgo.bolt'))).isFile()).toBe(true);
  });
});

describe.runIf(hasClients && hasCommand('sqlite3'))('sftpgo on SQLite prepared by hand', () => {
  it("takes the README's sqlite3 recipe, and a read-only view with manage_users 0", async () => {
    const dbPath = join(tmp.path, 'sftpgo.db');
    execFileSync(
      'sh',
      [
        '-c',
        `find sql/sqlite/ -type f -iname '*.sql' -print | sort -n | xargs cat | sqlite3 '${dbPath}'`,
      ],
      { cwd: ROOT },
    );
    const first = await start({});
    expect(first.server.logs.some((l) => /schema script/.test(String(l.message)))).toBe(false);
    await addUser(first.api, {
      username: 'dave',
      password: 'pw-dave',
      home_dir: join(tmp.path, 'homes', 'dave'),
      permissions: { '/': ['*'] },
    });
    expect(await first.server.stop()).toBe(0);
    execFileSync('sqlite3', [dbPath, 'CREATE VIEW sftp_accounts AS SELECT * FROM users;']);

    const { server, api } = await start({
      users_table: 'sftp_accounts',
      manage_users: 0,
      track_quota: 0,
    });
    const res = await fetch(`${api}/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'eve',
        password: 'x',
        home_dir: '/tmp/eve',
        permissions: { '/': ['*'] },
      }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(
      /^Method disabled error: .*manage_users/,
    );
    expect((await upload(server, 'dave', 'pw-dave')).code).toBe(0);
    expect(await userByName(api, 'dave')).toMatchObject({ username: 'dave' });
  });

  it("starts on a database the reference server's scripts created, adopting its users", async () => {
    const dbPath = join(tmp.path, 'sftpgo.db');
    const home = join(tmp.path, 'homes', 'frank');
    const hash = await hashPassword('pw-frank');
    // the users table as the reference's sql/sqlite scripts 20190828 to 20200116 leave it
    const reference = [
      'CREATE TABLE "users" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "username" varchar(255) NOT NULL UNIQUE, "password" varchar(255) NULL, "public_keys" text NULL, "home_dir" varchar(255) NOT NULL, "uid" integer NOT NULL, "gid" integer NOT NULL, "max_sessions" integer NOT NULL, "quota_size" bigint NOT NULL, "quota_files" integer NOT NULL, "permissions" text NOT NULL, "used_quota_size" bigint NOT NULL, "used_quota_files" integer NOT NULL, "last_quota_update" bigint NOT NULL, "upload_bandwidth" integer NOT NULL, "download_bandwidth" integer NOT NULL, "expiration_date" bigint NOT NULL, "last_login" bigint NOT NULL, "status" integer NOT NULL, "filters" text NULL);',
      'ALTER TABLE "users" ADD COLUMN "filesystem" text NULL;',
      `INSERT INTO "users" VALUES (1, 'frank', '${hash}', '[]', '${home}', 0, 0, 0, 0, 0, '{"/":["*"]}', 0, 0, 0, 0, 0, 0, 0, 1, '{"allowed_ip":[],"denied_ip":[]}', '{"provider":0,"s3config":{},"gcsconfig":{}}');`,
    ];
    execFileSync('sqlite3', [dbPath, reference.join('\n')]);
    const { server, api } = await start({});
    await server.waitForLog((l) => l.message === 'schema script 20261128.sql applied');
    expect((await upload(server, 'frank', 'pw-frank')).code).toBe(0);
    expect(await readFile(join(home, 'hello.txt'), 'utf8')).toBe('hello from the client\n');
    expect(await userByName(api, 'frank')).toMatchObject({ id: 1, home_dir: home });
  });
});
