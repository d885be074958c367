import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyPassword } from '@sftpgo/auth';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBody, type listen, listenWithBackups, migrationsDir, send } from './helpers.js';

// Go's own test vector (x/crypto/bcrypt): "allmine", cost 10.
const BCRYPT = '$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga';
const INVALID = '$2a$10$invalidhash';
const PROBLEM =
  'Validation error: password: starts with $2a$, the prefix of bcrypt hashes, but is not a valid bcrypt hash';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let backups: string;
let api: Awaited<ReturnType<typeof listen>>;
const internalErrors: unknown[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  backups = join(tmp.path, 'backups');
  provider = await openSqliteProvider({ path: join(tmp.path, 'api.db'), migrationsDir });
  api = await listenWithBackups(provider, backups, internalErrors);
});

afterAll(async () => {
  await api?.close();
  await provider?.close();
  await tmp?.remove();
});

const userOf = (username: string, password: string) => ({
  username,
  password,
  home_dir: `/srv/${username}`,
  permissions: { '/': ['list'] },
});

async function answer(res: Response): Promise<{ status: number; body: ApiBody }> {
  return { status: res.status, body: (await res.json()) as ApiBody };
}

describe('a password that starts like a hash', () => {
  it('is refused with 400 by POST /user when it does not parse, and nothing is stored', async () => {
    const res = await answer(await send('POST', `${api.base}/user`, userOf('broken', INVALID)));
    expect(res).toEqual({ status: 400, body: { error: PROBLEM, message: '', status: 400 } });
    expect(await provider.getUserByUsername('broken')).toBeUndefined();
  });

  it('names the cost of a hash no login can afford', async () => {
    const costly = BCRYPT.replace('$10$', '$31$');
    const res = await answer(await send('POST', `${api.base}/user`, userOf('costly', costly)));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^Validation error: password: .*bcrypt hashes, but has cost 31/);
  });

  it('is stored as it is when it is a valid hash, and logs in with its password', async () => {
    const res = await send('POST', `${api.base}/user`, userOf('hashed', BCRYPT));
    expect(res.status).toBe(200);
    const stored = await provider.getUserByUsername('hashed');
    expect(stored?.password).toBe(BCRYPT);
    expect(await verifyPassword('allmine', stored?.password ?? '')).toBe(true);
  });

  it('is refused with 400 by PUT /user/{id}, which leaves the user as it was', async () => {
    const { id } = (await (
      await send('POST', `${api.base}/user`, userOf('kept', 'kept-pass'))
    ).json()) as { id: number };
    const before = await provider.getUserById(id);
    const res = await answer(await send('PUT', `${api.base}/user/${id}`, { password: INVALID }));
    expect(res).toEqual({ status: 400, body: { error: PROBLEM, message: '', status: 400 } });
    expect((await provider.getUserById(id))?.password).toBe(before?.password);
  });

  it('is refused by loaddata, which names the user', async () => {
    await mkdir(backups, { recursive: true });
    await writeFile(
      join(backups, 'broken.json'),
      JSON.stringify({ users: [userOf('fine', BCRYPT), userOf('dumped', INVALID)] }),
    );
    const res = await answer(await send('GET', `${api.base}/loaddata?input_file=broken.json`));
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('users.1 ("dumped"): password: starts with $2a$');
    expect(await provider.getUserByUsername('dumped')).toBeUndefined();
  });

  it('reported no internal error', () => {
    expect(internalErrors).toEqual([]);
  });
});
