import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdir,
  readdir,
  readFile,
  stat,
  statfs,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientProcesses, expectSuccess } from './client-process.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

// SFTP clients other than OpenSSH's, each against one running `sftpgo serve`.
const USER = 'casey';
const PASSWORD = 'casey-secret-1';
/** What every client uploads: 2 MiB and an odd tail, so no transfer ends on a chunk boundary. */
const CONTENT = randomBytes(2 * 1024 * 1024 + 1234);
/** The mtime of the local file, to see which clients keep it. */
const OLD_MTIME = new Date('2010-05-06T07:08:09Z');

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let server: ServerProcess;
/** The user's home on the server's disk: the `/` that clients see. */
let home: string;
/** The clients' working directory, holding `random.bin`. */
let local: string;
/** HOME for the clients, so that known_hosts, caches and logs stay out of the real one. */
let clientHome: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'homes', USER);
  local = join(tmp.path, 'local');
  clientHome = join(tmp.path, 'client-home');
  await mkdir(local);
  await mkdir(clientHome);
  await writeFile(join(local, 'random.bin'), CONTENT);
  await utimes(join(local, 'random.bin'), OLD_MTIME, OLD_MTIME);
  // the default commands, for rclone's checksums, and scp for curl's scp:// URLs
  const started = await startLoopbackServer(tmp.path, {
    enabled_ssh_commands: ['md5sum', 'sha1sum', 'cd', 'pwd', 'scp'],
  });
  server = started.server;
  await addUser(started.api, {
    username: USER,
    password: PASSWORD,
    home_dir: home,
    permissions: { '/': ['*'] },
  });
});

afterAll(async () => {
  await server?.stop();
  killAllServers();
  await tmp?.remove();
});

const clients = new ClientProcesses(
  () => local,
  // psftp finds its directory through getpwuid(), not HOME: PUTTYDIR moves it
  () => ({ HOME: clientHome, PUTTYDIR: join(clientHome, '.putty') }),
);

// A failed assertion never leaves a client running into the next test.
afterEach(() => clients.killAll());

/** Runs a client in `local` to completion; it is killed after 30 s. */
const run = (command: string, args: readonly string[]) => clients.run(command, args);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function expectContent(path: string): Promise<void> {
  expect(sha256(await readFile(path))).toBe(sha256(CONTENT));
}

async function expectGone(path: string): Promise<void> {
  await expect(stat(path)).rejects.toThrow(/ENOENT/);
}

/** The `ls -l` line of the uploaded file, as the server's longname gives it. */
const lsLine = (name: string) =>
  new RegExp(`^-rw\\S+ +1 +\\d+ +\\d+ +${CONTENT.length} .* ${name.replaceAll('.', '\\.')}$`, 'm');

/** The server's public host keys, from the keys it generated in the config dir. */
async function hostKeys(): Promise<Buffer[]> {
  return Promise.all(
    ['id_rsa', 'id_ed25519'].map(async (file) => {
      const key = ssh2.utils.parseKey(await readFile(join(tmp.path, file)));
      if (key instanceof Error) throw key;
      return key.getPublicSSH();
    }),
  );
}

