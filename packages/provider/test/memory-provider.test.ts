import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword, verifyPassword } from '@sftpgo/auth';
import {
  type MemoryProvider,
  openMemoryProvider,
  ProviderError,
  type UserInput,
  ValidationError,
} from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const alice: UserInput = {
  username: 'alice',
  password: 'alice-secret',
  home_dir: '/srv/sftp/alice',
  permissions: { '/': ['*'] },
};
const bob: UserInput = { ...alice, username: 'bob', home_dir: '/srv/sftp/bob' };
const carol: UserInput = { ...alice, username: 'carol', home_dir: '/srv/sftp/carol' };

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let dumpPath: string;
let provider: MemoryProvider | undefined;

beforeEach(async () => {
  tmp = await makeTempDir();
  dumpPath = join(tmp.path, 'users.json');
});

afterEach(async () => {
  await provider?.close();
  provider = undefined;
  await tmp.remove();
});

async function writeDump(users: readonly unknown[]): Promise<void> {
  await writeFile(dumpPath, JSON.stringify({ users }));
}

async function open(withDump = true): Promise<MemoryProvider> {
  provider = await openMemoryProvider(withDump ? { dumpPath } : {});
  return provider;
}

async function usernames(p: MemoryProvider): Promise<string[]> {
  return (await p.listUsers()).map((u) => u.username);
}

describe('memory provider without a dump file', () => {
  it('starts empty, and reload() changes nothing', async () => {
    const p = await open(false);
    expect(await p.listUsers()).toEqual([]);
    const added = await p.addUser(alice);
    expect(added.id).toBe(1);
    expect(await p.reload()).toBe(0);
    expect(await p.getUserById(1)).toEqual(added);
  });

  it('gives increasing ids, never reused after a delete', async () => {
    const p = await open(false);
    expect((await p.addUser(alice)).id).toBe(1);
    expect((await p.addUser(bob)).id).toBe(2);
    await p.deleteUser(2);
    expect((await p.addUser(carol)).id).toBe(3);
    expect(await p.getUserById(2)).toBeUndefined();
  });

  it('returns copies: changing one changes nothing stored', async () => {
    const p = await open(false);
    const added = await p.addUser(alice);
    (added.permissions['/'] as string[]).push('list');
    const read = await p.getUserByUsername('alice');
    (read!.public_keys as string[]).push('ssh-ed25519 AAAA');
    const [listed] = await p.listUsers();
    (listed!.filters.allowed_ip as string[]).push('10.0.0.0/8');
    expect(await p.getUserById(1)).toMatchObject({
      permissions: { '/': ['*'] },
      public_keys: [],
      filters: { allowed_ip: [], denied_ip: [] },
    });
  });

  it('refuses every call but checkAvailability once closed', async () => {
    const p = await open(false);
    await p.addUser(alice);
    await p.close();
    const err = await p.getUserByUsername('alice').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'unavailable', message: 'the data provider is closed' });
    await expect(p.checkAvailability()).resolves.toBeUndefined();
  });
});

