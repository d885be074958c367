import { lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  fs = await OsFs.create(home);
  await writeFile(join(home, 'f.txt'), '0123456789');
});

afterEach(() => tmp.remove());

async function codeOf(op: Promise<unknown>): Promise<string> {
  const err = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VfsError);
  return (err as VfsError).code;
}

describe('OsFs.setstat', () => {
  it('truncates, changes the mode and the times', async () => {
    await fs.setstat(
      '/f.txt',
      { size: 4, mode: 0o600, atimeMs: 1_000_000_000_000, mtimeMs: 1_500_000_000_000 },
      { followLinks: true },
    );
    const st = await stat(join(home, 'f.txt'));
    expect(st.size).toBe(4);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.mtimeMs).toBe(1_500_000_000_000);
    expect(st.atimeMs).toBe(1_000_000_000_000);
  });

  it('keeps the other time when only one is given', async () => {
    const before = await stat(join(home, 'f.txt'));
    await fs.setstat('/f.txt', { mtimeMs: 1_600_000_000_000 }, { followLinks: true });
    const after = await stat(join(home, 'f.txt'));
    expect(after.mtimeMs).toBe(1_600_000_000_000);
    expect(Math.abs(after.atimeMs - before.atimeMs)).toBeLessThan(1);
  });

  it('changes the owner to the same owner', async () => {
    const { uid, gid } = await stat(join(home, 'f.txt'));
    await fs.setstat('/f.txt', { uid, gid }, { followLinks: true });
    expect((await stat(join(home, 'f.txt'))).uid).toBe(uid);
  });

  it('changes the times of a link itself without following it', async () => {
    await symlink('f.txt', join(home, 'lnk'));
    await fs.setstat('/lnk', { mtimeMs: 1_200_000_000_000 }, { followLinks: false });
    expect((await lstat(join(home, 'lnk'))).mtimeMs).toBe(1_200_000_000_000);
    expect((await stat(join(home, 'f.txt'))).mtimeMs).not.toBe(1_200_000_000_000);
  });

  it('refuses to change the mode of a link itself', async () => {
    await symlink('f.txt', join(home, 'lnk'));
    expect(await codeOf(fs.setstat('/lnk', { mode: 0o600 }, { followLinks: false }))).toBe(
      'unsupported',
    );
  });

  it('works on an open file too', async () => {
    const fh = await fs.open('/f.txt', { read: true, write: true });
    await fh.setstat({ size: 2, mode: 0o640 });
    await fh.sync();
    await fh.close();
    expect(await readFile(join(home, 'f.txt'), 'utf8')).toBe('01');
    expect((await stat(join(home, 'f.txt'))).mode & 0o777).toBe(0o640);
  });
});

describe('OsFs links', () => {
  it('creates a relative symlink as given and reads it back', async () => {
    await fs.mkdir('/d');
    await fs.symlink('../f.txt', '/d/lnk');
    expect(await readlink(join(home, 'd/lnk'))).toBe('../f.txt');
    expect(await fs.readlink('/d/lnk')).toBe('../f.txt');
    expect((await fs.stat('/d/lnk')).size).toBe(10);
  });

  it('stores an absolute target inside the root and reads it back as a virtual path', async () => {
    await fs.mkdir('/d');
    await fs.symlink('/f.txt', '/d/abs');
    expect(await readlink(join(home, 'd/abs'))).toBe(join(home, 'f.txt'));
    expect(await fs.readlink('/d/abs')).toBe('/f.txt');
    expect((await fs.stat('/d/abs')).size).toBe(10);
  });

  it('keeps an absolute target inside the root, whatever it says', async () => {
    await fs.symlink('/../../etc/passwd', '/abs');
    expect(await readlink(join(home, 'abs'))).toBe(join(home, 'etc/passwd'));
  });

  it('refuses a relative target that climbs out of the root', async () => {
    await fs.mkdir('/d');
    expect(await codeOf(fs.symlink('../../outside', '/d/lnk'))).toBe('permission');
    expect(await codeOf(fs.symlink('x/../../..', '/lnk'))).toBe('permission');
    await expect(lstat(join(home, 'd/lnk'))).rejects.toThrow(/ENOENT/);
  });

  it('reads back an absolute target as a path inside the root', async () => {
    await symlink('/etc/passwd', join(home, 'out'));
    expect(await fs.readlink('/out')).toBe('/etc/passwd');
    expect(await codeOf(fs.stat('/out'))).toBe('not-found');
  });

  it('refuses a link that the links already there would lead out of the root', async () => {
    await fs.mkdir('/a');
    await fs.mkdir('/a/b');
    await fs.mkdir('/a/b/c');
    await fs.symlink('/', '/a/b/c/sub');
    // by its names it stays inside (a/b/outside); a kernel following sub climbs out
    expect(await codeOf(fs.symlink('a/b/c/sub/../../outside', '/esc'))).toBe('permission');
    // an absolute target is stored cleaned by its names: /a/b/c, inside
    await fs.symlink('/a/b/c/sub/..', '/abs');
    expect(await readlink(join(home, 'abs'))).toBe(join(home, 'a/b/c'));
    await symlink('/etc', join(home, 'host-etc'));
    expect(await codeOf(fs.symlink('host-etc/passwd', '/esc'))).toBe('permission');
    await expect(lstat(join(home, 'esc'))).rejects.toThrow(/ENOENT/);
    await fs.symlink('a/b/c/sub/a', '/fine');
    expect(await fs.realpath('/fine')).toBe('/a');
  });

  it('creates hard links inside the root', async () => {
    await fs.link('/f.txt', '/hard');
    expect((await stat(join(home, 'hard'))).ino).toBe((await stat(join(home, 'f.txt'))).ino);
  });

  it('makes no hard link to a file reached through a link outside', async () => {
    const outside = join(tmp.path, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 's');
    await symlink(outside, join(home, 'out'));
    expect(await codeOf(fs.link('/out/secret', '/stolen'))).toBe('not-found');
    await expect(lstat(join(home, 'stolen'))).rejects.toThrow(/ENOENT/);
  });
});

describe('OsFs and set-id bits', () => {
  it('never sets set-user-id, set-group-id or sticky bits', async () => {
    await fs.setstat('/f.txt', { mode: 0o4755 }, { followLinks: true });
    expect((await stat(join(home, 'f.txt'))).mode & 0o7777).toBe(0o755);
    await (await fs.open('/new', { write: true, create: true }, 0o6777)).close();
    expect((await stat(join(home, 'new'))).mode & 0o7000).toBe(0);
    await fs.mkdir('/d', 0o3777);
    expect((await stat(join(home, 'd'))).mode & 0o7000).toBe(0);
    await fs.setstat('/d', { mode: 0o2777 }, { followLinks: true });
    expect((await stat(join(home, 'd'))).mode & 0o7777).toBe(0o777);
    const fh = await fs.open('/f.txt', { read: true, write: true });
    await fh.setstat({ mode: 0o6711 });
    await fh.close();
    expect((await stat(join(home, 'f.txt'))).mode & 0o7777).toBe(0o711);
  });
});

describe('OsFs.statvfs', () => {
  it('describes the filesystem of the root', async () => {
    const st = await fs.statvfs('/');
    expect(st.bsize).toBeGreaterThan(0);
    expect(st.blocks).toBeGreaterThan(0);
    expect(st.bavail).toBeLessThanOrEqual(st.blocks);
    expect(st.namemax).toBe(255);
  });
});
