import { lstat, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IgnoreSetStatFs, OwnershipFs } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  await (await OsFs.create(home)).mkdir('/d');
  await writeFile(join(home, 'f.txt'), '0123456789');
});
afterEach(() => tmp.remove());

describe('IgnoreSetStatFs (setstat_mode 1)', () => {
  it('accepts changes of mode, owner and times without making them', async () => {
    const fs = new IgnoreSetStatFs(await OsFs.create(home));
    const before = await stat(join(home, 'f.txt'));
    await fs.setstat(
      '/f.txt',
      { mode: 0o600, mtimeMs: 1_000_000_000_000, uid: 1234, gid: 1234 },
      {
        followLinks: true,
      },
    );
    const after = await stat(join(home, 'f.txt'));
    expect(after.mode).toBe(before.mode);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.uid).toBe(before.uid);
  });

  it('still truncates, by path and by handle', async () => {
    const fs = new IgnoreSetStatFs(await OsFs.create(home));
    await fs.setstat('/f.txt', { size: 5, mode: 0o600 }, { followLinks: true });
    expect((await stat(join(home, 'f.txt'))).size).toBe(5);
    const fh = await fs.open('/f.txt', { write: true });
    await fh.setstat({ size: 2, mode: 0o600 });
    await fh.close();
    const st = await stat(join(home, 'f.txt'));
    expect(st.size).toBe(2);
    expect(st.mode & 0o777).not.toBe(0o600);
  });
});

describe.runIf(process.getuid?.() === 0)('OwnershipFs (running as root)', () => {
  const owner = { uid: 4321, gid: 4322 };

  it('gives new files, directories and links to the user, and leaves existing files alone', async () => {
    const fs = new OwnershipFs(await OsFs.create(home), owner);
    await (await fs.open('/new.txt', { write: true, create: true })).close();
    await fs.mkdir('/d/sub');
    await fs.symlink('new.txt', '/lnk');
    await (await fs.open('/f.txt', { write: true, create: true })).close();
    for (const p of ['new.txt', 'd/sub']) {
      expect(await stat(join(home, p))).toMatchObject(owner);
    }
    expect(await lstat(join(home, 'lnk'))).toMatchObject(owner);
    expect((await stat(join(home, 'f.txt'))).uid).toBe(0);
  });

  it('applies only to root, and not for 0:0', () => {
    expect(OwnershipFs.applies(owner)).toBe(true);
    expect(OwnershipFs.applies({ uid: 0, gid: 0 })).toBe(false);
  });
});