/** Whether curl was built with `protocol` (libssh2's); one without it counts as missing. */
function curlSpeaks(protocol: 'sftp' | 'scp'): boolean {
  if (!hasCommand('curl')) return false;
  const version = spawnSync('curl', ['-V'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  if (new RegExp(`^Protocols: .*\\b${protocol}\\b`, 'm').test(version)) return true;
  const reason = `curl was built without ${protocol} (curl -V does not list it)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: .ci/run must install one with it`);
  console.warn(`skipping: ${reason}`);
  return false;
}

describe.runIf(curlSpeaks('sftp'))('curl with sftp:// URLs', () => {
  const curl = (...args: string[]) =>
    run('curl', ['--silent', '--show-error', '--insecure', '-u', `${USER}:${PASSWORD}`, ...args]);
  const url = (path: string) => `sftp://127.0.0.1:${server.sshPort}${path}`;

  it('uploads, lists, renames, downloads and deletes', async () => {
    // -Q commands run before the transfer, -Q '-…' ones after it
    expectSuccess(await curl('-Q', 'mkdir /curl', '-T', 'random.bin', url('/curl/random.bin')));
    await expectContent(join(home, 'curl/random.bin'));

    const long = await curl(url('/curl/'));
    expectSuccess(long);
    expect(long.stdout).toMatch(lsLine('random.bin'));

    const renamed = await curl(
      '-Q',
      'rename /curl/random.bin /curl/moved.bin',
      '-l',
      url('/curl/'),
    );
    expectSuccess(renamed);
    // `.` and `..` first, as OpenSSH's sftp-server lists them and curl prints them
    expect(renamed.stdout).toBe('.\n..\nmoved.bin\n');
    await expectContent(join(home, 'curl/moved.bin'));

    expectSuccess(await curl('-o', 'curl-back.bin', url('/curl/moved.bin')));
    await expectContent(join(local, 'curl-back.bin'));

    const removed = await curl(
      '-Q',
      'rm /curl/moved.bin',
      '-Q',
      '-rmdir /curl',
      '-l',
      url('/curl/'),
    );
    expectSuccess(removed);
    expect(removed.stdout).toBe('.\n..\n');
    await expectGone(join(home, 'curl'));
  });
});

describe.runIf(curlSpeaks('scp'))('curl with scp:// URLs (libssh2)', () => {
  const url = (path: string) => `scp://127.0.0.1:${server.sshPort}${path}`;

  // libssh2's ssh2_scp_send ends the stream where OpenSSH's scp sends a status byte
  it('uploads a file that is logged as a completed upload, and downloads it', async () => {
    const up = await run('curl', [
      ...['--silent', '--show-error', '--insecure', '-u', `${USER}:${PASSWORD}`],
      ...['-T', 'random.bin', url('/scp-curl.bin')],
    ]);
    expectSuccess(up);
    // curl ends as it sends the last byte, before the server has closed the file
    const logged = await server.waitForLog(
      (l) => l.sender === 'Upload' && l.file_path === join(home, 'scp-curl.bin'),
    );
    expect(logged).toMatchObject({ level: 'info', protocol: 'SCP', size_bytes: CONTENT.length });
    await expectContent(join(home, 'scp-curl.bin'));

    const down = await run('curl', [
      ...['--silent', '--show-error', '--insecure', '-u', `${USER}:${PASSWORD}`],
      ...['-o', 'scp-curl-back.bin', url('/scp-curl.bin')],
    ]);
    expectSuccess(down);
    await expectContent(join(local, 'scp-curl-back.bin'));
  });
});

describe.runIf(hasCommand('lftp'))('lftp', () => {
  const lftp = (script: string[]) =>
    run('lftp', [
      '-u',
      `${USER},${PASSWORD}`,
      `sftp://127.0.0.1:${server.sshPort}`,
      '-e',
      // yes to the new host key, remembered in the test's known_hosts; the first failed
      // command ends lftp with a non-zero status
      [
        `set sftp:connect-program "ssh -a -x -F /dev/null -o PreferredAuthentications=password -o UserKnownHostsFile=${join(clientHome, 'known_hosts')}"`,
        'set sftp:auto-confirm yes',
        'set cmd:fail-exit yes',
        'set net:max-retries 1',
        'set net:timeout 20',
        ...script,
        'bye',
      ].join('; '),
    ]);

  it('uploads keeping the mtime, lists, renames, downloads and deletes', async () => {
    const up = await lftp(['mkdir lftp', 'put random.bin -o lftp/random.bin', 'ls lftp']);
    expectSuccess(up);
    expect(up.stdout).toMatch(lsLine('random.bin'));
    await expectContent(join(home, 'lftp/random.bin'));
    expect((await stat(join(home, 'lftp/random.bin'))).mtime).toEqual(OLD_MTIME);

    const rest = await lftp([
      'mv lftp/random.bin lftp/moved.bin',
      'cls -1 lftp',
      'get lftp/moved.bin -o lftp-back.bin',
      'rm lftp/moved.bin',
      'cls -1 lftp',
      'rmdir lftp',
    ]);
    expectSuccess(rest);
    expect(rest.stdout).toBe('lftp/moved.bin\n');
    await expectContent(join(local, 'lftp-back.bin'));
    await expectGone(join(home, 'lftp'));
  });
});

describe.runIf(hasCommand('rclone'))('rclone with an on-the-fly sftp remote', () => {
  const FLAGS = '--config /dev/null --retries 1 --low-level-retries 1 --contimeout 10s';
  const rclone = (...args: string[]) =>
    run('rclone', [...FLAGS.split(' '), '--sftp-set-modtime=true', ...args]);
  let remote: string;

  beforeAll(async () => {
    const obscured = await run('rclone', ['obscure', PASSWORD]);
    expectSuccess(obscured);
    const pass = obscured.stdout.trim();
    remote = `:sftp,host=127.0.0.1,port=${server.sshPort},user=${USER},pass=${pass}:`;
  });

  it('uploads keeping the mtime, lists, renames, downloads and deletes', async () => {
    const noHash = '--sftp-disable-hashcheck';
    expectSuccess(await rclone('mkdir', `${remote}rclone`));
    expect((await stat(join(home, 'rclone'))).isDirectory()).toBe(true);

    expectSuccess(await rclone(noHash, 'copyto', 'random.bin', `${remote}rclone/random.bin`));
    await expectContent(join(home, 'rclone/random.bin'));
    expect((await stat(join(home, 'rclone/random.bin'))).mtime).toEqual(OLD_MTIME);

    const listed = await rclone('lsf', `${remote}rclone`);
    expectSuccess(listed);
    expect(listed.stdout).toBe('random.bin\n');

    const moved = await rclone('moveto', `${remote}rclone/random.bin`, `${remote}rclone/moved.bin`);
    expectSuccess(moved);
    expect(await readdir(join(home, 'rclone'))).toEqual(['moved.bin']);

    expectSuccess(await rclone(noHash, 'copyto', `${remote}rclone/moved.bin`, 'rclone-back.bin'));
    await expectContent(join(local, 'rclone-back.bin'));
    expect((await stat(join(local, 'rclone-back.bin'))).mtime).toEqual(OLD_MTIME);

    expectSuccess(await rclone('delete', `${remote}rclone`));
    expect(await readdir(join(home, 'rclone'))).toEqual([]);
    expectSuccess(await rclone('rmdir', `${remote}rclone`));
    await expectGone(join(home, 'rclone'));
  });

  it("uploads with hash checks, which the server's md5sum answers", async () => {
    const up = await rclone('-vv', 'copyto', 'random.bin', `${remote}rclone-hash/random.bin`);
    expectSuccess(up);
    expect(up.stderr).not.toMatch(/Hash command skipped/);
    await expectContent(join(home, 'rclone-hash/random.bin'));
    const sums = await rclone('md5sum', `${remote}rclone-hash`);
    expectSuccess(sums);
    expect(sums.stdout).toContain(`${createHash('md5').update(CONTENT).digest('hex')}  random.bin`);
  });
});

describe.runIf(hasCommand('psftp'))("PuTTY's psftp", () => {
  /** The SHA-256 fingerprints of the host keys, as `ssh-keygen -l` prints them. */
  let fingerprints: string[];
  const psftp = (trusted: readonly string[], ...args: string[]) =>
    run('psftp', [
      ...['-P', String(server.sshPort), '-pw', PASSWORD, '-batch'],
      ...trusted.flatMap((f) => ['-hostkey', f]),
      ...args,
      `${USER}@127.0.0.1`,
    ]);
  const script = async (lines: string[]) => {
    await writeFile(join(local, 'psftp-script.txt'), `${lines.join('\n')}\nquit\n`);
    return psftp(fingerprints, '-b', 'psftp-script.txt');
  };

  beforeAll(async () => {
    fingerprints = (await hostKeys()).map(
      (key) => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`,
    );
  });

  it('uploads, lists, renames, downloads and deletes', async () => {
    const up = await script(['mkdir psftp', 'put random.bin psftp/random.bin', 'ls psftp']);
    expectSuccess(up);
    expect(up.stdout).toMatch(lsLine('random.bin'));
    await expectContent(join(home, 'psftp/random.bin'));

    const rest = await script([
      'mv psftp/random.bin psftp/moved.bin',
      'ls psftp',
      'get psftp/moved.bin psftp-back.bin',
      'rm psftp/moved.bin',
      'rmdir psftp',
    ]);
    expectSuccess(rest);
    expect(rest.stdout).toContain('/psftp/random.bin -> /psftp/moved.bin');
    expect(rest.stdout).toMatch(lsLine('moved.bin'));
    expect(rest.stdout).toContain('rmdir /psftp: OK');
    await expectContent(join(local, 'psftp-back.bin'));
    await expectGone(join(home, 'psftp'));
  });

  // pscp -sftp reads ahead and takes a reply to a later read, answered first, as the
  // end of the file: it stopped after 32 KiB, or hung, before replies kept their order
  it.runIf(hasCommand('pscp'))(
    'downloads files of every size with pscp -sftp, each byte intact',
    async () => {
      const sizes = [0, 1, 32_767, 32_768, 65_536, 100_000, 3_000_000];
      await mkdir(join(home, 'pscp'), { recursive: true });
      const files = new Map(sizes.map((size) => [size, randomBytes(size)]));
      for (const [size, data] of files) await writeFile(join(home, 'pscp', `${size}.bin`), data);
      for (const [size, data] of files) {
        const target = `pscp-${size}.bin`;
        const result = await run('pscp', [
          ...['-sftp', '-P', String(server.sshPort), '-pw', PASSWORD, '-batch'],
          ...fingerprints.flatMap((f) => ['-hostkey', f]),
          `${USER}@127.0.0.1:/pscp/${size}.bin`,
          target,
        ]);
        expectSuccess(result);
        expect(sha256(await readFile(join(local, target))), `${size} bytes`).toBe(sha256(data));
      }
    },
  );

  it('refuses a host key other than the server one', async () => {
    const wrong = await psftp([`SHA256:${'A'.repeat(43)}`]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Host key not in manually configured list');
  });
});

/** Calls an ssh2 SFTP method and settles with what its callback gets. */
function call<T = void>(
  method: (cb: (err: Error | null | undefined, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    method((err, value) => (err ? reject(err) : resolve(value))),
  );
}

describe('the ssh2 npm client', () => {
  let client: ssh2.Client;
  let sftp: ssh2.SFTPWrapper;
  const dir = () => join(home, 'ssh2');
  const { FAILURE, NO_SUCH_FILE } = ssh2.utils.sftp.STATUS_CODE;

  beforeAll(async () => {
    const keys = await hostKeys();
    client = await connectWithPassword(server.sshPort, USER, PASSWORD, {
      hostVerifier: (offered: Buffer) => keys.some((key) => offered.equals(key)),
    });
    sftp = await call((cb) => client.sftp(cb));
    await call((cb) => sftp.mkdir('/ssh2', cb));
  });

  afterAll(() => client?.end());

  it('fastPut and fastGet a 2 MiB file', async () => {
    await call((cb) => sftp.fastPut(join(local, 'random.bin'), '/ssh2/random.bin', cb));
    await expectContent(join(dir(), 'random.bin'));
    await call((cb) => sftp.fastGet('/ssh2/random.bin', join(local, 'ssh2-back.bin'), cb));
    await expectContent(join(local, 'ssh2-back.bin'));
  });

  it('readdir gives names, attributes and ls -l lines', async () => {
    await mkdir(join(dir(), 'listed/sub'), { recursive: true });
    await writeFile(join(dir(), 'listed/a.txt'), 'aaa');
    const entries = await call<ssh2.FileEntryWithStats[]>((cb) => sftp.readdir('/ssh2/listed', cb));
    const byName = new Map(entries.map((e) => [e.filename, e]));
    expect([...byName.keys()].sort()).toEqual(['a.txt', 'sub']);
    expect(byName.get('a.txt')?.attrs.isFile()).toBe(true);
    expect(byName.get('a.txt')?.attrs.size).toBe(3);
    expect(byName.get('a.txt')?.longname).toMatch(/^-rw\S+ +1 +\d+ +\d+ +3 .* a\.txt$/);
    expect(byName.get('sub')?.attrs.isDirectory()).toBe(true);
  });

  it('readdir starts with . and .., the directory and its parent, as OpenSSH lists them', async () => {
    await mkdir(join(dir(), 'dots/inner'), { recursive: true });
    // ssh2 drops `.` and `..` unless asked for the full listing, an option its types omit
    type Listing = ssh2.FileEntryWithStats[];
    const readdirFull = sftp.readdir as unknown as (
      path: string,
      options: { full: boolean },
      cb: (err: Error | null | undefined, list: Listing) => void,
    ) => void;
    const list = (path: string) =>
      call<Listing>((cb) => readdirFull.call(sftp, path, { full: true }, cb));
    const entries = await list('/ssh2/dots');
    expect(entries.map((e) => e.filename)).toEqual(['.', '..', 'inner']);
    const [self, parent] = await Promise.all([stat(join(dir(), 'dots')), stat(dir())]);
    expect(entries[0]?.attrs).toMatchObject({ mtime: Math.floor(self.mtimeMs / 1000) });
    expect(entries[1]?.attrs).toMatchObject({ mtime: Math.floor(parent.mtimeMs / 1000) });
    expect(entries[1]?.attrs.isDirectory()).toBe(true);
    expect(entries[0]?.longname).toMatch(/^d\S+ .* \.$/);

    // the home's parent is the home itself, as in a chroot
    const top = await list('/');
    expect(top.slice(0, 2).map((e) => e.filename)).toEqual(['.', '..']);
    expect(top[1]?.attrs.mtime).toBe(top[0]?.attrs.mtime);
    expect(top[1]?.attrs.mode).toBe(top[0]?.attrs.mode);
  });

  it('mkdir and rmdir', async () => {
    await call((cb) => sftp.mkdir('/ssh2/made', cb));
    expect((await stat(join(dir(), 'made'))).isDirectory()).toBe(true);
    await call((cb) => sftp.rmdir('/ssh2/made', cb));
    await expectGone(join(dir(), 'made'));
  });

  it('rename refuses to replace a file; posix-rename@openssh.com replaces it', async () => {
    await writeFile(join(dir(), 'one'), '1');
    await writeFile(join(dir(), 'two'), '2');
    await writeFile(join(dir(), 'three'), '3');
    await call((cb) => sftp.rename('/ssh2/one', '/ssh2/uno', cb));
    expect(await readFile(join(dir(), 'uno'), 'utf8')).toBe('1');
    await expectGone(join(dir(), 'one'));

    const refused = call((cb) => sftp.rename('/ssh2/uno', '/ssh2/two', cb));
    await expect(refused).rejects.toMatchObject({ code: FAILURE });
    expect(await readFile(join(dir(), 'two'), 'utf8')).toBe('2');

    await call((cb) => sftp.ext_openssh_rename('/ssh2/three', '/ssh2/two', cb));
    expect(await readFile(join(dir(), 'two'), 'utf8')).toBe('3');
    await expectGone(join(dir(), 'three'));
  });

  it('unlink removes a file, and reports a missing one', async () => {
    await writeFile(join(dir(), 'doomed'), 'x');
    await call((cb) => sftp.unlink('/ssh2/doomed', cb));
    await expectGone(join(dir(), 'doomed'));
    const again = call((cb) => sftp.unlink('/ssh2/doomed', cb));
    await expect(again).rejects.toMatchObject({ code: NO_SUCH_FILE });
  });

  it('setstat and utimes change the mode and the times on disk', async () => {
    await writeFile(join(dir(), 'attrs.txt'), 'attrs');
    await call((cb) => sftp.setstat('/ssh2/attrs.txt', { mode: 0o640 }, cb));
    await call((cb) => sftp.utimes('/ssh2/attrs.txt', 1_000_000_000, 1_100_000_000, cb));
    const st = await stat(join(dir(), 'attrs.txt'));
    expect(st.mode & 0o777).toBe(0o640);
    expect(st.atimeMs).toBe(1_000_000_000_000);
    expect(st.mtimeMs).toBe(1_100_000_000_000);
    const attrs = await call<ssh2.Stats>((cb) => sftp.stat('/ssh2/attrs.txt', cb));
    expect(attrs).toMatchObject({ mode: 0o100640, size: 5, mtime: 1_100_000_000 });
  });

  it('readlink reads a link made on the server', async () => {
    await symlink('random.bin', join(dir(), 'link'));
    expect(await call<string>((cb) => sftp.readlink('/ssh2/link', cb))).toBe('random.bin');
  });

  it('hardlink@openssh.com links the same inode', async () => {
    await writeFile(join(dir(), 'original'), 'shared');
    await call((cb) => sftp.ext_openssh_hardlink('/ssh2/original', '/ssh2/second', cb));
    const [a, b] = await Promise.all([stat(join(dir(), 'original')), stat(join(dir(), 'second'))]);
    expect(b.ino).toBe(a.ino);
    expect(a.nlink).toBe(2);
  });

  it('statvfs@openssh.com reports the filesystem of the home', async () => {
    const vfs = await call<Record<string, number>>((cb) => sftp.ext_openssh_statvfs('/ssh2', cb));
    const fs = await statfs(dir());
    expect(vfs).toMatchObject({ f_bsize: fs.bsize, f_blocks: fs.blocks, f_files: fs.files });
    expect(vfs.f_namemax).toBeGreaterThan(0);
  });
});
