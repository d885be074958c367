import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Permission } from '@sftpgo/provider';
import { DirectoryPermissions, PolicyFs } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

describe('DirectoryPermissions', () => {
  const perms = new DirectoryPermissions({
    '/': ['list', 'download'],
    '/in': ['*'],
    '/in/ro': ['list'],
    '/inbox': ['upload'],
  });

  it('applies the most specific directory', () => {
    expect(perms.has('download', '/')).toBe(true);
    expect(perms.has('upload', '/')).toBe(false);
    expect(perms.has('upload', '/in')).toBe(true);
    expect(perms.has('delete', '/in/deep/er')).toBe(true);
    expect(perms.has('download', '/in/ro')).toBe(false);
    expect(perms.has('download', '/in/ro/x')).toBe(false);
  });

  it('matches whole path components only', () => {
    expect(perms.has('upload', '/inbox')).toBe(true);
    expect(perms.has('list', '/inbox')).toBe(false);
    expect(perms.has('upload', '/input')).toBe(false);
  });

  it('grants nothing without an entry for the root', () => {
    expect(new DirectoryPermissions({ '/a': ['*'] }).has('list', '/')).toBe(false);
  });
});

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  await mkdir(join(home, 'pub'), { recursive: true });
  await mkdir(join(home, 'drop'));
  await mkdir(join(home, 'secret'));
  await writeFile(join(home, 'pub/readme.txt'), 'public');
  await writeFile(join(home, 'secret/key.txt'), 'secret');
  await writeFile(join(home, 'drop/old.txt'), 'old');
});
afterEach(() => tmp.remove());

async function policy(perms: Record<string, Permission[]>): Promise<PolicyFs> {
  return new PolicyFs(await OsFs.create(home), new DirectoryPermissions(perms));
}

async function denied(op: Promise<unknown>): Promise<string> {
  const err = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VfsError);
  expect((err as VfsError).code).toBe('permission');
  return (err as VfsError).message;
}

describe('PolicyFs', () => {
  it('needs list to list and stat, download to read', async () => {
    const fs = await policy({ '/': ['list'], '/pub': ['list', 'download'], '/secret': ['upload'] });
    expect((await fs.stat('/pub/readme.txt')).size).toBe(6);
    await (await fs.open('/pub/readme.txt', { read: true })).close();
    expect(await denied(fs.opendir('/secret'))).toContain('needs "list"');
    expect(await denied(fs.stat('/secret/key.txt'))).toContain('needs "list"');
    expect(await denied(fs.open('/secret/key.txt', { read: true }))).toContain('needs "download"');
  });

  it('needs upload for a new file and overwrite as well for an existing one', async () => {
    const fs = await policy({ '/': ['list'], '/drop': ['list', 'upload'] });
    const fh = await fs.open('/drop/new.txt', { write: true, create: true, truncate: true });
    await fh.close();
    expect(
      await denied(fs.open('/drop/old.txt', { write: true, create: true, truncate: true })),
    ).toContain('needs "overwrite"');
    expect(await readFile(join(home, 'drop/old.txt'), 'utf8')).toBe('old');
    expect(await denied(fs.open('/pub/x', { write: true, create: true }))).toContain(
      'needs "upload"',
    );
  });

  it('checks delete, create_dirs and rename on both sides', async () => {
    const fs = await policy({ '/': ['list', 'rename'], '/drop': ['list', 'rename', 'delete'] });
    expect(await denied(fs.remove('/pub/readme.txt'))).toContain('needs "delete"');
    await fs.remove('/drop/old.txt');
    expect(await denied(fs.mkdir('/drop/d'))).toContain('needs "create_dirs"');
    await fs.rename('/pub/readme.txt', '/drop/readme.txt');
    const narrow = await policy({ '/': ['list'], '/drop': ['rename'] });
    expect(await denied(narrow.rename('/drop/readme.txt', '/pub/back.txt'))).toContain(
      'needs "rename"',
    );
    expect(await denied(narrow.rename('/drop', '/'))).toContain('root directory');
  });

  it('checks chmod, chown, chtimes and truncation, on paths and on open files', async () => {
    const fs = await policy({ '/': ['list', 'download', 'upload', 'overwrite', 'chtimes'] });
    await fs.setstat('/pub/readme.txt', { mtimeMs: 1_000_000_000_000 }, { followLinks: true });
    expect(
      await denied(fs.setstat('/pub/readme.txt', { mode: 0o600 }, { followLinks: true })),
    ).toContain('needs "chmod"');
    expect(
      await denied(fs.setstat('/pub/readme.txt', { uid: 0, gid: 0 }, { followLinks: true })),
    ).toContain('needs "chown"');
    const fh = await fs.open('/pub/readme.txt', { read: true, write: true });
    expect(await denied(fh.setstat({ mode: 0o600 }))).toContain('needs "chmod"');
    await fh.setstat({ size: 2 });
    await fh.close();
    expect((await stat(join(home, 'pub/readme.txt'))).size).toBe(2);
    const noOverwrite = await policy({ '/': ['list', 'upload'] });
    expect(
      await denied(noOverwrite.setstat('/pub/readme.txt', { size: 0 }, { followLinks: true })),
    ).toContain('needs "overwrite"');
  });

  it('needs create_symlinks where the link is and where it points', async () => {
    const fs = await policy({
      '/': ['list'],
      '/drop': ['create_symlinks'],
      '/pub': ['create_symlinks'],
    });
    await fs.symlink('../pub/readme.txt', '/drop/link');
    expect(await denied(fs.symlink('/secret/key.txt', '/drop/peek'))).toContain(
      'needs "create_symlinks"',
    );
    expect(await denied(fs.symlink('/pub/readme.txt', '/secret/l'))).toContain(
      'needs "create_symlinks"',
    );
  });

  it('does not let a hard link carry a file out of a directory it may not read', async () => {
    const fs = await policy({ '/': ['list', 'create_symlinks'], '/secret': ['list'] });
    expect(await denied(fs.link('/secret/key.txt', '/stolen'))).toContain('needs "download"');
  });

  it('refuses before touching the storage', async () => {
    const fs = await policy({ '/': ['list'] });
    await symlink('/nonexistent', join(home, 'dangling'));
    expect(await denied(fs.remove('/dangling'))).toContain('needs "delete"');
    expect((await stat(join(home, 'pub/readme.txt'))).size).toBe(6);
  });
});
