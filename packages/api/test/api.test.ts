import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '@sftpgo/api';
import { verifyPassword } from '@sftpgo/auth';
import {
  type DataProvider,
  ManagedProvider,
  openMemoryProvider,
  openSqliteProvider,
  type UserInput,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const migrationsDir = fileURLToPath(new URL('../../../sql/sqlite/', import.meta.url));
const version = { version: '1.2.3', build_date: '2026-11-28T00:00:00Z', commit_hash: 'abc1234' };

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: Server;
let base: string;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'api.db'), migrationsDir });
  const app = createApi({ provider, version, onInternalError: (e) => internalErrors.push(e) });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await provider.close();
  await tmp.remove();
});

function post(path: string, body: string | object) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const user = {
  username: 'carol',
  password: 'carol-pass',
  home_dir: '/srv/carol',
  permissions: { '/': ['list', 'download'] },
};

describe('REST API v1', () => {
  it('reports the version', async () => {
    const res = await fetch(`${base}/version`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(version);
  });

  it('reports the provider alive', async () => {
    const res = await fetch(`${base}/providerstatus`);
    expect(await res.json()).toEqual({ error: '', message: 'Alive', status: 200 });
  });

  it('adds a user and returns it without the password', async () => {
    const res = await post('/user', user);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const created = (await res.json()) as { id: number };
    // sent without status: disabled, as the reference server's Go decoder leaves it
    expect(created).toMatchObject({ username: 'carol', home_dir: '/srv/carol', status: 0 });
    expect(created.id).toBeTypeOf('number');
    expect(created).not.toHaveProperty('password');
    // as the reference server shows a user of the local filesystem
    expect((created as { filesystem?: unknown }).filesystem).toEqual({
      provider: 0,
      s3config: {},
      gcsconfig: {},
    });

    const got = await fetch(`${base}/user/${created.id}`);
    expect(got.status).toBe(200);
    const text = await got.text();
    expect(JSON.parse(text)).toEqual(created);
    expect(text).not.toContain('argon2');
  });

  it('adds a user enabled when its status says so', async () => {
    const res = await post('/user', { ...user, username: 'enabled', status: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ username: 'enabled', status: 1 });
  });

  it('answers 409 to a duplicate username', async () => {
    await post('/user', { ...user, username: 'dup' });
    const res = await post('/user', { ...user, username: 'dup' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'username "dup" already exists', status: 409 });
  });

  it('answers 400 naming every problem of an invalid user', async () => {
    const res = await post('/user', {
      username: 'x y',
      home_dir: 'rel',
      permissions: {},
      bogus: 1,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { status: number; error: string };
    expect(body.status).toBe(400);
    expect(body.error).toMatch(/^Validation error: /);
    for (const part of ['username', 'home_dir', 'permissions for the root dir']) {
      expect(body.error).toContain(part);
    }
    expect(body.error).not.toContain('bogus');
  });

  it('ignores unknown fields, and takes the fields of SFTPGo 0.9.6 only when empty', async () => {
    const res = await post('/user', {
      ...user,
      username: 'newer',
      bogus: 1,
      virtual_folders: [],
      filters: { allowed_ip: [], denied_ip: [], denied_login_methods: [], file_extensions: [] },
      filesystem: { provider: 0, s3config: {}, gcsconfig: { automatic_credentials: 0 } },
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as Record<string, unknown>;
    expect(created).not.toHaveProperty('bogus');
    expect(created).not.toHaveProperty('virtual_folders');
    expect(created.filters).toEqual({ allowed_ip: [], denied_ip: [] });

    const restricted = await post('/user', {
      ...user,
      username: 'restricted',
      virtual_folders: [{ virtual_path: '/v', mapped_path: '/srv/v' }],
      filters: { denied_login_methods: ['password'], file_extensions: [{ path: '/' }] },
    });
    expect(await restricted.json()).toEqual({
      error:
        'Validation error: filters.denied_login_methods: is not supported by this server: it must be empty; filters.file_extensions: is not supported by this server: it must be empty; virtual_folders: is not supported by this server: it must be empty',
      message: '',
      status: 400,
    });
  });

  it('reads a JSON body whatever its Content-Type, as curl -d sends it', async () => {
    for (const [i, contentType] of [
      'application/x-www-form-urlencoded',
      'text/plain',
      undefined,
    ].entries()) {
      const res = await fetch(`${base}/user`, {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        body: new TextEncoder().encode(JSON.stringify({ ...user, username: `typed${i}` })),
      });
      expect(res.status, contentType).toBe(200);
      expect(await res.json(), contentType).toMatchObject({ username: `typed${i}` });
    }
    const scan = await fetch(`${base}/quota_scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ username: 'typed0' }),
    });
    expect(await scan.json()).toEqual({ error: '', message: 'Scan started', status: 201 });
  });

  it('answers 400 to malformed JSON and to a body that is not an object', async () => {
    const bad = await post('/user', '{"username": ');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^Invalid request body/);
    const list = await post('/user', '[]');
    expect(list.status).toBe(400);
  });

  it('answers 400 to a user id that is not a number and 404 to an unknown one', async () => {
    const bad = await fetch(`${base}/user/abc`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'Invalid userID', message: '', status: 400 });
    const missing = await fetch(`${base}/user/999999`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe(
      'Not found: user with ID 999999 does not exist',
    );
  });

  it('answers 404 with the reference body to an unknown route', async () => {
    const res = await fetch(`${base}/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: '', message: 'Not Found', status: 404 });
  });

  it('reported no internal error', () => {
    expect(internalErrors).toEqual([]);
  });
});

interface ApiBody {
  readonly error: string;
  readonly message: string;
  readonly status: number;
}

interface ListedUser {
  readonly id: number;
  readonly public_keys: string[];
  readonly username: string;
  readonly home_dir: string;
  readonly max_sessions: number;
  readonly permissions: Record<string, string[]>;
  readonly filters: Record<string, string[]>;
  readonly filesystem: Record<string, unknown>;
}

/** The API over `store`, on its own port; `close` stops the server, not the store. */
async function startApi(store: DataProvider) {
  const app = createApi({
    provider: store,
    version,
    onInternalError: (e) => internalErrors.push(e),
  });
  const s = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    base: `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1`,
    close: async () => {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    },
  };
}

function send(method: 'PUT' | 'POST' | 'DELETE', url: string, body?: object) {
  return fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function created(res: Response): Promise<ListedUser> {
  expect(res.status).toBe(200);
  return (await res.json()) as ListedUser;
}

const keyOnly = (username: string): UserInput => ({
  username,
  public_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
  home_dir: `/srv/${username}`,
  permissions: { '/': ['list'] },
});

describe('GET /api/v1/user', () => {
  let store: DataProvider;
  let api: Awaited<ReturnType<typeof startApi>>;
  const names = (users: ListedUser[]) => users.map((u) => u.username);
  const list = async (query = '') => {
    const res = await fetch(`${api.base}/user${query}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    return { text, users: JSON.parse(text) as ListedUser[] };
  };

  beforeAll(async () => {
    store = await openSqliteProvider({ path: join(tmp.path, 'list.db'), migrationsDir });
    api = await startApi(store);
    // added out of order, over the API, each with a password
    for (const username of ['dave', 'alice', 'carol', 'bob']) {
      await created(
        await send('POST', `${api.base}/user`, { ...user, username, password: `${username}-pw` }),
      );
    }
  });

  afterAll(async () => {
    await api.close();
    await store.close();
  });

  it('lists every user by username ascending, without any password', async () => {
    const { text, users } = await list();
    expect(names(users)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(users[0]).not.toHaveProperty('password');
    for (const u of users) expect(u).not.toHaveProperty('password');
    expect(text).not.toContain('password');
    expect(text).not.toContain('$argon2');
  });

  it('pages with limit and offset, and sorts descending with order=DESC', async () => {
    expect(names((await list('?limit=2')).users)).toEqual(['alice', 'bob']);
    expect(names((await list('?limit=2&offset=1')).users)).toEqual(['bob', 'carol']);
    expect(names((await list('?offset=3')).users)).toEqual(['dave']);
    expect(names((await list('?order=DESC')).users)).toEqual(['dave', 'carol', 'bob', 'alice']);
    expect(names((await list('?order=DESC&limit=1&offset=1')).users)).toEqual(['carol']);
    expect(names((await list('?order=ASC')).users)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect((await list('?limit=100000')).users).toHaveLength(4);
  });

  it('filters on the exact, case-sensitive username, answering an array', async () => {
    const one = (await list('?username=carol')).users;
    expect(names(one)).toEqual(['carol']);
    expect(one[0]).toMatchObject({ home_dir: '/srv/carol' });
    expect((await list('?username=Carol')).users).toEqual([]);
    expect((await list('?username=car')).users).toEqual([]);
  });

  it('takes the first value of a repeated parameter, as the reference server does', async () => {
    expect(names((await list('?username=carol&username=bob')).users)).toEqual(['carol']);
    expect(names((await list('?limit=1&limit=3')).users)).toEqual(['alice']);
    expect(names((await list('?offset=3&offset=x')).users)).toEqual(['dave']);
    expect(names((await list('?order=DESC&order=ASC&limit=1')).users)).toEqual(['dave']);
  });

  it('answers 400 to a bad limit, offset or order', async () => {
    for (const [query, error] of [
      ['limit=abc', 'Invalid limit'],
      ['limit=1.5', 'Invalid limit'],
      ['offset=x', 'Invalid offset'],
      ['offset=-1', 'Invalid offset'],
      ['order=asc', 'Invalid order'],
      ['order=', 'Invalid order'],
    ] as const) {
      const res = await fetch(`${api.base}/user?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json(), query).toEqual({ error, message: '', status: 400 });
    }
  });

  it('clamps limit to 500', async () => {
    const many = await openMemoryProvider();
    const manyApi = await startApi(many);
    try {
      for (let i = 0; i < 501; i++) await many.addUser(keyOnly(`u${String(i).padStart(3, '0')}`));
      const page = async (query: string) =>
        (await (await fetch(`${manyApi.base}/user${query}`)).json()) as ListedUser[];
      expect(await page('')).toHaveLength(100);
      const clamped = await page('?limit=100000');
      expect(clamped).toHaveLength(500);
      expect(clamped.at(-1)?.username).toBe('u499');
      expect(await page('?limit=501')).toHaveLength(500);
      expect((await page('?limit=100000&offset=500')).map((u) => u.username)).toEqual(['u500']);
    } finally {
      await manyApi.close();
      await many.close();
    }
  });
});

describe('PUT /api/v1/user/{id}', () => {
  const pete = {
    username: 'pete',
    password: 'pete-pass',
    home_dir: '/srv/pete',
    max_sessions: 1,
    permissions: { '/': ['list', 'download'], '/in': ['upload'] },
  };

  it('keeps the stored password and every omitted field', async () => {
    const { id } = await created(await post('/user', pete));
    const before = await provider.getUserById(id);

    const res = await send('PUT', `${base}/user/${id}`, { max_sessions: 3 });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"error":"","message":"User updated","status":200}');

    const stored = await provider.getUserById(id);
    expect(stored?.password).toBe(before?.password);
    expect(await verifyPassword('pete-pass', stored?.password ?? '')).toBe(true);
    const got = (await (await fetch(`${base}/user/${id}`)).json()) as ListedUser;
    expect(got).toMatchObject({
      id,
      username: 'pete',
      home_dir: '/srv/pete',
      max_sessions: 3,
      permissions: pete.permissions,
    });
    expect(got).not.toHaveProperty('password');
  });

  it('hashes a new password given in the body', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete2' }));
    const res = await send('PUT', `${base}/user/${id}`, { password: 'new-pass' });
    expect(res.status).toBe(200);
    const stored = await provider.getUserById(id);
    expect(stored?.password).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword('new-pass', stored?.password ?? '')).toBe(true);
    expect(await verifyPassword('pete-pass', stored?.password ?? '')).toBe(false);
  });

  it('replaces the permissions with those of the body, and keeps them for an empty object', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete3' }));
    const permissionsOf = async () =>
      ((await (await fetch(`${base}/user/${id}`)).json()) as ListedUser).permissions;

    expect((await send('PUT', `${base}/user/${id}`, { permissions: {} })).status).toBe(200);
    expect(await permissionsOf()).toEqual(pete.permissions);

    const replaced = { '/': ['*'] };
    expect((await send('PUT', `${base}/user/${id}`, { permissions: replaced })).status).toBe(200);
    expect(await permissionsOf()).toEqual(replaced);

    expect((await send('PUT', `${base}/user/${id}`, { upload_bandwidth: 5 })).status).toBe(200);
    expect(await permissionsOf()).toEqual(replaced);
  });

  it('merges filters into the stored ones: a list the body leaves out is kept', async () => {
    const { id } = await created(
      await post('/user', {
        ...pete,
        username: 'pete-ip',
        filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: ['10.1.0.0/16'] },
      }),
    );
    const res = await send('PUT', `${base}/user/${id}`, {
      filters: { allowed_ip: ['192.168.0.0/16'] },
      filesystem: {},
    });
    expect(await res.json()).toEqual({ error: '', message: 'User updated', status: 200 });
    const got = (await (await fetch(`${base}/user/${id}`)).json()) as ListedUser;
    expect(got.filters).toEqual({ allowed_ip: ['192.168.0.0/16'], denied_ip: ['10.1.0.0/16'] });
    expect(got.filesystem).toMatchObject({ provider: 0 });
  });

  it('reads null as an absent field, and as an empty list for a list', async () => {
    const res = await post('/user', {
      ...pete,
      username: 'pete-null',
      public_keys: null,
      expiration_date: null,
      max_sessions: null,
      filters: { allowed_ip: null, denied_ip: ['10.1.0.0/16'] },
      filesystem: { provider: 0, s3config: null, gcsconfig: null },
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as ListedUser;
    const got = async () => (await (await fetch(`${base}/user/${id}`)).json()) as ListedUser;
    expect(await got()).toMatchObject({
      max_sessions: 0,
      public_keys: [],
      expiration_date: 0,
      filters: { allowed_ip: [], denied_ip: ['10.1.0.0/16'] },
    });

    await send('PUT', `${base}/user/${id}`, { max_sessions: 4 });
    const update = await send('PUT', `${base}/user/${id}`, {
      id: null,
      max_sessions: null,
      home_dir: null,
      permissions: null,
      filters: null,
      filesystem: null,
      status: null,
    });
    expect(await update.json()).toEqual({ error: '', message: 'User updated', status: 200 });
    expect(await got()).toMatchObject({
      max_sessions: 4,
      home_dir: '/srv/pete',
      permissions: pete.permissions,
      filters: { allowed_ip: [], denied_ip: ['10.1.0.0/16'] },
    });
    await send('PUT', `${base}/user/${id}`, { filters: { denied_ip: null } });
    expect((await got()).filters).toEqual({ allowed_ip: [], denied_ip: [] });
  });

  it('accepts an empty permission list below "/", granting nothing there, and refuses it for "/"', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete-none' }));
    const none = { '/': ['list'], '/private': [] };
    expect((await send('PUT', `${base}/user/${id}`, { permissions: none })).status).toBe(200);
    expect(((await (await fetch(`${base}/user/${id}`)).json()) as ListedUser).permissions).toEqual(
      none,
    );
    const root = await send('PUT', `${base}/user/${id}`, { permissions: { '/': [] } });
    expect(await root.json()).toEqual({
      error: 'Validation error: permissions./: grant at least one permission',
      message: '',
      status: 400,
    });
  });

  it('refuses a permission key that is an alias of "/", or two that name the same directory', async () => {
    for (const [permissions, error] of [
      [
        { '/': ['*'], '/..': ['list'] },
        'permissions./..: cannot set permissions for invalid subdirectory: "/.." is an alias for "/"',
      ],
      [
        { '/': ['*'], '//': ['list'] },
        'permissions.//: cannot set permissions for invalid subdirectory: "//" is an alias for "/"',
      ],
      [
        { '/': ['list'], '/in': ['*'], '/in/': ['list'] },
        'permissions./in/: the directory "/in" is given more than once: "/in", "/in/"',
      ],
      [
        { '/': ['list'], '/a/../b': ['*'], '/b': ['list'] },
        'permissions./b: the directory "/b" is given more than once: "/a/../b", "/b"',
      ],
    ] as const) {
      const res = await post('/user', { ...pete, username: 'alias', permissions });
      expect(await res.json(), JSON.stringify(permissions)).toEqual({
        error: `Validation error: ${error}`,
        message: '',
        status: 400,
      });
    }
  });

  it('accepts the path id in the body and refuses another', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete4' }));
    expect((await send('PUT', `${base}/user/${id}`, { id, max_sessions: 2 })).status).toBe(200);

    const res = await send('PUT', `${base}/user/${id}`, { id: id + 1, max_sessions: 9 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: '',
      message: 'user ID in request body does not match user ID in path parameter',
      status: 400,
    });
    expect((await provider.getUserById(id))?.max_sessions).toBe(2);
  });

  it('answers 404 to an unknown id and 400 to a bad one', async () => {
    const missing = await send('PUT', `${base}/user/999999`, { max_sessions: 2 });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'Not found: user with ID 999999 does not exist',
      message: '',
      status: 404,
    });
    const bad = await send('PUT', `${base}/user/abc`, { max_sessions: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ApiBody).error).toBe('Invalid userID');
  });

  it('answers 400 to an invalid update and leaves the user as it was', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete5' }));
    const res = await send('PUT', `${base}/user/${id}`, { home_dir: 'relative', status: 7 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ApiBody;
    expect(body.status).toBe(400);
    expect(body.error).toMatch(/^Validation error: /);
    expect(body.error).toContain('home_dir');
    expect(body.error).toContain('status');
    expect((await provider.getUserById(id))?.home_dir).toBe('/srv/pete');
  });

  it('answers 409 to a rename to a taken username', async () => {
    const { id } = await created(await post('/user', { ...pete, username: 'pete6' }));
    await created(await post('/user', { ...pete, username: 'taken' }));
    const res = await send('PUT', `${base}/user/${id}`, { username: 'taken' });
    expect(res.status).toBe(409);
    const body = (await res.json()) as ApiBody;
    expect(body.status).toBe(409);
    expect(body.error).toContain('taken');
    expect((await provider.getUserById(id))?.username).toBe('pete6');

    const renamed = await send('PUT', `${base}/user/${id}`, { username: 'pete6-renamed' });
    expect(renamed.status).toBe(200);
    expect((await provider.getUserByUsername('pete6-renamed'))?.id).toBe(id);
  });
});

