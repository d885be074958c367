import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type DataProvider,
  openSqliteProvider,
  ProviderError,
  type User,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { killQuotaWriter, startQuotaWriter } from './quota-writer-process.js';

const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));
const alice: UserInput = {
  username: 'alice',
  password: 'alice-secret',
  home_dir: '/srv/sftp/alice',
  permissions: { '/': ['*'] },
  quota_size: 1_000_000,
  quota_files: 100,
};

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let opened: DataProvider[] = [];

beforeEach(async () => {
  tmp = await makeTempDir();
});

afterEach(async () => {
  await Promise.all(opened.map((p) => p.close()));
  opened = [];
  await tmp.remove();
});

/** A provider of its own on the shared database file, as another server process would open. */
async function open(): Promise<DataProvider> {
  const provider = await openSqliteProvider({ path: join(tmp.path, 'sftpgo.db'), migrationsDir });
  opened.push(provider);
  return provider;
}

async function read(p: DataProvider, username = 'alice'): Promise<User> {
  const user = await p.getUserByUsername(username);
  if (!user) throw new Error(`${username} is missing`);
  return user;
}

describe('updateQuota', () => {
  it('adds increments and decrements up', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.updateQuota('alice', { sizeDelta: 1000, filesDelta: 1 });
    await p.updateQuota('alice', { sizeDelta: 250, filesDelta: 2 });
    await p.updateQuota('alice', { sizeDelta: -400, filesDelta: -1 });
    expect(await read(p)).toMatchObject({ used_quota_size: 850, used_quota_files: 2 });
  });

  it('replaces the counters on reset, as a quota scan does', async () => {
    const p = await open();
    await p.addUser(alice);
    await p.updateQuota('alice', { sizeDelta: 1000, filesDelta: 10 });
    await p.updateQuota('alice', { reset: { size: 42, files: 3 } });
    expect(await read(p)).toMatchObject({ used_quota_size: 42, used_quota_files: 3 });
    await p.updateQuota('alice', { reset: { size: 0, files: 0 } });
    expect(await read(p)).toMatchObject({ used_quota_size: 0, used_quota_files: 0 });
  });

  it('keeps sizes beyond 32 bits', async () => {
    const p = await open();
    await p.addUser(alice);
    const tenGiB = 10 * 1024 ** 3;
    await p.updateQuota('alice', { reset: { size: tenGiB, files: 1 } });
    await p.updateQuota('alice', { sizeDelta: tenGiB, filesDelta: 1 });
    expect((await read(p)).used_quota_size).toBe(2 * tenGiB);
  });

  it('moves last_quota_update on every change', async () => {
    const p = await open();
    const added = await p.addUser(alice);
    expect(added.last_quota_update).toBe(0);
    const before = Date.now();
    await p.updateQuota('alice', { sizeDelta: 1, filesDelta: 1 });
    const first = (await read(p)).last_quota_update;
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await p.updateQuota('alice', { reset: { size: 0, files: 0 } });
    expect((await read(p)).last_quota_update).toBeGreaterThan(first);
  });

  it('changes nothing else of the user, nor of other users', async () => {
    const p = await open();
    const added = await p.addUser(alice);
    const bob = await p.addUser({ ...alice, username: 'bob', home_dir: '/srv/sftp/bob' });
    await p.updateQuota('alice', { sizeDelta: 7, filesDelta: 1 });
    await p.updateQuota('alice', { reset: { size: 9, files: 2 } });
    const { used_quota_size, used_quota_files, last_quota_update, ...rest } = await read(p);
    const { used_quota_size: _s, used_quota_files: _f, last_quota_update: _u, ...expected } = added;
    expect(rest).toEqual(expected);
    expect(await read(p, 'bob')).toEqual(bob);
  });

  it('reports an unknown user as not-found', async () => {
    const p = await open();
    await p.addUser(alice);
    for (const change of [{ sizeDelta: 1, filesDelta: 1 }, { reset: { size: 0, files: 0 } }]) {
      const err = await p.updateQuota('bob', change).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ code: 'not-found', message: 'user "bob" does not exist' });
    }
    expect((await read(p)).used_quota_files).toBe(0);
  });

  it('refuses values that are not integers, and negative reset values', async () => {
    const p = await open();
    await p.addUser(alice);
    const bad = await p
      .updateQuota('alice', { sizeDelta: 1.5, filesDelta: Number.NaN })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).problems).toEqual([
      'sizeDelta: must be an integer',
      'filesDelta: must be an integer',
    ]);
    await expect(p.updateQuota('alice', { reset: { size: -1, files: 0 } })).rejects.toThrow(
      'reset.size: must not be negative',
    );
    expect(await read(p)).toMatchObject({ used_quota_size: 0, last_quota_update: 0 });
  });

  it('loses no update when two providers on the same file change it at once', async () => {
    const first = await open();
    const second = await open();
    await first.addUser(alice);
    const rounds = 500;
    const updates: Promise<void>[] = [];
    for (let i = 0; i < rounds; i++) {
      updates.push(first.updateQuota('alice', { sizeDelta: 3, filesDelta: 1 }));
      updates.push(second.updateQuota('alice', { sizeDelta: 5, filesDelta: 2 }));
      if (i % 10 === 0)
        updates.push(second.updateQuota('alice', { sizeDelta: -1, filesDelta: -1 }));
    }
    await Promise.all(updates);
    const expected = { used_quota_size: rounds * 8 - 50, used_quota_files: rounds * 3 - 50 };
    expect(await read(first)).toMatchObject(expected);
    expect(await read(second)).toMatchObject(expected);
  });
});

