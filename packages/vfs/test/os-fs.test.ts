import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { isDirectory, type OpenFlags, OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let outside: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'user1');
  outside = join(tmp.path, 'user10');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'secret');
  fs = await OsFs.create(home);
});

afterEach(() => tmp.remove());

async function errorOf(op: Promise<unknown>): Promise<VfsError> {
  const err = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VfsError);
  return err as VfsError;
}

describe.each([{}, { inlineLookups: false }, { blocking: true }])('OsFs %o', (options) => {
  beforeEach(async () => {
    fs = await OsFs.create(home, options);
  });

  it('tells the size a file had when it was opened, and 0 for one it created', async () => {
    await writeFile(join(home, 'seven.txt'), '7 bytes');
    const read = await fs.open('/seven.txt', { read: true });
    await writeFile(join(home, 'seven.txt'), 'now eleven!');
    expect(read.sizeAtOpen).toBe(7);
    expect((await read.stat()).size).toBe(11);
    await read.close();
    const created = await fs.open('/new.txt', { write: true, create: true, exclusive: true });
    expect(created.sizeAtOpen).toBe(0);
    await created.write(Buffer.from('abc'), 0, 3, 0);
    expect((await created.stat()).size).toBe(3);
    await created.close();
    const truncated = await fs.open('/seven.txt', { write: true, truncate: true });
    expect(truncated.sizeAtOpen).toBe(0);
    await truncated.close();
  });

  it('creates a missing root', async () => {
    expect((await stat(home)).isDirectory()).toBe(true);
  });

  it('makes path lookups inline on a local disk unless told not to', () => {
    // the temp dir is on a local filesystem (ext4, tmpfs, ...) in the test runs
    expect(fs.inlineLookups).toBe(options.inlineLookups ?? true);
  });

  it('creates a file that is not there, truncates one that is, and writes through no link at the name', async () => {
    const write = async (path: string, text: string, flags: OpenFlags = { truncate: true }) => {
      const fh = await fs.open(path, { write: true, create: true, ...flags });
      await fh.write(Buffer.from(text), 0, text.length, 0);
      await fh.close();
    };
    await write('/n.txt', 'a longer first text');
    expect(await readFile(join(home, 'n.txt'), 'utf8')).toBe('a longer first text');
    await write('/n.txt', 'short');
    expect(await readFile(join(home, 'n.txt'), 'utf8')).toBe('short');
    expect((await errorOf(write('/n.txt', 'x', { exclusive: true }))).code).toBe('exists');
    expect(await readFile(join(home, 'n.txt'), 'utf8')).toBe('short');
    await symlink(join(outside, 'secret.txt'), join(home, 'link.txt'));
    await write('/link.txt', 'overwritten').catch(() => {});
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('writes, reads, lists, renames and removes inside the root', async () => {
    await fs.mkdir('/docs');
    const fh = await fs.open('/docs/a.txt', { write: true, create: true, truncate: true });
    await fh.write(Buffer.from('hello'), 0, 5, 0);
    await fh.close();
    expect(await readFile(join(home, 'docs/a.txt'), 'utf8')).toBe('hello');

    const rh = await fs.open('/docs/a.txt', { read: true });
    const buf = Buffer.alloc(16);
    expect(await rh.read(buf, 0, 16, 1)).toBe(4);
    expect(await rh.read(buf, 0, 16, 5)).toBe(0);
    await rh.close();

    const dir = await fs.opendir('/docs');
    const page = await dir.read();
    expect(page?.map((e) => e.name)).toEqual(['a.txt']);
    expect(await dir.read()).toBeNull();
    await dir.close();

    await fs.rename('/docs/a.txt', '/docs/b.txt');
    expect((await fs.stat('/docs/b.txt')).size).toBe(5);
    await fs.remove('/docs/b.txt');
    await fs.rmdir('/docs');
    expect(isDirectory(await fs.stat('/'))).toBe(true);
    expect((await errorOf(fs.stat('/docs'))).code).toBe('not-found');
  });

  it('lists a directory in pages', async () => {
    await Promise.all(Array.from({ length: 600 }, (_, i) => writeFile(join(home, `f${i}`), '')));
    const dir = await fs.opendir('/');
    const sizes: number[] = [];
    for (let page = await dir.read(); page; page = await dir.read()) sizes.push(page.length);
    await dir.close();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(600);
    expect(Math.max(...sizes)).toBeLessThan(600);
  });

  it('closes its root descriptor once the calls under way have ended', async () => {
    await writeFile(join(home, 'f.txt'), 'x');
    const own = await OsFs.create(home, options);
    const pending = Promise.all(Array.from({ length: 20 }, () => own.stat('/f.txt')));
    await own.close();
    expect((await pending).every((st) => st.size === 1)).toBe(true);
    expect((await errorOf(own.stat('/f.txt'))).code).toBe('failure');
  });

  it('names the virtual path, never the host path, in errors', async () => {
    const err = await errorOf(fs.stat('/missing/file'));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain('/missing/file');
    expect(err.message).not.toContain(tmp.path);
  });

  describe('symbolic links resolve as if the root were /', () => {
    /** Makes `home/<hostPath>` hold `text`: where a link to `hostPath` lands. */
    async function mirror(hostPath: string, text: string): Promise<void> {
      await mkdir(join(home, hostPath, '..'), { recursive: true });
      await writeFile(join(home, hostPath), text);
    }

    it('reads what an absolute link names inside the root, never the host file', async () => {
      await symlink(join(outside, 'secret.txt'), join(home, 'abs'));
      expect((await errorOf(fs.open('/abs', { read: true }))).code).toBe('not-found');
      expect((await errorOf(fs.stat('/abs'))).code).toBe('not-found');
      await mirror(join(outside, 'secret.txt'), 'mirror');
      const fh = await fs.open('/abs', { read: true });
      const buf = Buffer.alloc(16);
      expect(buf.subarray(0, await fh.read(buf, 0, 16, 0)).toString()).toBe('mirror');
      await fh.close();
    });

    it('stops a relative link climbing out at the root', async () => {
      await symlink('../user10/secret.txt', join(home, 'rel'));
      expect((await errorOf(fs.open('/rel', { read: true }))).code).toBe('not-found');
      await mirror('user10/secret.txt', 'mirror');
      expect((await fs.stat('/rel')).size).toBe(6);
      expect(await fs.realpath('/rel')).toBe('/user10/secret.txt');
    });

    it('lands a link to / or to ../.. on the root', async () => {
      await mkdir(join(home, 'a/b'), { recursive: true });
      await writeFile(join(home, 'top.txt'), 'top');
      await symlink('/', join(home, 'a/b/slash'));
      await symlink('../../../..', join(home, 'a/b/up'));
      expect(await fs.realpath('/a/b/slash/top.txt')).toBe('/top.txt');
      expect(await fs.realpath('/a/b/up')).toBe('/');
      expect((await fs.stat('/a/b/up/top.txt')).size).toBe(3);
      expect(await fs.realpath('/a/b/slash/../../x')).toBe('/x');
    });

    it('does not reach a sibling that shares the root as a name prefix', async () => {
      // /tmp/x/user10 starts with the string /tmp/x/user1
      await symlink(outside, join(home, 'prefix'));
      expect((await errorOf(fs.opendir('/prefix'))).code).toBe('not-found');
    });

    it('acts on nothing outside through a symlinked parent directory', async () => {
      await symlink(outside, join(home, 'linkdir'));
      expect((await errorOf(fs.stat('/linkdir/secret.txt'))).code).toBe('not-found');
      expect((await errorOf(fs.open('/linkdir/new.txt', { write: true, create: true }))).code).toBe(
        'not-found',
      );
      expect((await errorOf(fs.mkdir('/linkdir/d'))).code).toBe('not-found');
      expect((await errorOf(fs.remove('/linkdir/secret.txt'))).code).toBe('not-found');
      expect((await errorOf(fs.rename('/linkdir/secret.txt', '/stolen'))).code).toBe('not-found');
      expect(
        (await errorOf(fs.setstat('/linkdir/secret.txt', { mode: 0o777 }, { followLinks: true })))
          .code,
      ).toBe('not-found');
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
      expect((await stat(join(outside, 'secret.txt'))).mode & 0o777).not.toBe(0o777);
    });

    it('creates nothing outside through a dangling link', async () => {
      await symlink(join(outside, 'planted.txt'), join(home, 'dangling'));
      const err = await errorOf(fs.open('/dangling', { write: true, create: true }));
      expect(err.code).toBe('not-found');
      await expect(stat(join(outside, 'planted.txt'))).rejects.toThrow(/ENOENT/);
      await symlink('/made-here.txt', join(home, 'inside-dangling'));
      await (await fs.open('/inside-dangling', { write: true, create: true })).close();
      expect((await stat(join(home, 'made-here.txt'))).isFile()).toBe(true);
    });

    it('answers the same for existing and missing targets outside', async () => {
      await symlink(outside, join(home, 'out'));
      const existing = await errorOf(fs.stat('/out/secret.txt'));
      const missing = await errorOf(fs.stat('/out/nothing-here'));
      expect(missing.code).toBe(existing.code);
    });

    it('follows links that stay inside the root', async () => {
      await mkdir(join(home, 'real'));
      await writeFile(join(home, 'real/f.txt'), 'inside');
      await symlink('real', join(home, 'alias'));
      expect((await fs.stat('/alias/f.txt')).size).toBe(6);
      expect(isDirectory(await fs.stat('/alias'))).toBe(true);
    });

    it('refuses every link to follow when links are not followed', async () => {
      const strict = await OsFs.create(home, { ...options, followLinks: false });
      await mkdir(join(home, 'real'));
      await writeFile(join(home, 'real/f.txt'), 'inside');
      await symlink('real', join(home, 'alias'));
      expect((await errorOf(strict.stat('/alias/f.txt'))).code).toBe('invalid-path');
      expect((await errorOf(strict.open('/alias', { read: true }))).code).toBe('invalid-path');
      expect(await strict.realpath('/alias/f.txt')).toBe('/real/f.txt');
      expect((await strict.lstat('/alias')).mode & 0o170000).toBe(0o120000);
      expect((await strict.stat('/real/f.txt')).size).toBe(6);
    });

    it('lstat and remove act on the link itself', async () => {
      await symlink(join(outside, 'secret.txt'), join(home, 'abs'));
      expect((await fs.lstat('/abs')).mode & 0o170000).toBe(0o120000);
      await fs.remove('/abs');
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    });

    it('stops on link loops', async () => {
      await symlink('loop2', join(home, 'loop1'));
      await symlink('loop1', join(home, 'loop2'));
      expect((await errorOf(fs.stat('/loop1'))).code).toBe('invalid-path');
    });
  });
});
