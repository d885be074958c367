import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicUploadFs, type UploadMode } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { OsFs, VfsError } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
});
afterEach(() => tmp.remove());

async function upload(mode: UploadMode, path = '/up.bin') {
  const fs = new AtomicUploadFs(await OsFs.create(home), mode);
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  const data = Buffer.from('partial data');
  await handle.write(data, 0, data.length, 0);
  return handle;
}

const names = () => readdir(home);

describe('AtomicUploadFs', () => {
  it('mode 0 writes in place', async () => {
    const handle = await upload(0);
    expect(await names()).toEqual(['up.bin']);
    await handle.close();
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('partial data');
  });

  it('mode 1 writes under a temporary name and renames on close', async () => {
    const handle = await upload(1);
    const during = await names();
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.sftpgo-upload\.[0-9a-f]{16}\.up\.bin$/);
    await handle.close();
    expect(await names()).toEqual(['up.bin']);
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('partial data');
  });

  it('mode 1 leaves nothing behind when the upload is cut', async () => {
    const handle = await upload(1);
    await handle.abort?.();
    expect(await names()).toEqual([]);
  });

  it('mode 1 keeps the old file whole until the new one is complete, and after a cut', async () => {
    await OsFs.create(home);
    await writeFile(join(home, 'up.bin'), 'old content');
    const handle = await upload(1);
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('old content');
    await handle.abort?.();
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('old content');
    expect(await names()).toEqual(['up.bin']);
  });

  it('mode 2 keeps a cut upload at its path, for the client to resume', async () => {
    const handle = await upload(2);
    await handle.abort?.();
    expect(await names()).toEqual(['up.bin']);
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('partial data');
    // the resume: writing on without truncating stays in place
    const fs = new AtomicUploadFs(await OsFs.create(home), 2);
    const resumed = await fs.open('/up.bin', { write: true });
    await resumed.write(Buffer.from('!'), 0, 1, 12);
    expect(await names()).toEqual(['up.bin']);
    await resumed.close();
    expect(await readFile(join(home, 'up.bin'), 'utf8')).toBe('partial data!');
  });

  it('refuses an exclusive create over an existing file', async () => {
    await OsFs.create(home);
    await writeFile(join(home, 'up.bin'), 'x');
    const fs = new AtomicUploadFs(await OsFs.create(home), 1);
    const err = await fs
      .open('/up.bin', { write: true, create: true, exclusive: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VfsError);
    expect((err as VfsError).code).toBe('exists');
  });
});
