// Bugs the API fuzzer (packages/api/fuzz) found, each with the request that
// showed it.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider, type User } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBody, type listen, listenWithBackups, migrationsDir, send } from './helpers.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let backups: string;
let api: Awaited<ReturnType<typeof listen>>;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  backups = join(tmp.path, 'backups');
  await mkdir(join(backups, 'sub'), { recursive: true });
  provider = await openSqliteProvider({ path: join(tmp.path, 'api.db'), migrationsDir });
  api = await listenWithBackups(provider, backups, internalErrors);
});

afterAll(async () => {
  await api?.close();
  await provider?.close();
  await tmp?.remove();
  expect(internalErrors).toEqual([]);
});

async function addAmy(): Promise<User> {
  return provider.addUser({
    username: `amy-${Math.random().toString(36).slice(2)}`,
    password: 'amy-pw',
    home_dir: '/srv/amy',
    permissions: { '/': ['list'] },
  });
}

async function put(id: number, text: string): Promise<{ status: number; body: ApiBody }> {
  const res = await send('PUT', `${api.base}/user/${id}`, text);
  return { status: res.status, body: (await res.json()) as ApiBody };
}

describe('a `__proto__` key in a user body', () => {
  it('is an unknown field, ignored: the fields inside it are not read as sent', async () => {
    const amy = await addAmy();
    // found as: PUT /user/44 {"__proto__":{"status":1,...,"filters":{"allowed_ip":["10.0.0.0/8"]...
    const res = await put(
      amy.id,
      '{"__proto__":{"filters":{"allowed_ip":["10.0.0.0/8"],"denied_ip":[]},"max_sessions":7}}',
    );
    expect(res).toEqual({ status: 200, body: { error: '', message: 'User updated', status: 200 } });
    const stored = await provider.getUserById(amy.id);
    expect(stored).toEqual(amy);
  });

  it('is ignored inside filesystem too: the provider is not switched', async () => {
    const amy = await addAmy();
    const res = await put(amy.id, '{"filesystem":{"__proto__":{"provider":1}}}');
    expect(res.status).toBe(200);
    expect((await provider.getUserById(amy.id))?.filesystem).toEqual({ provider: 0 });
  });
});

describe('a backup path too long for the filesystem', () => {
  const get = async (path: string) => {
    const res = await fetch(`${api.base}${path}`);
    return { status: res.status, body: (await res.json()) as ApiBody };
  };
  const tooLong = (param: string, raw: string) => ({
    status: 400,
    body: {
      error: `${param} ${JSON.stringify(raw)}: a name in it, or the whole path, is too long`,
      message: '',
      status: 400,
    },
  });

  it('answers 400 to loaddata, not 500: a name past 255 bytes', async () => {
    const name = 'a'.repeat(300);
    expect(await get(`/loaddata?input_file=${name}`)).toEqual(tooLong('input_file', name));
  });

  it('answers 400 to loaddata, not 500: a path past PATH_MAX', async () => {
    const name = `${'sub/'.repeat(1200)}known.json`;
    expect(await get(`/loaddata?input_file=${encodeURIComponent(name)}`)).toEqual(
      tooLong('input_file', name),
    );
  });

  it('answers 400 to dumpdata, not 500, and writes nothing', async () => {
    const file = 'a'.repeat(300);
    expect(await get(`/dumpdata?output_file=${file}`)).toEqual(tooLong('output_file', file));
    const inDir = `${'a'.repeat(300)}/x.json`;
    expect(await get(`/dumpdata?output_file=${encodeURIComponent(inDir)}`)).toEqual(
      tooLong('output_file', inDir),
    );
    expect(await readdir(backups)).toEqual(['sub']);
  });
});
