import { type Fs, isDirectory, VfsError, type VfsErrorCode } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** A fresh, empty storage, and how to dispose of it. */
export interface ContractSubject {
  readonly fs: Fs;
  dispose(): Promise<void>;
}

/** The error a call fails with; the test fails if it succeeds or throws anything else. */
export async function errorOf(op: Promise<unknown>): Promise<VfsError> {
  const err = await op.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(VfsError);
  return err as VfsError;
}

const codeOf = async (op: Promise<unknown>): Promise<VfsErrorCode> => (await errorOf(op)).code;

async function writeFile(fs: Fs, path: string, data: string | Buffer): Promise<void> {
  const bytes = Buffer.from(data);
  const handle = await fs.open(path, { write: true, create: true, truncate: true });
  await handle.write(bytes, 0, bytes.length, 0);
  await handle.close();
}

async function readFile(fs: Fs, path: string): Promise<Buffer> {
  const handle = await fs.open(path, { read: true });
  const parts: Buffer[] = [];
  for (let position = 0; ; ) {
    const chunk = Buffer.alloc(64 * 1024);
    const n = await handle.read(chunk, 0, chunk.length, position);
    if (n === 0) break;
    parts.push(chunk.subarray(0, n));
    position += n;
  }
  await handle.close();
  return Buffer.concat(parts);
}

async function list(fs: Fs, path: string): Promise<string[]> {
  const dir = await fs.opendir(path);
  const names: string[] = [];
  for (let page = await dir.read(); page; page = await dir.read()) {
    names.push(...page.map((e) => e.name));
  }
  await dir.close();
  return names.sort();
}

/**
 * What every storage backend must do, and how it must refuse what its
 * capabilities say it cannot: the suite a new backend passes to be one.
 */
