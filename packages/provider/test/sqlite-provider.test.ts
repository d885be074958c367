import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyPassword } from '@sftpgo/auth';
import {
  type DataProvider,
  openSqliteProvider,
  ProviderError,
  schemaScriptsDir,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));
const alice: UserInput = {
  username: 'alice',
  password: 'alice-secret',
  home_dir: '/srv/sftp/alice',
  permissions: { '/': ['*'], '/ro': ['list', 'download'] },
};

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider | undefined;

beforeEach(async () => {
  tmp = await makeTempDir();
});

afterEach(async () => {
  await provider?.close();
  provider = undefined;
  await tmp.remove();
});

async function open(): Promise<DataProvider> {
  provider = await openSqliteProvider({ path: join(tmp.path, 'sftpgo.db'), migrationsDir });
  return provider;
}

describe('SQLite provider', () => {
  it('refuses a synchronous level SQLite does not have, before it creates the file', async () => {
    const path = join(tmp.path, 'sftpgo.db');
    const opening = openSqliteProvider({
      path,
      migrationsDir,
      synchronous: 'NORMAL; DROP TABLE users' as never,
    });
    await expect(opening).rejects.toThrow(
      'synchronous "NORMAL; DROP TABLE users": give one of OFF, NORMAL, FULL, EXTRA',
    );
    expect(existsSync(path)).toBe(false);
  });

  it('adds a user with defaults and a hashed password, and reads it back', async () => {
    const p = await open();
    const added = await p.addUser(alice);
    expect(added).toMatchObject({
      id: 1,
      status: 1,
      username: 'alice',
      home_dir: '/srv/sftp/alice',
      permissions: { '/': ['*'], '/ro': ['list', 'download'] },
      quota_size: 0,
      filters: { allowed_ip: [], denied_ip: [] },
    });
    expect(added.password).not.toContain('alice-secret');
    expect(await verifyPassword('alice-secret', added.password)).toBe(true);
    expect(await p.getUserById(1)).toEqual(added);
    expect(await p.getUserByUsername('alice')).toEqual(added);
    expect(await p.getUserById(2)).toBeUndefined();
    expect(await p.getUserByUsername('bob')).toBeUndefined();
  });

  it("applies the package's own schema scripts when no folder is given", async () => {
    const own = await openSqliteProvider({ path: join(tmp.path, 'own-scripts.db') });
    try {
      expect((await own.addUser(alice)).username).toBe('alice');
    } finally {
      await own.close();
    }
    expect(schemaScriptsDir('sqlite')).toBe(migrationsDir);
  });

  it('keeps users across reopening the database', async () => {
    await (await open()).addUser(alice);
    await provider?.close();
    const reopened = await open();
    expect((await reopened.getUserByUsername('alice'))?.home_dir).toBe('/srv/sftp/alice');
  });

  it('refuses a second user with the same username', async () => {
    const p = await open();
    await p.addUser(alice);
    const err = await p.addUser({ ...alice, home_dir: '/other' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'conflict' });
  });

  it('names every problem of an invalid user', async () => {
    const p = await open();
    const err = await p
      .addUser({ username: '', home_dir: 'relative', permissions: { '/': [] } } as never)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const problems = (err as ValidationError).problems.join('\n');
    expect(problems).toMatch(/username: is required/);
    expect(problems).toMatch(/home_dir: must be an absolute path/);
    expect(problems).toMatch(/permissions\.\/: grant at least one permission/);
  });

  it('refuses a public key that does not parse, naming it by its index', async () => {
    const p = await open();
    const good =
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';
    const err = await p
      .addUser({ ...alice, public_keys: [good, 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAA', 'garbage'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      'public_keys: could not parse key nr. 1',
      'public_keys: could not parse key nr. 2',
    ]);
    expect((await p.addUser({ ...alice, public_keys: [good] })).public_keys).toEqual([good]);
  });

  it('upserts: adds a new user, and replaces an account keeping its id, quota and last login', async () => {
    const p = await open();
    const added = await p.upsertUser(alice);
    await p.updateQuota('alice', { sizeDelta: 100, filesDelta: 1 });
    await p.updateLastLogin('alice', 1234);
    const replaced = await p.upsertUser({ ...alice, home_dir: '/srv/new', quota_files: 10 });
    expect(replaced).toMatchObject({
      id: added.id,
      home_dir: '/srv/new',
      quota_files: 10,
      used_quota_size: 100,
      used_quota_files: 1,
      last_login: 1234,
    });
    expect(await p.getUserByUsername('alice')).toEqual(replaced);
    await expect(p.upsertUser({ ...alice, home_dir: 'relative' })).rejects.toThrow(ValidationError);
  });

  it('refuses a user with neither password nor public key', async () => {
    const p = await open();
    const { password: _none, ...nopass } = alice;
    await expect(p.addUser(nopass)).rejects.toThrow(/password or at least a public_key/);
  });

  it('stores an argon2id hash sent by the client as it is', async () => {
    const p = await open();
    const first = await p.addUser(alice);
    const copy = await p.addUser({ ...alice, username: 'alice2', password: first.password });
    expect(copy.password).toBe(first.password);
  });

  it('applies the schema once and records it', async () => {
    await open();
    await provider?.close();
    await open();
    const db = new Database(join(tmp.path, 'sftpgo.db'), { readonly: true });
    try {
      const versions = db.prepare('SELECT version FROM schema_migrations').all();
      const scripts = readdirSync(migrationsDir).filter((n) => n.endsWith('.sql'));
      expect(versions).toHaveLength(scripts.length);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('explains a database it cannot open', async () => {
    await expect(
      openSqliteProvider({ path: join(tmp.path, 'no/such/dir/x.db'), migrationsDir }),
    ).rejects.toThrow(/cannot open the SQLite database/);
  });
});

// The manual recipe of the docs: find sql/sqlite -name '*.sql' | sort | xargs cat | sqlite3 sftpgo.db
describe.runIf(hasCommand('sqlite3'))('a database initialised with the sqlite3 command', () => {
  it('is accepted as it is', async () => {
    const scripts = readdirSync(migrationsDir).sort();
    const sqlText = scripts.map((n) => readFileSync(join(migrationsDir, n), 'utf8')).join('\n');
    execFileSync('sqlite3', [join(tmp.path, 'sftpgo.db')], { input: sqlText });
    const p = await open();
    expect((await p.addUser(alice)).id).toBe(1);
  });
});
