import { join } from 'node:path';
import { type DataProvider, openSqliteProvider, type User } from '@sftpgo/provider';
import { type SessionEvent, sessionFs } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import {
  type FileHandle,
  type FileStat,
  ForwardingFileHandle,
  ForwardingFs,
  type Fs,
  type FsCapabilities,
  MemoryFs,
  OBJECT_STORE_CAPABILITIES,
  type OpenFlags,
  OsFs,
  type RealpathStat,
  type SetStat,
} from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrationsDir } from './fixtures.js';

/** A storage that records what reaches it, and says it can do what it is told. */
class RecordingFs extends ForwardingFs {
  readonly calls: string[] = [];
  readonly #capabilities: FsCapabilities;

  constructor(inner: Fs, capabilities: FsCapabilities) {
    super(inner);
    this.#capabilities = capabilities;
    const { realpathStat } = inner;
    if (realpathStat) {
      this.realpathStat = (path) => {
        this.calls.push(`realpathStat ${path}`);
        return realpathStat.call(inner, path);
      };
    }
  }

  override get capabilities(): FsCapabilities {
    return this.#capabilities;
  }

  override stat(path: string): Promise<FileStat> {
    this.calls.push(`stat ${path}`);
    return super.stat(path);
  }

  override lstat(path: string): Promise<FileStat> {
    this.calls.push(`lstat ${path}`);
    return super.lstat(path);
  }

  /** Where the storage has it. */
  readonly realpathStat?: (path: string) => Promise<RealpathStat>;

  override open(path: string, flags: OpenFlags, mode?: number) {
    this.calls.push(`open ${path}`);
    return super.open(path, flags, mode);
  }

  override setstat(path: string, attrs: SetStat, options: { followLinks: boolean }) {
    this.calls.push(`setstat ${path} ${Object.keys(attrs).sort().join(',')}`);
    return super.setstat(path, attrs, options);
  }
}

/** A storage that counts the looks at its open files' sizes (`fstat`). */
class HandleStatCountingFs extends ForwardingFs {
  handleStats = 0;

  override async open(path: string, flags: OpenFlags, mode?: number): Promise<FileHandle> {
    const handle = await super.open(path, flags, mode);
    const count = () => this.handleStats++;
    return new (class extends ForwardingFileHandle {
      override stat(): Promise<FileStat> {
        count();
        return super.stat();
      }
    })(handle);
  }
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let user: User;

beforeEach(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  user = await provider.addUser({
    username: 'layers',
    password: 'pass',
    home_dir: join(tmp.path, 'home'),
    permissions: { '/': ['*'], '/ro': ['list', 'download'] },
    quota_files: 100,
  });
});
afterEach(async () => {
  await provider.close();
  await tmp.remove();
});

function session(storage: Fs, uploadMode: 0 | 1 | 2 = 1, endsAfterReply = false) {
  const events: SessionEvent[] = [];
  const { fs } = sessionFs(
    storage,
    user,
    { uploadMode, setstatMode: 0, quotaTracking: 2 },
    {
      quotaStore: provider,
      context: { username: user.username, connectionId: 'c1', protocol: 'SFTP', homeDir: '/' },
      emit: (e) => events.push(e),
      endsAfterReply,
    },
  );
  return { fs, events };
}

async function upload(fs: Fs, path: string, text: string): Promise<void> {
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  await handle.write(Buffer.from(text), 0, text.length, 0);
  await handle.close();
}

const POSIX_LIKE: FsCapabilities = { ...new MemoryFs().capabilities };