describe('updateQuota from two processes', () => {
  const startWriter = (count: number) =>
    startQuotaWriter('sqlite', join(tmp.path, 'sftpgo.db'), count, migrationsDir);

  it('loses no update when both write to the same file at the same time', async () => {
    const p = await open();
    await p.addUser(alice);
    const writers = await Promise.all([startWriter(1000), startWriter(1000)]);
    const exits = writers.map((w) => once(w, 'exit'));
    for (const w of writers) w.stdin?.write('go\n');
    expect(await Promise.all(exits)).toEqual([
      [0, null],
      [0, null],
    ]);
    expect(await read(p)).toMatchObject({ used_quota_size: 2000, used_quota_files: 2000 });
  });

  it('keeps every update it acknowledged when a writer is killed with SIGKILL', async () => {
    const p = await open();
    await p.addUser(alice);
    const path = join(tmp.path, 'sftpgo.db');
    const acknowledged = await killQuotaWriter('sqlite', path, {
      count: 100_000,
      before: 300,
      migrationsDir,
    });
    expect(acknowledged).toBeGreaterThanOrEqual(300);
    const { used_quota_files } = await read(p);
    // the update under way at the kill may be stored, unacknowledged
    expect(used_quota_files).toBeGreaterThanOrEqual(acknowledged);
    expect(used_quota_files).toBeLessThanOrEqual(acknowledged + 1);
    // the file is whole, and writable again
    await p.updateQuota('alice', { sizeDelta: 1, filesDelta: 1 });
    expect((await read(p)).used_quota_files).toBe(used_quota_files + 1);
  });
});

describe('updateLastLogin', () => {
  it('stores the time given, or now, and changes nothing else', async () => {
    const p = await open();
    const added = await p.addUser(alice);
    expect(added.last_login).toBe(0);
    await p.updateLastLogin('alice', 1_600_000_000_123);
    expect(await read(p)).toEqual({ ...added, last_login: 1_600_000_000_123 });
    const before = Date.now();
    await p.updateLastLogin('alice');
    const { last_login } = await read(p);
    expect(last_login).toBeGreaterThanOrEqual(before);
    expect(last_login).toBeLessThanOrEqual(Date.now());
  });

  it('is seen by another provider on the same file', async () => {
    const first = await open();
    const second = await open();
    await first.addUser(alice);
    await first.updateLastLogin('alice', 1234);
    expect((await read(second)).last_login).toBe(1234);
  });

  it('refuses a time that is not a non-negative integer', async () => {
    const p = await open();
    await p.addUser(alice);
    await expect(p.updateLastLogin('alice', -1)).rejects.toBeInstanceOf(ValidationError);
    await expect(p.updateLastLogin('alice', 1.5)).rejects.toThrow(/last_login/);
    expect((await read(p)).last_login).toBe(0);
  });

  it('reports an unknown user as not-found', async () => {
    const p = await open();
    const err = await p.updateLastLogin('nobody').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'not-found' });
  });
});
