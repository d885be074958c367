import { type ChildProcess, spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { type Fs, OsFs } from '@sftpgo/vfs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Another process swaps a directory of the home for a link to a directory
// outside it, as fast as it can, while each operation runs thousands of
// times on a path through it: whatever the timing, nothing outside may be
// read, listed, changed or linked.

const TRIES = 2000;
const SECRET = 'outside secret';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let outside: string;
let swapper: ChildProcess;

/** Swaps home/d between a real directory and a link to `outside`, in a loop, until killed. */
function startSwapper(): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const [home, outside] = process.argv.slice(1);
    const d = home + '/d', real = home + '/d-real', link = home + '/d-link';
    fs.symlinkSync(outside, link);
    for (;;) {
      try { fs.renameSync(d, real); } catch {}
      try { fs.renameSync(link, d); } catch {}
      try { fs.renameSync(d, link); } catch {}
      try { fs.renameSync(real, d); } catch {}
    }`;
  return spawn(process.execPath, ['-e', script, home, outside], { stdio: 'ignore' });
}

interface OutsideState {
  readonly names: string[];
  readonly secret: string;
  readonly mode: number;
  readonly mtimeMs: number;
  readonly uid: number;
  readonly nlink: number;
}

async function outsideState(): Promise<OutsideState> {
  const st = await stat(join(outside, 'secret.txt'));
  return {
    names: (await readdir(outside)).sort(),
    secret: await readFile(join(outside, 'secret.txt'), 'utf8'),
    mode: st.mode,
    mtimeMs: st.mtimeMs,
    uid: st.uid,
    nlink: st.nlink,
  };
}

beforeAll(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'home');
  outside = join(tmp.path, 'outside');
  await mkdir(join(home, 'd', 'sub'), { recursive: true });
  await mkdir(join(outside, 'sub'), { recursive: true });
  await writeFile(join(home, 'd/secret.txt'), 'inside');
  await writeFile(join(outside, 'secret.txt'), SECRET, { mode: 0o640 });
  swapper = startSwapper();
});

afterAll(async () => {
  swapper.kill('SIGKILL');
  await tmp.remove();
});

/** Runs `op` TRIES times, ignoring its failures, and returns what it answered. */
async function hammer<T>(op: () => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let i = 0; i < TRIES; i++) {
    try {
      answers.push(await op());
    } catch {
      // refused, or missing at that instant: both fine
    }
  }
  return answers;
}

async function readAll(fs: Fs, path: string): Promise<string> {
  const fh = await fs.open(path, { read: true });
  try {
    const buf = Buffer.alloc(64);
    return buf.subarray(0, await fh.read(buf, 0, 64, 0)).toString();
  } finally {
    await fh.close();
  }
}

async function listAll(fs: Fs, path: string): Promise<string[]> {
  const dir = await fs.opendir(path);
  try {
    return ((await dir.read()) ?? []).map((e) => e.name);
  } finally {
    await dir.close();
  }
}

describe.each([{}, { inlineLookups: false }, { blocking: true }])(
  'OsFs %o with a directory swapped for a link to outside',
  (options) => {
    let fs: OsFs;
    let before: OutsideState;

    beforeAll(async () => {
      fs = await OsFs.create(home, options);
      expect(fs.confinedByDescriptor).toBe(true);
      before = await outsideState();
    });

    const operations: [string, () => Promise<unknown>][] = [
      ['open for reading', () => readAll(fs, '/d/secret.txt')],
      ['stat', () => fs.stat('/d/secret.txt')],
      ['lstat', () => fs.lstat('/d/secret.txt')],
      ['opendir', () => listAll(fs, '/d')],
      ['readlink', () => fs.readlink('/d/secret.txt')],
      ['realpath', () => fs.realpath('/d/secret.txt')],
      ['statvfs', () => fs.statvfs('/d/secret.txt')],
      ['chmod', () => fs.setstat('/d/secret.txt', { mode: 0o777 }, { followLinks: true })],
      ['truncate', () => fs.setstat('/d/secret.txt', { size: 1 }, { followLinks: true })],
      [
        'chtimes',
        () => fs.setstat('/d/secret.txt', { mtimeMs: 1_000_000 }, { followLinks: false }),
      ],
      ['chown', () => fs.setstat('/d/secret.txt', { uid: 12345 }, { followLinks: true })],
      [
        'open for writing',
        async () => {
          const fh = await fs.open('/d/new.txt', { write: true, create: true, truncate: true });
          await fh.close();
        },
      ],
      ['mkdir', () => fs.mkdir('/d/newdir')],
      ['rmdir', () => fs.rmdir('/d/sub')],
      ['remove', () => fs.remove('/d/secret.txt')],
      ['rename out of it', () => fs.rename('/d/secret.txt', '/taken.txt')],
      ['rename into it', () => fs.rename('/mine.txt', '/d/mine.txt')],
      ['symlink', () => fs.symlink('/x', '/d/planted-link')],
      ['hard link from it', () => fs.link('/d/secret.txt', '/linked.txt')],
      ['hard link into it', () => fs.link('/mine.txt', '/d/linked.txt')],
    ];

    it.each(operations)('%s: no effect outside the home', async (_name, op) => {
      await writeFile(join(home, 'mine.txt'), 'mine');
      const answers = await hammer(op);
      expect(JSON.stringify(answers)).not.toContain(SECRET);
      expect(await outsideState()).toEqual(before);
      // whatever came into the home is not the outside file
      for (const name of ['taken.txt', 'linked.txt']) {
        const st = await lstat(join(home, name)).catch(() => undefined);
        if (st) expect(await readFile(join(home, name), 'utf8')).not.toBe(SECRET);
      }
    });
  },
);
