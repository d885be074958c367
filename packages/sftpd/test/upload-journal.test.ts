import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DataProvider, openSqliteProvider } from '@sftpgo/provider';
import {
  FileUploadJournal,
  openLocalStorage,
  recoverUploads,
  UNSETTLED_WRITE_BYTES,
} from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from './fixtures.js';

describe('FileUploadJournal and recoverUploads', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let provider: DataProvider;
  let home: string;
  let dir: string;

  beforeEach(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'home');
    dir = join(tmp.path, 'journal');
    await mkdir(home);
    provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
    // a quota: its used quota is tracked (track_quota 2)
    await provider.addUser({
      username: 'q',
      password: 'pw',
      home_dir: home,
      permissions: { '/': ['*'] },
      quota_files: 10,
    });
  });

  afterEach(async () => {
    await provider.close();
    await tmp.remove();
  });

  const recovery = (journal: FileUploadJournal, unsettledBytes = 40) => ({
    journal,
    openStorage: openLocalStorage,
    quotaStore: provider,
    quotaTracking: 2 as const,
    unsettledBytes,
  });

  it("finishes only the given process's uploads, as a cut upload of its mode", async () => {
    await writeFile(join(home, '.sftpgo-upload.a.kept.bin'), Buffer.alloc(100));
    await writeFile(join(home, 'kept.bin'), Buffer.alloc(30));
    await writeFile(join(home, '.sftpgo-upload.b.dropped.bin'), Buffer.alloc(50));
    const first = new FileUploadJournal(dir, 'p1');
    const second = new FileUploadJournal(dir, 'p2');
    first.begin({
      username: 'q',
      temporary: '/.sftpgo-upload.a.kept.bin',
      target: '/kept.bin',
      keepCut: true,
    });
    first.begin({
      username: 'q',
      temporary: '/.sftpgo-upload.gone.x',
      target: '/x',
      keepCut: false,
    });
    const ended = first.begin({ username: 'q', temporary: '/t', target: '/t2', keepCut: false });
    first.end(ended);
    second.begin({
      username: 'q',
      temporary: '/.sftpgo-upload.b.dropped.bin',
      target: '/dropped.bin',
      keepCut: false,
    });

    const done = await recoverUploads(recovery(first), 'p1');
    expect(done.map((d) => [d.target, d.outcome]).sort()).toEqual([
      ['/kept.bin', 'published'],
      ['/x', 'gone'],
    ]);
    // mode 2: the part replaces the file at its path, less the end that writes
    // under way may have left with gaps, and the quota counts the difference
    expect((await readFile(join(home, 'kept.bin'))).length).toBe(60);
    expect(await provider.getUserByUsername('q')).toMatchObject({
      used_quota_size: 30,
      used_quota_files: 0,
    });
    // the other process's upload is left to it
    expect(first.pending().map((p) => p.upload.target)).toEqual(['/dropped.bin']);

    expect(await recoverUploads(recovery(second))).toMatchObject([
      { target: '/dropped.bin', outcome: 'removed' },
    ]);
    expect((await readdir(home)).sort()).toEqual(['kept.bin']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps nothing of a part shorter than the writes a session has under way', async () => {
    // a session's writes in flight at once, each at most a packet
    expect(UNSETTLED_WRITE_BYTES).toBe(64 * 256 * 1024);
    await writeFile(join(home, '.sftpgo-upload.c.short.bin'), Buffer.alloc(1000, 7));
    const journal = new FileUploadJournal(dir, 'p1');
    journal.begin({
      username: 'q',
      temporary: '/.sftpgo-upload.c.short.bin',
      target: '/short.bin',
      keepCut: true,
    });
    const { unsettledBytes: _, ...byDefault } = recovery(journal);
    expect(await recoverUploads(byDefault)).toMatchObject([
      { target: '/short.bin', outcome: 'published' },
    ]);
    expect((await readFile(join(home, 'short.bin'))).length).toBe(0);
    expect(await provider.getUserByUsername('q')).toMatchObject({
      used_quota_size: 0,
      used_quota_files: 1,
    });
  });

  it('drops a note that was written halfway', async () => {
    const journal = new FileUploadJournal(dir, 'p1');
    await writeFile(join(dir, 'p1-cut.json'), '{"username": "q", "tempo');
    expect(await recoverUploads(recovery(journal))).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});
