import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Permission } from '@sftpgo/provider';
import { DirectoryPermissions, PolicyFs } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { ForwardingFs, type OpenFlags, OsFs, VfsError } from '@sftpgo/vfs';
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

/**
 * How the storage below is set up: following links itself, or refusing them
 * as a session's storage does, with opens first tried as named.
 */
const SETUPS = [
  { name: 'a storage that follows links', followLinks: true },
  { name: 'a storage that refuses links', followLinks: false },
] as const;
let setup: (typeof SETUPS)[number] = SETUPS[0];

async function policy(perms: Record<string, Permission[]>): Promise<PolicyFs> {
  const storage = await OsFs.create(home, { followLinks: setup.followLinks });
  return new PolicyFs(storage, new DirectoryPermissions(perms), {
    linksRefused: !setup.followLinks,
  });
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

describe.each(SETUPS)('PolicyFs on $name', (current) => {
  beforeEach(() => {
    setup = current;
  });

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

describe('PolicyFs on a storage that refuses links', () => {
  beforeEach(() => {
    setup = SETUPS[1];
  });

  it('decides by where a link leads, not by its name', async () => {
    await symlink('../secret/key.txt', join(home, 'pub/key'));
    await symlink('../drop', join(home, 'pub/drop'));
    const fs = await policy({
      '/': ['list'],
      '/pub': ['list', 'download', 'upload'],
      '/drop': ['list', 'upload'],
    });
    expect(await denied(fs.open('/pub/key', { read: true }))).toContain('needs "download"');
    expect(await denied(fs.open('/pub/drop/new.txt', { read: true }))).toContain(
      'needs "download"',
    );
    // allowed where the link leads, though not where it is named
    const fs2 = await policy({ '/': ['list'], '/drop': ['list', 'upload'] });
    await symlink('drop', join(home, 'inbox'));
    const fh = await fs2.open('/inbox/new.txt', { write: true, create: true, truncate: true });
    await fh.close();
    expect(await readFile(join(home, 'drop/new.txt'), 'utf8')).toBe('');
  });

  it('still needs overwrite for a file that is there, and for one a link leads to', async () => {
    await symlink('old.txt', join(home, 'drop/alias.txt'));
    const fs = await policy({ '/': ['list'], '/drop': ['list', 'upload'] });
    for (const path of ['/drop/old.txt', '/drop/alias.txt']) {
      expect(
        await denied(fs.open(path, { write: true, create: true, truncate: true })),
        path,
      ).toContain('needs "overwrite"');
    }
    expect(await readFile(join(home, 'drop/old.txt'), 'utf8')).toBe('old');
    // a new file needs no more than upload, and is created where it is named
    const fh = await fs.open('/drop/fresh.txt', { write: true, create: true, truncate: true });
    await fh.write(Buffer.from('new'), 0, 3, 0);
    await fh.close();
    expect(await readFile(join(home, 'drop/fresh.txt'), 'utf8')).toBe('new');
  });

  it('opens a new file or a download with one call to the storage', async () => {
    const calls: string[] = [];
    class Recording extends ForwardingFs {
      override realpath(path: string): Promise<string> {
        calls.push(`realpath ${path}`);
        return super.realpath(path);
      }
      override open(path: string, flags: OpenFlags, mode?: number) {
        calls.push(`open ${path}`);
        return super.open(path, flags, mode);
      }
    }
    const disk = await OsFs.create(home, { followLinks: false });
    const fs = new PolicyFs(new Recording(disk), new DirectoryPermissions({ '/': ['*'] }), {
      linksRefused: true,
    });
    await (await fs.open('/drop/new.txt', { write: true, create: true, truncate: true })).close();
    await (await fs.open('/pub/readme.txt', { read: true })).close();
    expect(calls).toEqual(['open /drop/new.txt', 'open /pub/readme.txt']);
    // a file already there is resolved and looked at, as without
    calls.length = 0;
    await (await fs.open('/drop/old.txt', { write: true, create: true, truncate: true })).close();
    expect(calls).toEqual(['open /drop/old.txt', 'realpath /drop/old.txt', 'open /drop/old.txt']);
    await disk.close();
  });
});
