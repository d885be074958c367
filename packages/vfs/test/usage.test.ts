import { link, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { type DirHandle, ForwardingFs, type Fs, OsFs, scanUsage, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  await mkdir(home);
});

afterEach(() => tmp.remove());

/** Counts the directory handles opened and closed through it. */
class CountingFs extends ForwardingFs {
  opened = 0;
  closed = 0;

  override async opendir(path: string): Promise<DirHandle> {
    const handle = await super.opendir(path);
    this.opened++;
    return {
      read: () => handle.read(),
      close: async () => {
        this.closed++;
        await handle.close();
      },
    };
  }
}

describe('scanUsage', () => {
  it('counts the regular files of every directory level and their bytes', async () => {
    await writeFile(join(home, 'a.txt'), 'hello');
    await mkdir(join(home, 'd1/d2/d3'), { recursive: true });
    await mkdir(join(home, 'empty'));
    await writeFile(join(home, 'd1/b.bin'), Buffer.alloc(1000));
    await writeFile(join(home, 'd1/d2/d3/c'), Buffer.alloc(12_345));
    await writeFile(join(home, 'd1/d2/zero'), '');
    const fs = new CountingFs(await OsFs.create(home));
    expect(await scanUsage(fs)).toEqual({ size: 5 + 1000 + 12_345, files: 4 });
    expect(fs.opened).toBe(5);
    expect(fs.closed).toBe(5);
  });

  it('reports an empty or missing directory as 0 files of 0 bytes', async () => {
    const fs = await OsFs.create(home);
    expect(await scanUsage(fs)).toEqual({ size: 0, files: 0 });
    expect(await scanUsage(fs, '/missing')).toEqual({ size: 0, files: 0 });
  });

  it('scans a sub-directory only when given one', async () => {
    await mkdir(join(home, 'sub'));
    await writeFile(join(home, 'sub/in'), 'abc');
    await writeFile(join(home, 'out'), 'abcdef');
    expect(await scanUsage(await OsFs.create(home), '/sub')).toEqual({ size: 3, files: 1 });
  });

  it('neither counts nor follows symbolic links', async () => {
    const elsewhere = join(tmp.path, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'big'), Buffer.alloc(50_000));
    await writeFile(join(home, 'real'), Buffer.alloc(10));
    await symlink(join(home, 'real'), join(home, 'link-to-file'));
    await symlink('real', join(home, 'relative-link'));
    await symlink(elsewhere, join(home, 'link-to-dir'));
    await symlink('.', join(home, 'loop'));
    await symlink(join(tmp.path, 'nothing'), join(home, 'dangling'));
    expect(await scanUsage(await OsFs.create(home))).toEqual({ size: 10, files: 1 });
  });

  it('counts each hard link of a file, as a walk of the tree sees it', async () => {
    await writeFile(join(home, 'one'), Buffer.alloc(100));
    await link(join(home, 'one'), join(home, 'two'));
    expect(await scanUsage(await OsFs.create(home))).toEqual({ size: 200, files: 2 });
  });

  it('walks directories larger than one listing page', async () => {
    await mkdir(join(home, 'many'));
    for (let i = 0; i < 700; i++) await writeFile(join(home, 'many', `f${i}`), 'xy');
    expect(await scanUsage(await OsFs.create(home))).toEqual({ size: 1400, files: 700 });
  });

  it('skips a directory removed between its listing and its opening', async () => {
    await mkdir(join(home, 'gone'));
    await writeFile(join(home, 'gone/file'), 'abc');
    await writeFile(join(home, 'kept'), 'abcd');
    const inner = await OsFs.create(home);
    const racing = new (class extends ForwardingFs {
      override async opendir(path: string): Promise<DirHandle> {
        if (path === '/gone') await rm(join(home, 'gone'), { recursive: true });
        return super.opendir(path);
      }
    })(inner);
    expect(await scanUsage(racing)).toEqual({ size: 4, files: 1 });
  });

  it('fails on a directory it may not read, closing what it opened', async () => {
    await mkdir(join(home, 'locked'));
    await writeFile(join(home, 'locked/file'), 'abc');
    const counting = new CountingFs(await OsFs.create(home));
    const denying: Fs = new (class extends ForwardingFs {
      override async opendir(path: string): Promise<DirHandle> {
        if (path === '/locked') {
          throw new VfsError('permission', `opendir "${path}": permission denied`, path);
        }
        return super.opendir(path);
      }
    })(counting);
    await expect(scanUsage(denying)).rejects.toMatchObject({ code: 'permission' });
    expect(counting.closed).toBe(counting.opened);
  });
});
