import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createApi, homeDirUsage, QuotaScans } from '@sftpgo/api';
import { type DataProvider, openSqliteProvider, type User, type UserInput } from '@sftpgo/provider';
import { eventually, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBody, GatedProvider, listen, migrationsDir, send, version } from './helpers.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: DataProvider;
let provider: GatedProvider;
let api: Awaited<ReturnType<typeof listen>>;
const internalErrors: unknown[] = [];

const userOf = (username: string, home_dir: string): UserInput => ({
  username,
  password: `${username}-pw`,
  home_dir,
  permissions: { '/': ['*'] },
});

beforeAll(async () => {
  tmp = await makeTempDir();
  store = await openSqliteProvider({ path: join(tmp.path, 'quota.db'), migrationsDir });
  provider = new GatedProvider(store, { manageUsers: true, usersBaseDir: '' });
  api = await listen(
    createApi({ provider, version, onInternalError: (err) => internalErrors.push(err) }),
  );
});

afterAll(async () => {
  provider.release();
  await api.close();
  await store.close();
  await tmp.remove();
});

const scans = async () => (await (await fetch(`${api.base}/quota_scan`)).json()) as unknown[];

describe('POST /api/v1/quota_scan', () => {
  it('scans the home dir in the background, listing the scan until it is stored', async () => {
    const home = join(tmp.path, 'homes/ann');
    await mkdir(join(home, 'sub/deeper'), { recursive: true });
    await writeFile(join(home, 'a'), Buffer.alloc(100));
    await writeFile(join(home, 'sub/b'), Buffer.alloc(20));
    await writeFile(join(home, 'sub/deeper/c'), Buffer.alloc(3));
    await symlink(join(home, 'a'), join(home, 'link'));
    await symlink(tmp.path, join(home, 'outside'));
    await provider.addUser(userOf('ann', home));

    provider.hold();
    const before = Date.now();
    const res = await send('POST', `${api.base}/quota_scan`, { username: 'ann' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ error: '', message: 'Scan started', status: 201 });

    const listed = (await scans()) as { username: string; start_time: number }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]?.username).toBe('ann');
    expect(listed[0]?.start_time).toBeGreaterThanOrEqual(before);
    expect(listed[0]?.start_time).toBeLessThanOrEqual(Date.now());

    const again = await send('POST', `${api.base}/quota_scan`, { username: 'ann' });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: '',
      message: 'Another scan is already in progress',
      status: 409,
    });

    provider.release();
    await eventually(async () => expect(await scans()).toEqual([]));
    const stored = await provider.getUserByUsername('ann');
    expect(stored).toMatchObject({ used_quota_size: 123, used_quota_files: 3 });
    expect(stored?.last_quota_update).toBeGreaterThanOrEqual(before);

    // a later scan may run once the first is over
    expect((await send('POST', `${api.base}/quota_scan`, { username: 'ann' })).status).toBe(201);
    await eventually(async () => expect(await scans()).toEqual([]));
  });

  it('reads only the username of a full user body', async () => {
    const home = join(tmp.path, 'homes/bea');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'x'), 'hello');
    const bea = await provider.addUser(userOf('bea', home));
    const res = await send('POST', `${api.base}/quota_scan`, {
      ...bea,
      home_dir: '/somewhere/else',
      used_quota_size: 999,
    });
    expect(res.status).toBe(201);
    await eventually(async () =>
      expect(await provider.getUserByUsername('bea')).toMatchObject({
        home_dir: home,
        used_quota_size: 5,
        used_quota_files: 1,
      }),
    );
  });

  it('stores 0 files of 0 bytes for a missing home dir, without creating it', async () => {
    const home = join(tmp.path, 'homes/never-created');
    await provider.addUser(userOf('cid', home));
    await store.updateQuota('cid', { reset: { size: 50, files: 5 } });
    expect((await send('POST', `${api.base}/quota_scan`, { username: 'cid' })).status).toBe(201);
    await eventually(async () =>
      expect(await provider.getUserByUsername('cid')).toMatchObject({
        used_quota_size: 0,
        used_quota_files: 0,
      }),
    );
    await expect(stat(home)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers 404 to an unknown username', async () => {
    const res = await send('POST', `${api.base}/quota_scan`, { username: 'nobody' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as ApiBody;
    expect(body).toMatchObject({ message: '', status: 404 });
    expect(body.error).toBe('Not found: user "nobody" does not exist');
  });

  it('answers 400 to malformed JSON, a body that is not an object, and a username not a string', async () => {
    for (const bad of ['{"username": ', '[]', '"ann"', '{"username": 7}']) {
      const res = await send('POST', `${api.base}/quota_scan`, bad);
      expect(res.status, bad).toBe(400);
      expect(((await res.json()) as ApiBody).status, bad).toBe(400);
    }
    expect(await scans()).toEqual([]);
  });

  it('answers 404 to a missing or empty username, as the reference server does', async () => {
    for (const body of ['{}', '{"username": ""}', '{"username": null}']) {
      const res = await send('POST', `${api.base}/quota_scan`, body);
      expect(await res.json(), body).toEqual({
        error: 'Not found: user "" does not exist',
        message: '',
        status: 404,
      });
    }
    expect(await scans()).toEqual([]);
  });

  it('reports a scan that fails, and stores nothing', async () => {
    const file = join(tmp.path, 'homes/a-file');
    await writeFile(file, 'not a directory');
    await provider.addUser(userOf('dan', file));
    expect((await send('POST', `${api.base}/quota_scan`, { username: 'dan' })).status).toBe(201);
    await eventually(async () => expect(internalErrors).toHaveLength(1));
    expect(String(internalErrors[0])).toContain('quota scan of user "dan" failed');
    internalErrors.length = 0;
    expect(await scans()).toEqual([]);
    expect((await provider.getUserByUsername('dan'))?.last_quota_update).toBe(0);
  });

  it('reported no internal error', () => {
    expect(internalErrors).toEqual([]);
  });
});

describe('quota scans with track_quota 0', () => {
  it('answers POST as the reference server, Scan started, and scans nothing', async () => {
    const off = await listen(createApi({ provider, version, quotaTracking: false }));
    try {
      const home = join(tmp.path, 'homes/off');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, 'f'), 'abc');
      await provider.addUser(userOf('off', home));
      const res = await send('POST', `${off.base}/quota_scan`, { username: 'off' });
      expect(await res.json()).toEqual({ error: '', message: 'Scan started', status: 201 });
      expect(await (await fetch(`${off.base}/quota_scan`)).json()).toEqual([]);
      expect((await provider.getUserByUsername('off'))?.last_quota_update).toBe(0);
      const unknown = await send('POST', `${off.base}/quota_scan`, { username: 'nobody' });
      expect(unknown.status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('QuotaScans', () => {
  it('runs one scan per username at once, and forgets a user deleted meanwhile', async () => {
    let finish: () => void = () => {};
    const errors: unknown[] = [];
    const registry = new QuotaScans(provider, {
      usage: () =>
        new Promise((resolve) => {
          finish = () => resolve({ size: 7, files: 1 });
        }),
      onError: (err) => errors.push(err),
    });
    // a user the provider does not hold: only the fields a scan reads
    const ghost = { username: 'ghost', home_dir: '/nowhere', filesystem: { provider: 0 } } as User;
    expect(registry.start(ghost)).toBe(true);
    expect(registry.start(ghost)).toBe(false);
    expect(registry.list().map((s) => s.username)).toEqual(['ghost']);
    finish();
    await registry.idle();
    expect(registry.list()).toEqual([]);
    expect(errors).toEqual([]); // no such user: nothing to store, nothing to report
  });

  it('measures a home dir as the scan does', async () => {
    const home = join(tmp.path, 'homes/measured');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'f'), Buffer.alloc(42));
    expect(await homeDirUsage(home)).toEqual({ size: 42, files: 1 });
    expect(await homeDirUsage(join(tmp.path, 'homes/missing'))).toEqual({ size: 0, files: 0 });
  });
});
