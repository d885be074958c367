import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from '@sftpgo/api';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
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
    expect(created).toMatchObject({ username: 'carol', home_dir: '/srv/carol', status: 1 });
    expect(created.id).toBeTypeOf('number');
    expect(created).not.toHaveProperty('password');

    const got = await fetch(`${base}/user/${created.id}`);
    expect(got.status).toBe(200);
    const text = await got.text();
    expect(JSON.parse(text)).toEqual(created);
    expect(text).not.toContain('argon2');
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
    for (const part of ['username', 'home_dir', 'bogus', 'permissions for the root dir']) {
      expect(body.error).toContain(part);
    }
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