describe('memory provider loading a dump file', () => {
  it('keeps the ids, used quota and last login of the file, zero when missing', async () => {
    const hash = await hashPassword('bob-secret');
    await writeDump([
      {
        ...alice,
        id: 7,
        used_quota_size: 1234,
        used_quota_files: 5,
        last_quota_update: 1_600_000_000_000,
        last_login: 1_700_000_000_000,
      },
      { ...bob, id: 3, password: hash },
    ]);
    const p = await open();
    expect(await p.getUserById(7)).toMatchObject({
      username: 'alice',
      used_quota_size: 1234,
      used_quota_files: 5,
      last_quota_update: 1_600_000_000_000,
      last_login: 1_700_000_000_000,
    });
    const loadedBob = await p.getUserById(3);
    expect(loadedBob).toMatchObject({
      username: 'bob',
      password: hash,
      used_quota_size: 0,
      used_quota_files: 0,
      last_quota_update: 0,
      last_login: 0,
    });
    const loadedAlice = await p.getUserByUsername('alice');
    expect(await verifyPassword('alice-secret', loadedAlice?.password ?? '')).toBe(true);
    expect(Object.keys(loadedBob ?? {}).sort()).toEqual(Object.keys(await p.addUser(carol)).sort());
  });

  it('gives users without a usable id the ids after the highest one', async () => {
    await writeDump([
      { ...alice, id: 4 },
      { ...bob, id: 4 },
      { ...carol, id: 0 },
      { ...alice, username: 'dave', home_dir: '/srv/sftp/dave' },
    ]);
    const p = await open();
    const ids = Object.fromEntries((await p.listUsers()).map((u) => [u.username, u.id]));
    expect(ids).toEqual({ alice: 4, bob: 5, carol: 6, dave: 7 });
    expect((await p.addUser({ ...alice, username: 'erin', home_dir: '/srv/sftp/erin' })).id).toBe(
      8,
    );
  });

  it('refuses a username twice, naming both users', async () => {
    await writeDump([alice, bob, { ...alice, home_dir: '/elsewhere' }]);
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      `${dumpPath}: users.2: username "alice" is already used by users.0`,
    ]);
  });

  it('names every invalid user of the file', async () => {
    await writeDump([alice, { ...bob, home_dir: 'relative' }, { username: 'carol' }]);
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const { problems } = err as ValidationError;
    expect(problems).toContain(`${dumpPath}: users.1: home_dir: must be an absolute path`);
    expect(problems.some((p) => p.startsWith(`${dumpPath}: users.2: `))).toBe(true);
    expect(problems.some((p) => p.includes('users.0'))).toBe(false);
  });

  it('refuses a file that is not a dump', async () => {
    await writeFile(dumpPath, '{"users": [');
    const err = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/Unable to parse input file/);
    expect((err as ValidationError).message).toContain(dumpPath);
    await writeFile(dumpPath, '[]');
    await expect(open()).rejects.toBeInstanceOf(ValidationError);
  });

  it('starts with no users when the file does not exist, and refuses to reload it', async () => {
    const p = await open();
    expect(await p.listUsers()).toEqual([]);
    await p.addUser(carol);
    const err = await p.reload().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).not.toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ code: 'unavailable' });
    expect((err as Error).message).toContain(JSON.stringify(dumpPath));
    expect((await p.listUsers()).map((u) => u.username)).toEqual(['carol']);
  });

  it('loads a dump of the reference server, with its empty s3config and gcsconfig', async () => {
    await writeDump([
      { ...alice, id: 1, filesystem: { provider: 0, s3config: {}, gcsconfig: {} } },
    ]);
    const p = await open();
    expect((await p.getUserById(1))?.filesystem).toEqual({ provider: 0 });
  });

  it('never writes the file', async () => {
    await writeDump([
      { ...alice, id: 1 },
      { ...bob, id: 2 },
    ]);
    const bytes = await readFile(dumpPath);
    const { mtimeMs } = await stat(dumpPath);
    const p = await open();
    await p.addUser(carol);
    await p.updateUser(1, { ...alice, quota_files: 10 });
    await p.upsertUser({ ...bob, quota_size: 99 });
    await p.updateQuota('alice', { sizeDelta: 10, filesDelta: 1 });
    await p.updateLastLogin('bob');
    await p.deleteUser(2);
    await p.reload();
    await p.close();
    expect(await readFile(dumpPath)).toEqual(bytes);
    expect((await stat(dumpPath)).mtimeMs).toBe(mtimeMs);
  });
});

describe('memory provider reload()', () => {
  it('replaces every user by those of the file, dropping changes made meanwhile', async () => {
    await writeDump([
      { ...alice, id: 1 },
      { ...bob, id: 2 },
    ]);
    const p = await open();
    await p.addUser(carol);
    await p.updateQuota('alice', { sizeDelta: 100, filesDelta: 1 });
    await writeDump([
      { ...bob, id: 2, quota_files: 50 },
      { ...alice, username: 'dave', home_dir: '/srv/sftp/dave', id: 9 },
    ]);
    expect(await p.reload()).toBe(2);
    expect(await usernames(p)).toEqual(['bob', 'dave']);
    expect(await p.getUserByUsername('alice')).toBeUndefined();
    expect(await p.getUserById(3)).toBeUndefined();
    expect(await p.getUserById(2)).toMatchObject({ username: 'bob', quota_files: 50 });
    expect(await p.getUserById(9)).toMatchObject({ username: 'dave' });
  });

  it('never gives again an id given before the reload', async () => {
    await writeDump([{ ...alice, id: 1 }]);
    const p = await open();
    expect((await p.addUser(bob)).id).toBe(2);
    await writeDump([alice]);
    await p.reload();
    expect((await p.getUserByUsername('alice'))?.id).toBe(3);
    expect((await p.addUser(carol)).id).toBe(4);
  });

  it('keeps the current users when the file is bad', async () => {
    await writeDump([{ ...alice, id: 1 }]);
    const p = await open();
    await p.addUser(bob);
    const before = await p.listUsers();
    await writeDump([carol, { ...carol, home_dir: '/other' }]);
    await expect(p.reload()).rejects.toBeInstanceOf(ValidationError);
    await writeFile(dumpPath, 'not json');
    await expect(p.reload()).rejects.toBeInstanceOf(ValidationError);
    await tmp.remove();
    await expect(p.reload()).rejects.toMatchObject({ code: 'unavailable' });
    expect(await p.listUsers()).toEqual(before);
    expect((await p.addUser(carol)).id).toBe(3);
  });
});
