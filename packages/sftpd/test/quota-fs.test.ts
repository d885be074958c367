import { join } from 'node:path';
import { type DataProvider, openSqliteProvider, type User, type UserInput } from '@sftpgo/provider';
import { AtomicUploadFs, QuotaFs } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { ForwardingFs, type Fs, OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;

beforeEach(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
});
afterEach(async () => {
  await provider.close();
  await tmp.remove();
});

async function userFs(quota: Partial<UserInput>, atomic = false): Promise<{ fs: Fs; user: User }> {
  const user = await provider.addUser({
    username: 'q',
    password: 'pass',
    home_dir: join(tmp.path, 'home'),
    permissions: { '/': ['*'] },
    ...quota,
  });
  const storage = await OsFs.create(user.home_dir);
  return {
    fs: new QuotaFs(atomic ? new AtomicUploadFs(storage, 1) : storage, provider, user),
    user,
  };
}

async function put(fs: Fs, path: string, size: number): Promise<void> {
  const fh = await fs.open(path, { write: true, create: true, truncate: true });
  try {
    await fh.write(Buffer.alloc(size, 1), 0, size, 0);
  } finally {
    await fh.close();
  }
}

async function used(): Promise<[number, number]> {
  const u = await provider.getUserByUsername('q');
  return [u!.used_quota_size, u!.used_quota_files];
}

describe('QuotaFs', () => {
  it('records uploads, overwrites (the difference), renames over a file and deletions', async () => {
    const { fs } = await userFs({ quota_size: 10_000 });
    await put(fs, '/a', 100);
    expect(await used()).toEqual([100, 1]);
    await put(fs, '/a', 40);
    expect(await used()).toEqual([40, 1]);
    await put(fs, '/b', 60);
    await fs.rename('/b', '/a');
    expect(await used()).toEqual([60, 1]);
    await fs.remove('/a');
    expect(await used()).toEqual([0, 0]);
  });

  it('takes no look before an exclusive create of a user without a quota, and counts it', async () => {
    const user = await provider.addUser({
      username: 'q',
      password: 'pass',
      home_dir: join(tmp.path, 'home'),
      permissions: { '/': ['*'] },
    });
    const looks: string[] = [];
    class LookCounting extends ForwardingFs {
      override lstat(path: string) {
        looks.push(path);
        return super.lstat(path);
      }
    }
    const fs = new QuotaFs(new LookCounting(await OsFs.create(user.home_dir)), provider, user);
    const create = { write: true, create: true, exclusive: true };
    const fh = await fs.open('/new', create);
    expect(looks).toEqual([]);
    await fh.write(Buffer.alloc(30, 1), 0, 30, 0);
    await fh.close();
    expect(await used()).toEqual([30, 1]);
    const err = await fs.open('/new', create).catch((e: unknown) => e);
    expect((err as VfsError).code).toBe('exists');
    expect(await used()).toEqual([30, 1]);
  });

  it('refuses a new file past quota_files, and still lets one be overwritten', async () => {
    const { fs } = await userFs({ quota_files: 2 });
    await put(fs, '/1', 1);
    await put(fs, '/2', 1);
    const err = await put(fs, '/3', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VfsError);
    expect((err as VfsError).code).toBe('quota-exceeded');
    expect((err as Error).message).toContain('files quota exceeded');
    await put(fs, '/2', 5);
    expect(await used()).toEqual([6, 2]);
  });

  it('stops an upload at the write that would cross quota_size', async () => {
    const { fs } = await userFs({ quota_size: 1000 });
    await put(fs, '/small', 600);
    const fh = await fs.open('/big', { write: true, create: true });
    await fh.write(Buffer.alloc(300), 0, 300, 0);
    const err = await fh.write(Buffer.alloc(300), 0, 300, 300).catch((e: unknown) => e);
    expect((err as VfsError).code).toBe('quota-exceeded');
    await fh.close();
    expect(await used()).toEqual([900, 2]);
    // full: nothing more may start
    await fs.remove('/big');
    await put(fs, '/fill', 400);
    await expect(put(fs, '/more', 1)).rejects.toThrow(/size quota exceeded/);
  });

  it('counts nothing for an atomic upload that was cut', async () => {
    const { fs } = await userFs({ quota_size: 1000 }, true);
    const fh = await fs.open('/cut', { write: true, create: true, truncate: true });
    await fh.write(Buffer.alloc(100), 0, 100, 0);
    await fh.abort?.();
    expect(await used()).toEqual([0, 0]);
  });

  it('applies under track_quota 1 to everyone, under 2 to users with a quota', async () => {
    const { user } = await userFs({});
    expect(QuotaFs.applies(1, user)).toBe(true);
    expect(QuotaFs.applies(2, user)).toBe(false);
    expect(QuotaFs.applies(2, { ...user, quota_files: 1 })).toBe(true);
    expect(QuotaFs.applies(0, { ...user, quota_files: 1 })).toBe(false);
  });
});
