import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientProcesses, expectSuccess } from './client-process.js';
import { FzSftpClient } from './fzsftp-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

// Clients that keep several requests in flight and match the replies to them in
// the order they sent them, as OpenSSH's sftp-server answers: sshfs, JSch and
// FileZilla failed, each in its own way, while replies could overtake each other.
const USER = 'robin';
const PASSWORD = 'robin-secret-1';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let server: ServerProcess;
/** The user's home on the server's disk: the `/` that clients see. */
let home: string;
/** The clients' working directory. */
let local: string;

const clients = new ClientProcesses(
  () => local,
  () => ({ HOME: join(tmp.path, 'client-home') }),
);

beforeAll(async () => {
  tmp = await makeTempDir();
  home = join(tmp.path, 'homes', USER);
  local = join(tmp.path, 'local');
  await mkdir(local);
  await mkdir(join(tmp.path, 'client-home'));
  await mkdir(home, { recursive: true });
  const started = await startLoopbackServer(tmp.path);
  server = started.server;
  await addUser(started.api, {
    username: USER,
    password: PASSWORD,
    home_dir: home,
    permissions: { '/': ['*'] },
  });
});

afterEach(() => clients.killAll());

afterAll(async () => {
  clients.killAll();
  await server?.stop();
  killAllServers();
  await tmp?.remove();
});

/** Why sshfs cannot run here, or undefined: only a /dev/fuse that cannot be opened skips it. */
function fuseUnavailable(): string | undefined {
  try {
    closeSync(openSync('/dev/fuse', 'r+'));
    return undefined;
  } catch (err) {
    return `/dev/fuse cannot be opened (${(err as NodeJS.ErrnoException).code})`;
  }
}

const fuseProblem = fuseUnavailable();
if (fuseProblem) console.warn(`skipping the sshfs tests: ${fuseProblem}`);

describe.runIf(fuseProblem === undefined && hasCommand('sshfs') && hasCommand('fusermount3'))(
  'sshfs',
  () => {
    let mountPoint: string;

    beforeAll(async () => {
      mountPoint = join(tmp.path, 'mnt');
      await mkdir(mountPoint);
    });

    afterAll(() => unmount());

    const isMounted = async () =>
      (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .some((line) => line.split(' ')[4] === mountPoint);

    /** Mounts the home with sshfs in the foreground (its PID is ours to stop), multi-threaded. */
    async function mount(): Promise<void> {
      const sshfs = clients.start('sshfs', [
        '-f',
        ...['-p', String(server.sshPort)],
        ...['-o', 'password_stdin,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null'],
        `${USER}@127.0.0.1:/`,
        mountPoint,
      ]);
      let stderr = '';
      sshfs.stderr?.on('data', (d) => {
        stderr += d;
      });
      sshfs.stdin?.end(`${PASSWORD}\n`);
      await eventually(async () => {
        if (sshfs.exitCode !== null) throw new Error(`sshfs exited: ${stderr}`);
        expect(await isMounted()).toBe(true);
      });
    }

    function unmount(): void {
      spawnSync('fusermount3', ['-u', '-z', mountPoint], { stdio: 'ignore', timeout: 10_000 });
      clients.killAll();
    }

    it('copies files in, lists them, reads them back after a new mount, renames and unlinks', async () => {
      const one = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(join(local, 'one.bin'), one);
      await mkdir(join(local, 'many'));
      const many = new Map(
        Array.from({ length: 20 }, (_, i) => [`f${i}.bin`, randomBytes(1000 * (i + 1))] as const),
      );
      for (const [name, data] of many) await writeFile(join(local, 'many', name), data);

      await mount();
      // `cp` creates, then writes: it failed with "No such file or directory"
      expectSuccess(await clients.run('cp', ['one.bin', join(mountPoint, 'one.bin')]));
      expectSuccess(await clients.run('cp', ['-r', 'many', join(mountPoint, 'many')]));
      expect(sha256(await readFile(join(home, 'one.bin')))).toBe(sha256(one));
      expect((await readdir(join(mountPoint, 'many'))).sort()).toEqual([...many.keys()].sort());
      expect((await stat(join(mountPoint, 'one.bin'))).size).toBe(one.length);
      unmount();
      await eventually(async () => expect(await isMounted()).toBe(false));

      await mount();
      expect(sha256(await readFile(join(mountPoint, 'one.bin')))).toBe(sha256(one));
      for (const [name, data] of many) {
        expect(sha256(await readFile(join(mountPoint, 'many', name))), name).toBe(sha256(data));
      }
      // a root on a FUSE filesystem makes its lookups on the thread pool:
      // they wait on another process, here the SFTP server itself
      const onFuse = await OsFs.create(join(mountPoint, 'many'));
      expect(onFuse.inlineLookups).toBe(false);
      expect(await onFuse.stat('/f0.bin')).toMatchObject({ size: 1000 });
      await onFuse.close();
      await rename(join(mountPoint, 'one.bin'), join(mountPoint, 'renamed.bin'));
      expect(existsSync(join(home, 'one.bin'))).toBe(false);
      expect(sha256(await readFile(join(home, 'renamed.bin')))).toBe(sha256(one));
      await unlink(join(mountPoint, 'renamed.bin'));
      expect(existsSync(join(home, 'renamed.bin'))).toBe(false);
      unmount();
      await eventually(async () => expect(await isMounted()).toBe(false));
    });
  },
);

const JSCH_JAR = '/usr/share/java/jsch.jar';

/** Whether Debian's libjsch-java is installed; under CI its absence is an error. */
function hasJsch(): boolean {
  if (!hasCommand('java')) return false;
  if (existsSync(JSCH_JAR)) return true;
  const reason = `${JSCH_JAR} is missing (Debian's libjsch-java)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: .ci/run must install it`);
  console.warn(`skipping: ${reason}`);
  return false;
}

