import * as fs from 'node:fs';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The race where a directory on the path is swapped for a link to outside
// between the check of the path and its open. The swap is injected at the
// exact moment, right after the check, since a real attacker's timing
// cannot be reproduced on demand.
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let outside: string;
const realRealpath = fs.realpath.native;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  outside = join(tmp.path, 'outside');
  await mkdir(join(home, 'd'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(home, 'd/f.txt'), 'inside');
  await writeFile(join(outside, 'f.txt'), 'outside secret');
});

afterEach(async () => {
  fs.realpath.native = realRealpath;
  await tmp.remove();
});

/** Swaps `home/d` for a link to `outside` once the path `…/d/f.txt` has been checked. */
function swapAfterCheck(): void {
  fs.realpath.native = ((path: string, callback: (err: Error | null, resolved: string) => void) =>
    realRealpath(path, (err, resolved) => {
      if (err || !String(path).endsWith('/d/f.txt')) return callback(err, resolved as string);
      rename(join(home, 'd'), join(home, 'd-old'))
        .then(() => symlink(outside, join(home, 'd')))
        .then(
          () => callback(null, resolved as string),
          (e: Error) => callback(e, ''),
        );
    })) as typeof fs.realpath.native;
}

describe('OsFs against a directory swapped for a link after the check', () => {
  it('refuses the file that was actually opened outside the root', async () => {
    const osfs = await OsFs.create(home);
    swapAfterCheck();
    const err = await osfs.open('/d/f.txt', { read: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VfsError);
    expect((err as VfsError).code).toBe('permission');
    expect((err as VfsError).message).toContain("outside the user's root");
  });

  it('opens the file when nothing was swapped', async () => {
    const osfs = await OsFs.create(home);
    const fh = await osfs.open('/d/f.txt', { read: true });
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, await fh.read(buf, 0, 16, 0)).toString()).toBe('inside');
    await fh.close();
  });
});