export function describeFsContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`Fs contract: ${name}`, () => {
    let subject: ContractSubject;
    let fs: Fs;

    beforeEach(async () => {
      subject = await open();
      fs = subject.fs;
    });

    afterEach(() => subject.dispose());

    it('starts as an empty root directory', async () => {
      expect(isDirectory(await fs.stat('/'))).toBe(true);
      expect(await list(fs, '/')).toEqual([]);
    });

    it('writes a file, reads it back whole and at any position, and reports its size', async () => {
      const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
      await fs.mkdir('/docs');
      await writeFile(fs, '/docs/a.bin', data);
      expect((await fs.stat('/docs/a.bin')).size).toBe(data.length);
      expect((await readFile(fs, '/docs/a.bin')).equals(data)).toBe(true);

      const handle = await fs.open('/docs/a.bin', { read: true });
      const part = Buffer.alloc(10);
      expect(await handle.read(part, 0, 10, 1000)).toBe(10);
      expect(part.equals(data.subarray(1000, 1010))).toBe(true);
      expect(await handle.read(part, 0, 10, data.length - 3)).toBe(3);
      expect(await handle.read(part, 0, 10, data.length)).toBe(0);
      expect((await handle.stat()).size).toBe(data.length);
      await handle.close();
    });

    it('keeps names with spaces, quotes and non-ASCII letters', async () => {
      const names = ['a b.txt', "it's.txt", 'çà và là.txt', '日本語.txt'];
      for (const n of names) await writeFile(fs, `/${n}`, n);
      expect(await list(fs, '/')).toEqual([...names].sort());
      for (const n of names) expect((await readFile(fs, `/${n}`)).toString()).toBe(n);
    });

    it('writes in offset order through one handle, several writes in flight', async () => {
      const handle = await fs.open('/seq.bin', { write: true, create: true, truncate: true });
      const chunks = Array.from({ length: 16 }, (_, i) => Buffer.alloc(32 * 1024, i));
      await Promise.all(chunks.map((c, i) => handle.write(c, 0, c.length, i * c.length)));
      await handle.close();
      expect((await readFile(fs, '/seq.bin')).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('truncates on open when asked, and refuses what open flags forbid', async () => {
      await writeFile(fs, '/f.txt', 'long content');
      await writeFile(fs, '/f.txt', 'short');
      expect((await readFile(fs, '/f.txt')).toString()).toBe('short');
      expect(await codeOf(fs.open('/missing.txt', { read: true }))).toBe('not-found');
      expect(await codeOf(fs.open('/f.txt', { write: true, create: true, exclusive: true }))).toBe(
        'exists',
      );
      if (fs.capabilities.realDirectories) {
        const inMissingDir = fs.open('/nodir/f.txt', { write: true, create: true });
        expect(await codeOf(inMissingDir)).toBe('not-found');
      }
    });

    it('lists every entry of a large directory exactly once, with its attributes', async () => {
      await fs.mkdir('/many');
      const names = Array.from({ length: 1200 }, (_, i) => `f${String(i).padStart(4, '0')}`);
      for (const n of names) await writeFile(fs, `/many/${n}`, n);
      await fs.mkdir('/many/sub');
      const dir = await fs.opendir('/many');
      const seen = new Map<string, number>();
      for (let page = await dir.read(); page; page = await dir.read()) {
        for (const e of page) {
          seen.set(e.name, (seen.get(e.name) ?? 0) + 1);
          if (e.name === 'sub') expect(isDirectory(e.stat)).toBe(true);
          else expect(e.stat.size).toBe(5);
        }
      }
      await dir.close();
      expect([...seen.keys()].sort()).toEqual([...names, 'sub'].sort());
      expect([...seen.values()].every((count) => count === 1)).toBe(true);
      expect(await codeOf(fs.opendir('/many/f0001'))).toBe('not-a-directory');
      expect(await codeOf(fs.opendir('/nothing'))).toBe('not-found');
    });

    it('makes and removes directories, refusing what a disk refuses', async () => {
      await fs.mkdir('/d');
      expect(isDirectory(await fs.stat('/d'))).toBe(true);
      expect(await codeOf(fs.mkdir('/d'))).toBe('exists');
      if (fs.capabilities.realDirectories) expect(await codeOf(fs.mkdir('/x/y'))).toBe('not-found');
      await writeFile(fs, '/d/f', 'x');
      expect(await codeOf(fs.rmdir('/d'))).toBe('not-empty');
      expect(await codeOf(fs.rmdir('/d/f'))).toBe('not-a-directory');
      expect(await codeOf(fs.remove('/d'))).toBe('is-a-directory');
      await fs.remove('/d/f');
      expect(await codeOf(fs.remove('/d/f'))).toBe('not-found');
      await fs.rmdir('/d');
      expect(await codeOf(fs.stat('/d'))).toBe('not-found');
      expect(await codeOf(fs.rmdir('/d'))).toBe('not-found');
    });

    it('renames files, replacing a file target, and renames a non-empty directory', async () => {
      await writeFile(fs, '/a', 'A');
      await writeFile(fs, '/b', 'B');
      await fs.rename('/a', '/c');
      expect(await codeOf(fs.stat('/a'))).toBe('not-found');
      await fs.rename('/c', '/b');
      expect((await readFile(fs, '/b')).toString()).toBe('A');
      expect(await codeOf(fs.rename('/nothing', '/x'))).toBe('not-found');

      await fs.mkdir('/tree');
      await fs.mkdir('/tree/inner');
      await writeFile(fs, '/tree/inner/leaf', 'leaf');
      await fs.rename('/tree', '/moved');
      expect((await readFile(fs, '/moved/inner/leaf')).toString()).toBe('leaf');
      expect(await codeOf(fs.stat('/tree'))).toBe('not-found');
    });

    it('resolves paths inside the root, whatever the client wrote', async () => {
      await fs.mkdir('/in');
      await writeFile(fs, '/in/f', 'f');
      expect(await fs.realpath('/in/../in/./f')).toBe('/in/f');
      expect(await fs.realpath('/../../in/new')).toBe('/in/new');
      expect((await readFile(fs, '/../../in/f')).toString()).toBe('f');
      expect(await codeOf(fs.stat('/in/\0f'))).toBe('invalid-path');
    });

    it('truncates and extends a file by setstat, with zeros, or refuses to', async () => {
      await writeFile(fs, '/s', 'abcdef');
      if (!fs.capabilities.randomAccessWrites) {
        expect(await codeOf(fs.setstat('/s', { size: 3 }, { followLinks: true }))).toBe(
          'unsupported',
        );
        return;
      }
      await fs.setstat('/s', { size: 3 }, { followLinks: true });
      expect((await readFile(fs, '/s')).toString()).toBe('abc');
      await fs.setstat('/s', { size: 5 }, { followLinks: true });
      expect((await readFile(fs, '/s')).equals(Buffer.from('abc\0\0'))).toBe(true);
    });

    it('writes at any offset and appends, or refuses to', async () => {
      await writeFile(fs, '/r', 'hello world');
      if (!fs.capabilities.randomAccessWrites) {
        const code = await codeOf(
          fs.open('/r', { write: true }).then(async (h) => {
            try {
              await h.write(Buffer.from('X'), 0, 1, 3);
            } finally {
              await h.close();
            }
          }),
        );
        expect(code).toBe('unsupported');
        return;
      }
      const handle = await fs.open('/r', { write: true });
      await handle.write(Buffer.from('J'), 0, 1, 6);
      await handle.close();
      expect((await readFile(fs, '/r')).toString()).toBe('hello Jorld');
      const appending = await fs.open('/r', { write: true, append: true });
      await appending.write(Buffer.from('!'), 0, 1, 0);
      await appending.close();
      expect((await readFile(fs, '/r')).toString()).toBe('hello Jorld!');
    });

    it('changes permissions and times, or refuses to', async () => {
      await writeFile(fs, '/m', 'm');
      const chmod = fs.setstat('/m', { mode: 0o640 }, { followLinks: true });
      if (fs.capabilities.permissions) {
        await chmod;
        expect((await fs.stat('/m')).mode & 0o777).toBe(0o640);
      } else {
        expect(await codeOf(chmod)).toBe('unsupported');
      }
      const times = { atimeMs: 1_000_000_000_000, mtimeMs: 1_100_000_000_000 };
      const chtimes = fs.setstat('/m', times, { followLinks: true });
      if (fs.capabilities.times) {
        await chtimes;
        expect((await fs.stat('/m')).mtimeMs).toBe(times.mtimeMs);
      } else {
        expect(await codeOf(chtimes)).toBe('unsupported');
      }
    });

    it('changes the owner, or refuses to', async () => {
      await writeFile(fs, '/o', 'o');
      const { uid, gid } = await fs.stat('/o');
      const chown = fs.setstat('/o', { uid, gid }, { followLinks: true });
      if (fs.capabilities.ownership) await chown;
      else expect(await codeOf(chown)).toBe('unsupported');
    });

    it('makes and reads symbolic links, or refuses to', async () => {
      await writeFile(fs, '/target', 't');
      const made = fs.symlink('target', '/link');
      if (!fs.capabilities.symlinks) {
        expect(await codeOf(made)).toBe('unsupported');
        expect(await codeOf(fs.readlink('/target'))).toBe('unsupported');
        return;
      }
      await made;
      expect(await fs.readlink('/link')).toBe('target');
      expect((await readFile(fs, '/link')).toString()).toBe('t');
      expect(await fs.realpath('/link')).toBe('/target');
    });

    it('makes hard links, or refuses to', async () => {
      await writeFile(fs, '/one', '1');
      const made = fs.link('/one', '/two');
      if (!fs.capabilities.hardLinks) {
        expect(await codeOf(made)).toBe('unsupported');
        return;
      }
      await made;
      expect((await readFile(fs, '/two')).toString()).toBe('1');
      expect((await fs.stat('/one')).nlink).toBe(2);
    });

    it('reports disk statistics, or refuses to', async () => {
      const stats = fs.statvfs('/');
      if (!fs.capabilities.statvfs) {
        expect(await codeOf(stats)).toBe('unsupported');
        return;
      }
      const vfs = await stats;
      expect(vfs.bsize).toBeGreaterThan(0);
      expect(vfs.namemax).toBeGreaterThan(0);
    });

    it('keeps and lists an empty directory', async () => {
      await fs.mkdir('/empty');
      expect(await list(fs, '/empty')).toEqual([]);
      expect(await list(fs, '/')).toEqual(['empty']);
      expect(isDirectory(await fs.stat('/empty'))).toBe(true);
    });
  });
}