describe.runIf(hasJsch())('JSch', () => {
  const program = fileURLToPath(new URL('./fixtures/JschStreams.java', import.meta.url));

  // ChannelSftp.get(String) reads ahead: a later reply answered first threw
  // ArrayIndexOutOfBoundsException, in 5 of 8 sessions, and broke the session
  it('downloads and uploads through streams, eight times in one session, every byte intact', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    await writeFile(join(home, 'stream.bin'), data);
    await writeFile(join(local, 'upload.bin'), data);
    const steps = [
      ...Array.from({ length: 8 }, () => ['get', '/stream.bin']),
      ['put', '/uploaded.bin'],
      ['get', '/uploaded.bin'],
    ].flat();
    const result = await clients.run(
      'java',
      ['-cp', JSCH_JAR, program, String(server.sshPort), USER, ...steps],
      {
        timeoutMs: 120_000,
        env: { JSCH_PASSWORD: PASSWORD, JSCH_LOCAL: join(local, 'upload.bin') },
      },
    );
    expectSuccess(result);
    const digest = sha256(data);
    expect(result.stdout.trim().split('\n')).toEqual([
      ...Array.from({ length: 8 }, () => `get /stream.bin ${digest}`),
      'put /uploaded.bin',
      `get /uploaded.bin ${digest}`,
    ]);
    expect(sha256(await readFile(join(home, 'uploaded.bin')))).toBe(digest);
  });
});

describe.runIf(hasCommand('fzsftp'))("FileZilla's fzsftp", () => {
  // fzsftp sends several READDIRs at once: a reply overtaking an earlier one
  // ended the listing with "request ID mismatch"
  it('lists a directory of 500 entries, twenty times in one session', async () => {
    const names = Array.from({ length: 500 }, (_, i) => `entry-${String(i).padStart(3, '0')}`);
    await mkdir(join(home, 'big-dir'));
    await Promise.all(names.map((name) => writeFile(join(home, 'big-dir', name), name)));

    const fz = new FzSftpClient(clients.start('fzsftp', []), PASSWORD);
    const opened = await fz.command(`open "${USER}@127.0.0.1" ${server.sshPort}`);
    expect(opened.ok, fz.transcript).toBe(true);
    for (let round = 0; round < 20; round++) {
      const listed = await fz.command('ls /big-dir');
      expect(listed.errors, `round ${round}`).toEqual([]);
      expect(listed.ok, `round ${round}`).toBe(true);
      const shown = listed.entries.map((e) => e.name).filter((n) => n !== '.' && n !== '..');
      expect(shown.sort(), `round ${round}`).toEqual(names);
      const entry = listed.entries.find((e) => e.name === 'entry-007');
      expect(entry?.longname).toMatch(/^-rw\S+ +1 +\d+ +\d+ +9 .* entry-007$/);
    }
  });
});
