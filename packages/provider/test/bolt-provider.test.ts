import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataProvider,
  openBoltProvider,
  openSqliteProvider,
  ProviderError,
  type User,
  type UserInput,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqlDir } from './drivers.js';
import { killQuotaWriter, startQuotaWriter } from './quota-writer-process.js';

const alice: UserInput = {
  username: 'alice',
  password: 'alice-secret',
  home_dir: '/srv/sftp/alice',
  permissions: { '/': ['*'] },
};
const bob: UserInput = { ...alice, username: 'bob', home_dir: '/srv/sftp/bob' };
const carol: UserInput = { ...alice, username: 'carol', home_dir: '/srv/sftp/carol' };

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let dbPath: string;
let opened: DataProvider[] = [];

beforeEach(async () => {
  tmp = await makeTempDir();
  dbPath = join(tmp.path, 'sftpgo.db');
});

afterEach(async () => {
  await Promise.all(opened.map((p) => p.close()));
  opened = [];
  await tmp.remove();
});

/** A provider of its own on the shared file, as another server process would open. */
async function open(): Promise<DataProvider> {
  const provider = await openBoltProvider({ path: dbPath });
  opened.push(provider);
  return provider;
}

async function read(p: DataProvider, username = 'alice'): Promise<User> {
  const user = await p.getUserByUsername(username);
  if (!user) throw new Error(`${username} is missing`);
  return user;
}

describe('bolt provider', () => {
  it('keeps users, their usage and the id sequence across close and reopen', async () => {
    const first = await open();
    const added = await first.addUser(alice);
    await first.addUser(bob);
    await first.updateQuota('alice', { sizeDelta: 10 * 1024 ** 3, filesDelta: 3 });
    await first.updateLastLogin('alice', 1_700_000_000_000);
    await first.deleteUser(2);
    const stored = await read(first);
    await first.close();

    const reopened = await open();
    expect(stored).toMatchObject({
      ...added,
      used_quota_size: 10 * 1024 ** 3,
      used_quota_files: 3,
      last_quota_update: expect.any(Number),
      last_login: 1_700_000_000_000,
    });
    expect(stored.last_quota_update).toBeGreaterThan(0);
    expect(await read(reopened)).toEqual(stored);
    expect(await reopened.getUserById(1)).toEqual(stored);
    expect(await reopened.getUserById(2)).toBeUndefined();
    expect((await reopened.addUser(carol)).id).toBe(3);
  });

  it('returns users of exactly the User shape, as fresh copies', async () => {
    const p = await open();
    const added = await p.addUser(alice);
    expect(Object.keys(added).sort()).toEqual(
      [
        'id',
        'status',
        'username',
        'expiration_date',
        'password',
        'public_keys',
        'home_dir',
        'uid',
        'gid',
        'max_sessions',
        'quota_size',
        'quota_files',
        'permissions',
        'used_quota_size',
        'used_quota_files',
        'last_quota_update',
        'upload_bandwidth',
        'download_bandwidth',
        'last_login',
        'filters',
        'filesystem',
      ].sort(),
    );
    expect(await p.getUserById(added.id)).toEqual(added);
    (added.permissions['/'] as string[]).push('list');
    const [listed] = await p.listUsers();
    (listed!.public_keys as string[]).push('ssh-ed25519 AAAA');
    expect(await read(p)).toMatchObject({ permissions: { '/': ['*'] }, public_keys: [] });
  });

  it('renames a user on update, keeping its id and usage, and refuses a taken name', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.addUser(bob);
    await p.updateQuota('alice', { sizeDelta: 5, filesDelta: 1 });
    const renamed = await p.updateUser(1, { ...alice, username: 'alicia' });
    expect(renamed).toMatchObject({ id: 1, username: 'alicia', used_quota_size: 5 });
    expect(await p.getUserByUsername('alice')).toBeUndefined();
    expect(await p.getUserById(1)).toEqual(renamed);
    const err = await p.updateUser(1, bob).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'conflict', message: 'username "bob" already exists' });
    expect(await p.getUserById(1)).toEqual(renamed);
    await expect(p.updateUser(9, alice)).rejects.toMatchObject({
      code: 'not-found',
      message: 'user with ID 9 does not exist',
    });
  });

  it('upserts by username, keeping id and usage', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.updateLastLogin('alice', 42);
    const replaced = await p.upsertUser({ ...alice, quota_files: 7 });
    expect(replaced).toMatchObject({ id: 1, quota_files: 7, last_login: 42 });
    expect((await p.upsertUser(bob)).id).toBe(2);
    expect(await read(p)).toEqual(replaced);
  });

  it('lists users by username, both ways, by page, or by exact name', async () => {
    const p = await open();
    for (const u of [carol, alice, bob]) await p.addUser(u);
    const names = async (query: Parameters<DataProvider['listUsers']>[0]) =>
      (await p.listUsers(query)).map((u) => u.username);
    expect(await names({})).toEqual(['alice', 'bob', 'carol']);
    expect(await names({ order: 'DESC' })).toEqual(['carol', 'bob', 'alice']);
    expect(await names({ limit: 1, offset: 1 })).toEqual(['bob']);
    expect(await names({ limit: 0 })).toEqual([]);
    expect(await names({ username: 'bob' })).toEqual(['bob']);
    expect(await names({ username: 'bob', offset: 1 })).toEqual([]);
    expect(await names({ username: 'dave' })).toEqual([]);
  });

  it('reports unknown users as not-found', async () => {
    const p = await open();
    await expect(p.deleteUser(1)).rejects.toMatchObject({
      code: 'not-found',
      message: 'user with ID 1 does not exist',
    });
    await expect(p.updateQuota('bob', { sizeDelta: 1, filesDelta: 1 })).rejects.toMatchObject({
      code: 'not-found',
      message: 'user "bob" does not exist',
    });
    await expect(p.updateLastLogin('bob')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('stores the layout of the reference bbolt provider, version 1', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.close();
    const root = openLmdb({ path: dbPath, noSubdir: true, encoding: 'json' });
    try {
      expect(root.openDB({ name: 'db_version' }).get('version')).toEqual({ version: 1 });
      expect(root.openDB({ name: 'users_id_idx' }).get(1)).toBe('alice');
      expect(root.openDB({ name: 'users' }).get('alice')).toMatchObject({ id: 1 });
    } finally {
      await root.close();
    }
  });

  it('refuses a file of another layout version', async () => {
    const root = openLmdb({ path: dbPath, noSubdir: true, encoding: 'json' });
    await root.openDB({ name: 'db_version' }).put('version', { version: 2 });
    await root.close();
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(JSON.stringify(dbPath));
    expect((err as Error).message).toContain('version 2');
  });
});

