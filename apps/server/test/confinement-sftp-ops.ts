import ssh2 from 'ssh2';
import type { Evidence } from './confinement-fixture.js';

// The SFTP requests tried against a directory `d` of the home that another
// process keeps swapping for links to data outside the home. Each try names
// a path through `d` (or `d` itself) and hands every answer, errors
// included, to the evidence.

type Sftp = ssh2.SFTPWrapper;
const { OPEN_MODE } = ssh2.utils.sftp;

/** Calls an ssh2 SFTP method and settles with what its callback gets. */
export function call<T = void>(
  method: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<NoInfer<T>> {
  return new Promise((resolve, reject) =>
    method((err, value) => (err ? reject(err) : resolve(value))),
  );
}

/** Runs `use` on a handle of `path`, closing it whatever happens. */
async function withHandle<T>(
  s: Sftp,
  path: string,
  flags: string | number,
  use: (handle: Buffer) => Promise<T>,
): Promise<T> {
  const handle = await call<Buffer>((cb) => s.open(path, flags as ssh2.OpenMode, cb));
  try {
    return await use(handle);
  } finally {
    await call((cb) => s.close(handle, cb)).catch(() => undefined);
  }
}

/** The first 4 kB of `path`. */
export function readStart(s: Sftp, path: string): Promise<Buffer> {
  return withHandle(s, path, 'r', async (handle) => {
    const buf = Buffer.alloc(4096);
    const n = await call<number>((cb) => s.read(handle, buf, 0, buf.length, 0, cb));
    return buf.subarray(0, n);
  });
}

function write(s: Sftp, handle: Buffer, text: string, position = 0): Promise<void> {
  const data = Buffer.from(text);
  return call((cb) => s.write(handle, data, 0, data.length, position, cb));
}

/** The attributes a stat answers, written so that a secret's mtime is seen (see Evidence). */
export function statText(st: ssh2.Stats): string {
  return `size=${st.size} mtime=${st.mtime} mode=${st.mode.toString(8)} uid=${st.uid}`;
}

async function listing(s: Sftp, path: string): Promise<string> {
  const entries = await call<ssh2.FileEntryWithStats[]>((cb) => s.readdir(path, cb));
  return entries.map((e) => `${e.filename} ${statText(e.attrs)}`).join('\n');
}

/** Cycles through `choices` with the try number. */
const pick = <T>(choices: readonly T[], i: number): T => choices[i % choices.length] as T;

/** One kind of request, tried again and again. */
export interface SftpOperation {
  readonly name: string;
  /** Files `pool/p-<i>` it moves or links into `d`, one per try. */
  readonly pool?: boolean;
  /** Whether each try both succeeds and fails at times: the sign that the swap is under way. */
  readonly mixed?: boolean;
  readonly attempt: (s: Sftp, i: number, evidence: Evidence) => Promise<unknown>;
}

const SECRET = '/d/secret.txt';
const CHOWN = { uid: 4242, gid: 4242 };
const TIMES = { atime: 1_234_567_890, mtime: 1_234_567_890 };

export const SFTP_OPERATIONS: readonly SftpOperation[] = [
  {
    name: 'OPEN+READ',
    mixed: true,
    attempt: async (s, _i, ev) => ev.add(await readStart(s, SECRET)),
  },
  {
    name: 'OPEN for write or create',
    attempt: (s, i) => {
      const [path, flags] = pick<[string, string]>(
        [
          [`/d/new-${i}.txt`, 'wx'],
          [SECRET, 'r+'],
          [SECRET, 'a'],
          [`/d/sub/new-${i}.txt`, 'w'],
        ],
        i,
      );
      return withHandle(s, path, flags, (h) => write(s, h, 'written from the home\n'));
    },
  },
  {
    name: 'OPEN with truncate',
    attempt: (s, i) => {
      const flags = pick([OPEN_MODE.WRITE | OPEN_MODE.TRUNC, 'w'], i);
      return withHandle(s, SECRET, flags, async () => undefined);
    },
  },
  {
    name: 'STAT',
    mixed: true,
    attempt: async (s, i, ev) =>
      ev.add(statText(await call<ssh2.Stats>((cb) => s.stat(pick([SECRET, '/d/sub'], i), cb)))),
  },
  {
    name: 'LSTAT',
    attempt: async (s, i, ev) =>
      ev.add(statText(await call<ssh2.Stats>((cb) => s.lstat(pick([SECRET, '/d/alink'], i), cb)))),
  },
  {
    name: 'FSTAT',
    attempt: async (s, _i, ev) =>
      ev.add(
        await withHandle(s, SECRET, 'r', async (h) =>
          statText(await call<ssh2.Stats>((cb) => s.fstat(h, cb))),
        ),
      ),
  },
  {
    name: 'OPENDIR+READDIR',
    attempt: async (s, i, ev) => ev.add(await listing(s, pick(['/d', '/d/sub'], i))),
  },
  {
    name: 'SETSTAT (chmod, chown and chgrp, times, size)',
    attempt: (s, i) => {
      const [path, attrs] = pick<[string, ssh2.InputAttributes]>(
        [
          [SECRET, { mode: 0o777 }],
          ['/d/sub', CHOWN],
          [SECRET, TIMES],
          [SECRET, { size: 1 }],
          ['/d', { mode: 0o777 }],
          [SECRET, CHOWN],
          ['/d/sub', TIMES],
        ],
        i,
      );
      return call((cb) => s.setstat(path, attrs, cb));
    },
  },
  {
    name: 'lsetstat@openssh.com',
    attempt: (s, i) =>
      call((cb) =>
        s.ext_openssh_lsetstat(pick([SECRET, '/d/alink'], i), { mode: 0o777, ...TIMES }, cb),
      ),
  },
  {
    name: 'FSETSTAT',
    attempt: (s, i) =>
      withHandle(s, SECRET, 'r+', (h) =>
        call((cb) => s.fsetstat(h, pick([{ mode: 0o777 }, CHOWN, TIMES, { size: 1 }], i), cb)),
      ),
  },
  {
    name: 'REMOVE',
    attempt: (s, i) => call((cb) => s.unlink(pick([SECRET, '/d/alink'], i), cb)),
  },
  {
    name: 'MKDIR',
    attempt: (s, i) => call((cb) => s.mkdir(pick([`/d/dir-${i}`, `/d/sub/dir-${i}`], i), cb)),
  },
  {
    name: 'RMDIR',
    attempt: (s) => call((cb) => s.rmdir('/d/empty', cb)),
  },
  {
    name: 'RENAME',
    pool: true,
    attempt: (s, i, ev) => renameBothWays(s, i, ev, (from, to, cb) => s.rename(from, to, cb)),
  },
  {
    name: 'posix-rename@openssh.com',
    pool: true,
    attempt: (s, i, ev) =>
      renameBothWays(s, i, ev, (from, to, cb) => s.ext_openssh_rename(from, to, cb), true),
  },
  {
    name: 'SYMLINK',
    attempt: (s, i) =>
      call((cb) => s.symlink(pick(['/secret.txt', 'secret.txt', '../..'], i), `/d/link-${i}`, cb)),
  },
  {
    name: 'READLINK',
    attempt: async (s, _i, ev) => ev.add(await call<string>((cb) => s.readlink('/d/alink', cb))),
  },
  {
    name: 'REALPATH and expand-path@openssh.com',
    attempt: async (s, i, ev) => {
      const path = pick([SECRET, '/d/sub/..', '/d/alink', '~/d/secret.txt'], i);
      ev.add(
        path.startsWith('~')
          ? await call<string>((cb) => s.ext_openssh_expandPath(path, cb))
          : await call<string>((cb) => s.realpath(path, cb)),
      );
    },
  },
  {
    name: 'hardlink@openssh.com',
    pool: true,
    attempt: async (s, i, ev) => {
      if (i % 2) return call((cb) => s.ext_openssh_hardlink(`/pool/p-${i}`, `/d/in-${i}`, cb));
      await call((cb) => s.ext_openssh_hardlink(SECRET, `/linked-${i}.txt`, cb));
      ev.add(await readStart(s, `/linked-${i}.txt`));
    },
  },
  {
    name: 'statvfs@openssh.com',
    attempt: async (s, i, ev) =>
      ev.add(
        JSON.stringify(await call((cb) => s.ext_openssh_statvfs(pick([SECRET, '/d'], i), cb))),
      ),
  },
  {
    name: 'copy-data',
    pool: true,
    attempt: async (s, i, ev) => {
      // from a file through d into the home, or from the home into a file through d
      const [from, to, flags] = pick<[string, string, string]>(
        [
          [SECRET, `/copy-${i}.txt`, 'w'],
          [`/pool/p-${i}`, `/d/copy-${i}.txt`, 'w'],
          [`/pool/p-${i}`, SECRET, 'r+'],
        ],
        i,
      );
      await withHandle(s, from, 'r', (src) =>
        withHandle(s, to, flags, (dst) => call((cb) => s.ext_copy_data(src, 0, 0, dst, 0, cb))),
      );
      if (to.startsWith('/copy-')) ev.add(await readStart(s, to));
    },
  },
];

/**
 * Renames out of `d` (then reads what came), into `d`, within `d`, `d/sub`
 * out of `d` (then lists it) and, when `replace`, over the file in `d`.
 */
async function renameBothWays(
  s: Sftp,
  i: number,
  ev: Evidence,
  rename: (from: string, to: string, cb: (err: Error | null | undefined) => void) => void,
  replace = false,
): Promise<void> {
  const cases: [string, string][] = [
    [SECRET, `/taken-${i}.txt`],
    [`/pool/p-${i}`, `/d/in-${i}`],
    [SECRET, `/d/renamed-${i}`],
    ['/d/sub', `/taken-dir-${i}`],
    ...(replace ? [[`/pool/p-${i}`, SECRET] as [string, string]] : []),
  ];
  const [from, to] = pick(cases, i);
  await call((cb) => rename(from, to, cb));
  if (to.startsWith('/taken-dir')) ev.add(await listing(s, to));
  else if (to.startsWith('/taken')) ev.add(await readStart(s, to));
}

/**
 * The swap loop driven through the protocol by a second session of the
 * user: `/d` renamed, in turn, with `/d.abs` and `/d.rel` (links the test
 * planted on the host: the user cannot make them), as fast as the server
 * answers; the decoy's files put back now and then.
 */
export function startSftpSwapper(s: Sftp): { stop(): Promise<void> } {
  let running = true;
  const rename = (from: string, to: string) =>
    call((cb) => s.rename(from, to, cb)).catch(() => undefined);
  const loop = (async () => {
    for (let n = 0; running; n++) {
      for (const link of ['/d.abs', '/d.rel']) {
        await rename('/d', '/d.real');
        await rename(link, '/d');
        if (n % 16 === 0) {
          for (const dir of ['/d.real/sub', '/d.real/empty']) {
            await call((cb) => s.mkdir(dir, cb)).catch(() => undefined);
          }
          await withHandle(s, '/d.real/secret.txt', 'wx', (h) => write(s, h, 'decoy\n')).catch(
            () => undefined,
          );
        }
        await rename('/d', link);
        await rename('/d.real', '/d');
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
