import { verifyPassword } from '@sftpgo/auth';
import {
  type DataProvider,
  dumpUsers,
  loadUsers,
  ProviderError,
  toUserJson,
  type User,
  type UserInput,
  type UserJson,
  ValidationError,
} from '@sftpgo/provider';
import { eventually, startTcpProxy, type TcpProxy } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DRIVERS, type Store } from './drivers.js';

const user = (username: string, extra: Partial<UserInput> = {}): UserInput => ({
  username,
  password: `${username}-secret`,
  home_dir: `/srv/sftp/${username}`,
  permissions: { '/': ['*'] },
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

for (const driver of DRIVERS) {
  if (driver.skipReason) {
    console.warn(`provider contract: ${driver.name} skipped: ${driver.skipReason}`);
  }

  describe.skipIf(driver.skipReason !== undefined)(`${driver.name} provider contract`, () => {
    let store: Store;
    const opened: DataProvider[] = [];
    const stores: Store[] = [];

    async function newStore(): Promise<Store> {
      const s = await driver.createStore();
      stores.push(s);
      return s;
    }

    async function open(s: Store = store, options?: Parameters<Store['open']>[0]) {
      const p = await s.open(options);
      opened.push(p);
      return p;
    }

    beforeEach(async () => {
      store = await newStore();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((p) => p.close().catch(() => undefined)));
      await Promise.all(stores.splice(0).map((s) => s.drop()));
    });

    it('adds a user with defaults and a hashed password, and finds it by id and username', async () => {
      const p = await open();
      const added = await p.addUser({ ...user('alice'), used_quota_size: 99, last_login: 5 });
      expect(added).toMatchObject({
        status: 1,
        username: 'alice',
        home_dir: '/srv/sftp/alice',
        permissions: { '/': ['*'] },
        quota_size: 0,
        used_quota_size: 0,
        last_login: 0,
        filters: { allowed_ip: [], denied_ip: [] },
        filesystem: { provider: 0 },
      });
      expect(added.id).toBeGreaterThan(0);
      expect(await verifyPassword('alice-secret', added.password)).toBe(true);
      expect(await p.getUserById(added.id)).toEqual(added);
      expect(await p.getUserByUsername('alice')).toEqual(added);
      expect(await p.getUserByUsername('ALICE')).toBeUndefined();
      expect(await p.getUserById(added.id + 1000)).toBeUndefined();
    });

    it('refuses a taken username, on add and on rename', async () => {
      const p = await open();
      await p.addUser(user('alice'));
      const bob = await p.addUser(user('bob'));
      expect(await rejection(p.addUser(user('alice')))).toMatchObject({ code: 'conflict' });
      expect(await rejection(p.updateUser(bob.id, user('alice')))).toMatchObject({
        code: 'conflict',
      });
      expect((await p.getUserById(bob.id))?.username).toBe('bob');
    });

    it('names every problem of an invalid user and stores nothing', async () => {
      const p = await open();
      const err = await rejection(
        p.addUser({ username: 'bad name', home_dir: 'relative', permissions: {} } as UserInput),
      );
      expect(err).toBeInstanceOf(ValidationError);
      const problems = (err as ValidationError).problems.join('\n');
      expect(problems).toMatch(/username/);
      expect(problems).toMatch(/home_dir: must be an absolute path/);
      expect(problems).toMatch(/permissions/);
      expect(await p.listUsers()).toEqual([]);
    });

    it('updates every field but the usage, which it keeps', async () => {
      const p = await open();
      const alice = await p.addUser(user('alice'));
      await p.updateQuota('alice', { sizeDelta: 500, filesDelta: 2 });
      await p.updateLastLogin('alice', 1_700_000_000_000);
      const updated = await p.updateUser(alice.id, {
        ...user('alice2', { quota_size: 1000, status: 0, public_keys: [] }),
        used_quota_size: 0,
      });
      expect(updated).toMatchObject({
        id: alice.id,
        username: 'alice2',
        quota_size: 1000,
        status: 0,
        used_quota_size: 500,
        used_quota_files: 2,
        last_login: 1_700_000_000_000,
      });
      expect(await p.getUserById(alice.id)).toEqual(updated);
      expect(await p.getUserByUsername('alice')).toBeUndefined();
      expect(await rejection(p.updateUser(alice.id + 1000, user('x')))).toMatchObject({
        code: 'not-found',
      });
    });

    it('upserts: adds, then replaces by username keeping id and usage', async () => {
      const p = await open();
      const first = await p.upsertUser(user('ext'));
      await p.updateQuota('ext', { sizeDelta: 10, filesDelta: 1 });
      const second = await p.upsertUser(user('ext', { home_dir: '/elsewhere' }));
      expect(second).toMatchObject({ id: first.id, home_dir: '/elsewhere', used_quota_size: 10 });
      expect(await p.listUsers()).toHaveLength(1);
    });

    it('deletes a user, and says so for an unknown id', async () => {
      const p = await open();
      const alice = await p.addUser(user('alice'));
      await p.deleteUser(alice.id);
      expect(await p.getUserById(alice.id)).toBeUndefined();
      expect(await p.getUserByUsername('alice')).toBeUndefined();
      expect(await rejection(p.deleteUser(alice.id))).toMatchObject({ code: 'not-found' });
      const again = await p.addUser(user('alice'));
      expect(again.username).toBe('alice');
    });

    it('lists users by username, byte order, with limit, offset, order and filter', async () => {
      const p = await open();
      for (const name of ['carol', 'Bob', 'alice', '_x', 'dave']) await p.addUser(user(name));
      const names = async (q?: Parameters<DataProvider['listUsers']>[0]) =>
        (await p.listUsers(q)).map((u) => u.username);
      expect(await names()).toEqual(['Bob', '_x', 'alice', 'carol', 'dave']);
      expect(await names({ order: 'DESC' })).toEqual(['dave', 'carol', 'alice', '_x', 'Bob']);
      expect(await names({ limit: 2, offset: 1 })).toEqual(['_x', 'alice']);
      expect(await names({ limit: 2, offset: 4 })).toEqual(['dave']);
      expect(await names({ limit: 0 })).toEqual([]);
      expect(await names({ username: 'carol' })).toEqual(['carol']);
      expect(await names({ username: 'bob' })).toEqual([]);
      expect(await rejection(p.listUsers({ limit: -1 }))).toBeInstanceOf(ValidationError);
      expect((await p.listUsers({ username: 'alice' }))[0]?.password).toMatch(/^\$/);
    });

    it('applies quota deltas and resets, and the last login', async () => {
      const p = await open();
      await p.addUser(user('alice'));
      const before = Date.now();
      await p.updateQuota('alice', { sizeDelta: 1000, filesDelta: 3 });
      await p.updateQuota('alice', { sizeDelta: -400, filesDelta: -1 });
      let alice = (await p.getUserByUsername('alice')) as User;
      expect([alice.used_quota_size, alice.used_quota_files]).toEqual([600, 2]);
      expect(alice.last_quota_update).toBeGreaterThanOrEqual(before);
      await p.updateQuota('alice', { reset: { size: 5_000_000_000, files: 7 } });
      await p.updateLastLogin('alice', 1234);
      await p.updateLastLogin('alice', 1234); // unchanged, still a known user
      alice = (await p.getUserByUsername('alice')) as User;
      expect([alice.used_quota_size, alice.used_quota_files, alice.last_login]).toEqual([
        5_000_000_000, 7, 1234,
      ]);
      expect(
        await rejection(p.updateQuota('nobody', { sizeDelta: 1, filesDelta: 1 })),
      ).toMatchObject({ code: 'not-found' });
      expect(await rejection(p.updateLastLogin('nobody'))).toMatchObject({ code: 'not-found' });
      expect(
        await rejection(p.updateQuota('alice', { reset: { size: -1, files: 0 } })),
      ).toBeInstanceOf(ValidationError);
    });

    it('stops a count that drifts below zero at zero, and updates a user read back with one', async () => {
      const p = await open();
      const alice = await p.addUser(user('alice'));
      await p.updateQuota('alice', { sizeDelta: 100, filesDelta: 1 });
      // more removed than tracked: a quota scan raced the transfers
      await p.updateQuota('alice', { sizeDelta: -300, filesDelta: -2 });
      const read = (await p.getUserByUsername('alice')) as User;
      expect([read.used_quota_size, read.used_quota_files]).toEqual([0, 0]);
      await p.updateQuota('alice', { sizeDelta: 50, filesDelta: 1 });
      const again = (await p.getUserByUsername('alice')) as User;
      expect([again.used_quota_size, again.used_quota_files]).toEqual([50, 1]);
      // a negative count, as a reference server's database may hold, is ignored on update
      const updated = await p.updateUser(alice.id, {
        ...user('alice', { quota_files: 10 }),
        used_quota_size: -5,
        used_quota_files: -1,
      });
      expect(updated).toMatchObject({ quota_files: 10, used_quota_size: 50, used_quota_files: 1 });
    });

    it(`loses no quota update made concurrently${driver.shared ? ' by two provider instances' : ''}`, async () => {
      const first = await open();
      await first.addUser(user('alice'));
      const second = driver.shared ? await open() : first;
      const increments = async (p: DataProvider, n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await p.updateQuota('alice', { sizeDelta: 3, filesDelta: 1 });
      };
      await Promise.all([increments(first, 150), increments(second, 150), increments(first, 50)]);
      const alice = (await second.getUserByUsername('alice')) as User;
      expect([alice.used_quota_size, alice.used_quota_files]).toEqual([1050, 350]);
    });

    it('dumps and loads every user, in each mode', async () => {
      const source = await open();
      await source.addUser(
        user('alice', { quota_size: 100, permissions: { '/': ['list'], '/in': ['*'] } }),
      );
      await source.addUser(user('bob', { public_keys: [], status: 0 }));
      await source.updateQuota('alice', { sizeDelta: 5, filesDelta: 1 });
      const dump = JSON.parse(JSON.stringify(await dumpUsers(source))) as { users: UserJson[] };
      expect(dump.users.map((u) => u.username)).toEqual(['alice', 'bob']);
      // as the reference server writes a user of the local filesystem
      expect(dump.users[0]?.filesystem).toEqual({ provider: 0, s3config: {}, gcsconfig: {} });

      const target = await open(await newStore());
      await target.addUser(user('bob', { home_dir: '/old' }));
      await target.addUser(user('zed'));
      expect(await loadUsers(target, dump.users, 'add-only')).toEqual({
        added: 1,
        updated: 0,
        skipped: 1,
        deleted: 0,
      });
      expect((await target.getUserByUsername('bob'))?.home_dir).toBe('/old');
      expect(await loadUsers(target, dump.users, 'add-and-update')).toMatchObject({ updated: 2 });
      expect((await target.getUserByUsername('bob'))?.home_dir).toBe('/srv/sftp/bob');
      expect(
        await loadUsers(target, dump.users, 'add-and-update', { deleteOthers: true }),
      ).toMatchObject({ deleted: 1 });
      const loaded = await target.listUsers();
      const strip = ({
        id: _i,
        used_quota_size: _s,
        used_quota_files: _f,
        last_quota_update: _t,
        ...rest
      }: UserJson) => rest;
      expect(loaded.map((u) => strip(toUserJson(u)))).toEqual(dump.users.map(strip));
      // the hash travelled, not a rehash of it
      expect(await verifyPassword('alice-secret', loaded[0]?.password ?? '')).toBe(true);
    });

    it('answers whether the store is available', async () => {
      const p = await open();
      await expect(p.checkAvailability()).resolves.toBeUndefined();
    });

    if (driver.migrates) {
      it('creates its schema in an empty database once, and records it', async () => {
        const applied: string[] = [];
        const p = await open(store, { onApplied: (v) => applied.push(v) });
        expect(applied).toEqual(['20261128']);
        await p.addUser(user('alice'));
        await p.close();
        const again: string[] = [];
        const reopened = await open(store, { onApplied: (v) => again.push(v) });
        expect(again).toEqual([]);
        expect((await reopened.getUserByUsername('alice'))?.username).toBe('alice');
      });
    }

    if (driver.name === 'postgresql' || driver.name === 'mysql') {
      it('fails clearly while the database is away, and recovers without a restart', async () => {
        let proxy: TcpProxy | undefined;
        try {
          proxy = await startTcpProxy(store.serverPort as number);
          const p = await open(store, { port: proxy.port });
          await p.addUser(user('alice'));
          await proxy.cut();
          const err = await rejection(p.getUserByUsername('alice'));
          expect(err).toBeInstanceOf(ProviderError);
          expect(err).toMatchObject({ code: 'unavailable' });
          expect((err as Error).message).toMatch(/^data provider error: \S/);
          await expect(p.checkAvailability()).rejects.toMatchObject({ code: 'unavailable' });
          await expect(
            p.updateQuota('alice', { sizeDelta: 1, filesDelta: 1 }),
          ).rejects.toMatchObject({
            code: 'unavailable',
          });
          await proxy.restore();
          await eventually(async () => {
            expect((await p.getUserByUsername('alice'))?.username).toBe('alice');
          });
          await p.updateQuota('alice', { sizeDelta: 1, filesDelta: 1 });
          expect((await p.getUserByUsername('alice'))?.used_quota_files).toBe(1);
        } finally {
          await proxy?.close();
        }
      });
    }
  });
}