describe('bolt provider that cannot open its file', () => {
  it('reports a path in a missing folder as unavailable, creating nothing', async () => {
    const path = join(tmp.path, 'missing', 'sftpgo.db');
    const err = await openBoltProvider({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(JSON.stringify(path));
    expect(await readdir(tmp.path)).toEqual([]);
  });

  it('refuses a file of another kind, such as an SQLite database, without crashing', async () => {
    const sqlitePath = join(tmp.path, 'sftpgo.db');
    const sqlite = await openSqliteProvider({ path: sqlitePath, migrationsDir: sqlDir('sqlite') });
    await sqlite.close();
    const random = join(tmp.path, 'random.bin');
    await writeFile(random, randomBytes(20_000));
    for (const path of [sqlitePath, random]) {
      const err = await openBoltProvider({ path }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'unavailable' });
      expect((err as Error).message).toBe(
        `cannot open the bolt database ${JSON.stringify(path)}: it is not a bolt (LMDB) database file`,
      );
    }
  });

  it('reports a folder as unavailable, leaving no lock file', async () => {
    const path = join(tmp.path, 'folder');
    await mkdir(path);
    const err = await openBoltProvider({ path }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(JSON.stringify(path));
    expect(await readdir(tmp.path)).toEqual(['folder']);
  });

  it('refuses every call once closed', async () => {
    const p = await open();
    await p.close();
    const calls = [() => p.getUserById(1), () => p.addUser(alice), () => p.checkAvailability()];
    for (const call of calls) {
      await expect(call()).rejects.toMatchObject({
        code: 'unavailable',
        message: 'the data provider is closed',
      });
    }
  });
});

describe('bolt provider from two processes', () => {
  const startWriter = (count: number) => startQuotaWriter('bolt', dbPath, count);

  it('loses no quota update when both write to the same file at the same time', async () => {
    const p = await open();
    await p.addUser(alice);
    const writers = await Promise.all([startWriter(500), startWriter(500)]);
    const exits = writers.map((w) => once(w, 'exit'));
    for (const w of writers) w.stdin?.write('go\n');
    // Meanwhile this process changes the same user too.
    await p.updateLastLogin('alice', 1234);
    expect(await Promise.all(exits)).toEqual([
      [0, null],
      [0, null],
    ]);
    expect(await read(p)).toMatchObject({
      used_quota_size: 1000,
      used_quota_files: 1000,
      last_login: 1234,
    });
  });

  it('keeps every update it acknowledged when a writer is killed with SIGKILL', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.close();
    const acknowledged = await killQuotaWriter('bolt', dbPath, { count: 100_000, before: 300 });
    expect(acknowledged).toBeGreaterThanOrEqual(300);
    // opened again after the kill, as a restarted server does
    const again = await open();
    const { used_quota_files } = await read(again);
    // the update under way at the kill may be stored, unacknowledged
    expect(used_quota_files).toBeGreaterThanOrEqual(acknowledged);
    expect(used_quota_files).toBeLessThanOrEqual(acknowledged + 1);
    await again.updateQuota('alice', { sizeDelta: 1, filesDelta: 1 });
    expect((await read(again)).used_quota_files).toBe(used_quota_files + 1);
  });
});