describe('DELETE /api/v1/user/{id}', () => {
  it('deletes the user, which is then not found', async () => {
    const { id } = await created(await post('/user', { ...user, username: 'gone' }));
    const res = await send('DELETE', `${base}/user/${id}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"error":"","message":"User deleted","status":200}');

    const got = await fetch(`${base}/user/${id}`);
    expect(got.status).toBe(404);
    expect(await provider.getUserByUsername('gone')).toBeUndefined();

    const again = await send('DELETE', `${base}/user/${id}`);
    expect(again.status).toBe(404);
    const body = (await again.json()) as ApiBody;
    expect(body.status).toBe(404);
    expect(body.error).toMatch(/^Not found: /);
  });

  it('answers 400 to a bad id', async () => {
    for (const id of ['abc', '-1', '1.5']) {
      const res = await send('DELETE', `${base}/user/${id}`);
      expect(res.status, id).toBe(400);
      expect(await res.json(), id).toEqual({ error: 'Invalid userID', message: '', status: 400 });
    }
  });
});

describe('users managed elsewhere (manage_users 0)', () => {
  it('answers 403 to adds, updates and deletes, and still lists and gets users', async () => {
    const { id } = await created(await post('/user', { ...user, username: 'kept' }));
    // The managed view is not closed: that would close the shared store.
    const readOnly = new ManagedProvider(provider, { manageUsers: false, usersBaseDir: '' });
    const api = await startApi(readOnly);
    try {
      for (const res of [
        await send('POST', `${api.base}/user`, { ...user, username: 'refused' }),
        await send('PUT', `${api.base}/user/${id}`, { max_sessions: 4 }),
        await send('DELETE', `${api.base}/user/${id}`),
      ]) {
        expect(res.status).toBe(403);
        const body = (await res.json()) as ApiBody;
        expect(body.status).toBe(403);
        expect(body.error).toMatch(/^Method disabled error: /);
      }

      const listed = await fetch(`${api.base}/user?username=kept`);
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as ListedUser[]).map((u) => u.id)).toEqual([id]);
      const got = await fetch(`${api.base}/user/${id}`);
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ id, username: 'kept', max_sessions: 0 });
      expect(await provider.getUserByUsername('refused')).toBeUndefined();
    } finally {
      await api.close();
    }
  });
});

describe('GET /api/v1/providerstatus with the provider down', () => {
  it('answers 500 with the reason and no stack trace', async () => {
    const down = await openSqliteProvider({ path: join(tmp.path, 'down.db'), migrationsDir });
    await down.close();
    const api = await startApi(down);
    try {
      const res = await fetch(`${api.base}/providerstatus`);
      expect(res.status).toBe(500);
      const text = await res.text();
      const body = JSON.parse(text) as ApiBody;
      expect(body.status).toBe(500);
      expect(body.message).not.toBe('Alive');
      expect(body.error.length).toBeGreaterThan(0);
      expect(text).not.toMatch(/\bat .*:\d+:\d+/);
      expect(text).not.toContain('node_modules');
    } finally {
      await api.close();
    }
  });
});

describe('the tests above', () => {
  it('reported no internal error', () => {
    expect(internalErrors).toEqual([]);
  });
});