describe('sessionFs', () => {
  it('looks at the target of an upload once, however many layers ask', async () => {
    for (const existing of [false, true]) {
      const storage = new RecordingFs(new MemoryFs(), POSIX_LIKE);
      const { fs } = session(storage);
      if (existing) await upload(fs, '/a.txt', 'old');
      storage.calls.length = 0;
      const handle = await fs.open('/a.txt', { write: true, create: true, truncate: true });
      const looks = storage.calls.filter((c) => /^l?stat \/a\.txt$/.test(c));
      expect(looks, `${existing ? 'an existing' : 'a new'} file`).toHaveLength(1);
      await handle.close();
    }
  });

  it("takes the look at an upload's target from the walk that resolved its path, on a disk", async () => {
    for (const existing of [false, true]) {
      const disk = await OsFs.create(join(tmp.path, `home-${existing}`), { followLinks: false });
      const storage = new RecordingFs(disk, disk.capabilities);
      const { fs } = session(storage, 0);
      if (existing) await upload(fs, '/a.txt', 'old');
      storage.calls.length = 0;
      await upload(fs, '/a.txt', 'new');
      expect(storage.calls, `${existing ? 'an existing' : 'a new'} file`).toEqual([
        'realpathStat /a.txt',
        'open /a.txt',
        // the quota's look at what was written, once the file is closed
        'lstat /a.txt',
      ]);
      await disk.close();
    }
  });

  it('writes in place where uploads are atomic already, and ignores mode changes', async () => {
    const storage = new RecordingFs(new MemoryFs(), OBJECT_STORE_CAPABILITIES);
    const { fs, events } = session(storage, 1);
    await upload(fs, '/b.txt', 'hello');
    // no temporary name: the store shows the object only once it is whole
    expect(storage.calls.filter((c) => c.startsWith('open'))).toEqual(['open /b.txt']);
    expect(events.map((e) => e.type === 'transfer' && e.path)).toEqual(['/b.txt']);
    await fs.setstat('/b.txt', { mode: 0o600, uid: 1, gid: 1 }, { followLinks: true });
    expect(storage.calls.filter((c) => c.startsWith('setstat'))).toEqual([]);
    // times are not ignored: the storage is asked, and an object store refuses them
    await fs.setstat('/b.txt', { mode: 0o600, mtimeMs: 1000 }, { followLinks: true });
    expect(storage.calls.filter((c) => c.startsWith('setstat'))).toEqual([
      'setstat /b.txt mtimeMs',
    ]);
  });

  it('keeps the temporary name of atomic uploads on a disk', async () => {
    const storage = new RecordingFs(new MemoryFs(), POSIX_LIKE);
    const { fs } = session(storage, 1);
    await upload(fs, '/c.txt', 'hello');
    const opens = storage.calls.filter((c) => c.startsWith('open'));
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatch(/^open \/\.sftpgo-upload\.[0-9a-f]+\.c\.txt$/);
  });

  it('still checks permissions before an attribute change it ignores', async () => {
    const storage = new RecordingFs(new MemoryFs(), OBJECT_STORE_CAPABILITIES);
    await storage.mkdir('/ro');
    await storage.open('/ro/f', { write: true, create: true }).then((h) => h.close());
    const { fs } = session(storage);
    await expect(fs.setstat('/ro/f', { mode: 0o600 }, { followLinks: true })).rejects.toMatchObject(
      { code: 'permission' },
    );
  });

  it("reports an upload's file size, counted from the writes into a file that started empty", async () => {
    const storage = new HandleStatCountingFs(new MemoryFs());
    const { fs, events } = session(storage, 0);
    const sizes = () =>
      events.map((e) => (e.type === 'transfer' ? [e.path, e.fileSize] : undefined));

    // truncated, written with a hole: the furthest write is the size
    const fresh = await fs.open('/fresh.txt', { write: true, create: true, truncate: true });
    await fresh.write(Buffer.from('head'), 0, 4, 0);
    await fresh.write(Buffer.from('tail'), 0, 4, 12);
    await fresh.close();
    // created exclusively
    const created = await fs.open('/new.txt', { write: true, create: true, exclusive: true });
    await created.write(Buffer.from('abc'), 0, 3, 0);
    await created.close();
    expect(sizes()).toEqual([
      ['/fresh.txt', 16],
      ['/new.txt', 3],
    ]);
    expect(storage.handleStats).toBe(0);

    // what the file held before, or a truncation through the handle: the storage tells
    const resumed = await fs.open('/fresh.txt', { write: true });
    await resumed.write(Buffer.from('HE'), 0, 2, 0);
    await resumed.close();
    const appended = await fs.open('/new.txt', { write: true, append: true, truncate: true });
    await appended.write(Buffer.from('defg'), 0, 4, 0);
    await appended.close();
    const cut = await fs.open('/cut.txt', { write: true, create: true, truncate: true });
    await cut.write(Buffer.from('123456'), 0, 6, 0);
    await cut.setstat({ size: 2 });
    await cut.close();
    const cutByPath = await fs.open('/path.txt', { write: true, create: true, truncate: true });
    await cutByPath.write(Buffer.from('12345678'), 0, 8, 0);
    await fs.setstat('/path.txt', { size: 3 }, { followLinks: true });
    await cutByPath.close();
    expect(sizes().slice(2)).toEqual([
      ['/fresh.txt', 16],
      ['/new.txt', 4],
      ['/cut.txt', 2],
      ['/path.txt', 3],
    ]);
    expect(storage.handleStats).toBe(4);
  });

  it("tells a transfer's end after the reply to its close, where the protocol answers closes", async () => {
    const { fs, events } = session(new MemoryFs(), 0, true);
    const handle = await fs.open('/d.txt', { write: true, create: true });
    await handle.write(Buffer.from('data'), 0, 4, 0);
    // as SftpSession sends the replies of a run of JavaScript: on the next tick
    const atReply = await handle
      .close()
      .then(() => new Promise<number>((resolve) => process.nextTick(() => resolve(events.length))));
    expect(atReply).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual([
      expect.objectContaining({ type: 'transfer', operation: 'upload', bytes: 4, completed: true }),
    ]);

    // an abort, at the end of a session, is told before the session's end
    const left = await fs.open('/e.txt', { write: true, create: true });
    await left.abort?.();
    expect(events[1]).toMatchObject({ type: 'transfer', path: '/e.txt', completed: false });
  });
});
