import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { S3Fs } from '@sftpgo/vfs-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3Server, startS3rver } from '../../../packages/vfs-s3/test/s3rver-process.js';
import { outputOf } from './client-process.js';
import { sftpBatch, sftpOptions } from './openssh-client.js';
import { sftpgoArgv, spawnSftpgo } from './server-process.js';

const BROWSER = fileURLToPath(new URL('./fixtures/mdns-browse.mjs', import.meta.url));

/** What the ready block of a running share says. */
interface Share {
  readonly child: ChildProcess;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly text: string;
  /** What it wrote on the standard error so far. */
  readonly stderr: () => string;
  /** Sends SIGTERM and resolves with the exit code, or the signal that ended it. */
  stop(): Promise<number | string | null>;
}

const started = new Set<ChildProcess>();

function field(text: string, name: string): string {
  return new RegExp(`^  ${name}:\\s+(\\S+)`, 'm').exec(text)?.[1] ?? '';
}

/** Runs `sftpgo portable <args>` in `cwd` and waits for its ready block. */
function startShare(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Share> {
  return shareOf(spawnSftpgo(['portable', ...args], env, cwd));
}

/** The share a started process runs, once it has printed its ready block. */
function shareOf(child: ChildProcess): Promise<Share> {
  started.add(child);
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal)),
  );
  exited.then(() => started.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`not ready in 30 s:\n${stdout}${stderr}`)),
      30_000,
    );
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${stdout}${stderr}`));
    });
    child.stdout?.on('data', (d) => {
      stdout += d;
      // the last line of the block
      if (!/\(ssh-ed25519\)\n/.test(stdout)) return;
      clearTimeout(timer);
      resolve({
        child,
        port: Number(field(stdout, 'port')),
        username: field(stdout, 'username'),
        password: field(stdout, 'password'),
        text: stdout,
        stderr: () => stderr,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
  });
}

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('sftpgo portable', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let shared: string;
  let local: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    shared = join(tmp.path, 'shared');
    local = join(tmp.path, 'local');
    await mkdir(shared);
    await mkdir(local);
    await writeFile(join(shared, 'report.txt'), 'shared report\n');
    await writeFile(join(local, 'upload.txt'), 'from the client\n');
  });

  afterAll(async () => {
    for (const child of started) child.kill('SIGKILL');
    await tmp?.remove();
  });

  const base = (dir: string) => ['-d', dir, '--bind-address', '127.0.0.1', '-S=false'];

  it('serves the directory it runs in to generated credentials, read-only by default, and stops on SIGTERM', async () => {
    // -s 0: a free port, chosen by the system
    const share = await startShare(['--bind-address', '127.0.0.1', '-S=false', '-s', '0'], shared);
    try {
      expect(share.text).toContain(`serving ${shared}`);
      expect(share.port).toBeGreaterThan(1023);
      expect(share.username).toMatch(/^user-[a-z0-9]{6}$/);
      expect(share.password).toMatch(/^[A-Za-z0-9]{20}$/);
      expect(share.text).toMatch(/permissions: {2}list, download/);
      expect(share.text).toContain(`sftp -P ${share.port} ${share.username}@127.0.0.1`);
      expect(share.text).toMatch(
        /host keys: {4}SHA256:\S+ \(ssh-rsa\)\n {16}SHA256:\S+ \(ssh-ed25519\)/,
      );
      const session = await sftpBatch(
        share.port,
        share.username,
        share.password,
        'get report.txt got.txt\n-put upload.txt',
        local,
      );
      expect(session.code, session.output).toBe(0);
      expect(await readFile(join(local, 'got.txt'), 'utf8')).toBe('shared report\n');
      expect(session.output).toMatch(/Permission denied/);
      expect(existsSync(join(shared, 'upload.txt'))).toBe(false);
    } finally {
      expect(await share.stop()).toBe(0);
    }
  });

  it('takes uploads with -g "*", the credentials given, and the port given', async () => {
    const port = await freePort();
    const share = await startShare(
      [...base(shared), '-g', '*', '-u', 'alice', '-p', 'alice-secret', '-s', String(port)],
      tmp.path,
    );
    try {
      expect(share.port).toBe(port);
      expect(share.text).toMatch(/password: {5}alice-secret\n/);
      const session = await sftpBatch(
        port,
        'alice',
        'alice-secret',
        'put upload.txt\nmkdir d',
        local,
      );
      expect(session.code, session.output).toBe(0);
      expect(await readFile(join(shared, 'upload.txt'), 'utf8')).toBe('from the client\n');
    } finally {
      await share.stop();
    }
  });

  it.runIf(hasCommand('ssh-keygen'))(
    'logs in with the key of -k, and generates no password then',
    async () => {
      const key = join(tmp.path, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
      const share = await startShare(
        [...base(shared), '-k', `${key}.pub`, '-u', 'keyed'],
        tmp.path,
      );
      try {
        expect(share.text).toMatch(/password: {5}none: log in with a public key/);
        const child = spawn(
          'sftp',
          [
            ...sftpOptions(share.port),
            '-oBatchMode=yes',
            '-oIdentitiesOnly=yes',
            '-i',
            key,
            '-b',
            '-',
            'keyed@127.0.0.1',
          ],
          { cwd: local, stdio: ['pipe', 'pipe', 'pipe'] },
        );
        child.stdin?.end('ls\n');
        const result = await outputOf(child);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout).toContain('report.txt');
      } finally {
        await share.stop();
      }
    },
  );

  it('refuses flags it cannot use in one line, with status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['-d', join(tmp.path, 'missing')], /--directory ".*missing": no such directory/],
      [['-g', 'list,fly'], /--permissions: unknown permission "fly"/],
      [
        ['-k', join(tmp.path, 'no-key.pub')],
        /--public-key ".*no-key\.pub": neither a public key nor a readable file/,
      ],
      [['-c', 'md5sum,telnet'], /--ssh-commands: unknown command "telnet"/],
      [['-f', '1', '--s3-region', 'us-east-1'], /s3config: bucket cannot be empty/],
    ];
    for (const [args, message] of cases) {
      const result = await outputOf(
        spawnSftpgo(['portable', '--bind-address', '127.0.0.1', '-S=false', ...args]),
      );
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });

  describe('with S3', () => {
    let s3: S3Server | undefined;

    beforeAll(async () => {
      s3 = await startS3rver(join(tmp.path, 's3'), ['portable']);
    });
    afterAll(async () => {
      await s3?.stop();
    });

    it('serves a bucket below a key prefix with -f 1 and the --s3-* flags', async () => {
      const share = await startShare(
        [
          '--bind-address',
          '127.0.0.1',
          '-S=false',
          '-g',
          '*',
          '-f',
          '1',
          '--s3-bucket',
          'portable',
          '--s3-region',
          'us-east-1',
          '--s3-access-key',
          'S3RVER',
          '--s3-access-secret',
          'S3RVER',
          '--s3-endpoint',
          s3!.endpoint,
          '--s3-key-prefix',
          'shared/',
        ],
        tmp.path,
      );
      try {
        expect(share.text).toContain('serving s3://portable/shared/');
        const session = await sftpBatch(
          share.port,
          share.username,
          share.password,
          'put upload.txt\nget upload.txt back.txt\nls -l',
          local,
        );
        expect(session.code, session.output).toBe(0);
        expect(await readFile(join(local, 'back.txt'), 'utf8')).toBe('from the client\n');
        const bucket = new S3Fs({
          bucket: 'portable',
          endpoint: s3!.endpoint,
          accessKey: 'S3RVER',
          accessSecret: 'S3RVER',
        });
        expect((await bucket.stat('/shared/upload.txt')).size).toBe('from the client\n'.length);
      } finally {
        await share.stop();
      }
    });
  });

  describe('multicast DNS', () => {
    /** A browsing process on this machine, and the services it has seen so far. */
    function browse() {
      const child = spawn(process.execPath, [BROWSER], { stdio: ['ignore', 'pipe', 'pipe'] });
      started.add(child);
      let text = '';
      child.stdout?.on('data', (d) => {
        text += d;
      });
      const events = () =>
        text
          .split('\n')
          .filter(Boolean)
          .map(
            (l) =>
              JSON.parse(l) as {
                event: string;
                name: string;
                port: number;
                txt: Record<string, string>;
              },
          );
      return {
        async waitFor(event: string, name: string) {
          for (let waited = 0; waited < 15_000; waited += 100) {
            const found = events().find((e) => e.event === event && e.name === name);
            if (found) return found;
            await new Promise((r) => setTimeout(r, 100));
          }
          throw new Error(`no ${event} of ${name} in 15 s: ${text}`);
        },
        stop() {
          child.kill('SIGTERM');
          started.delete(child);
        },
      };
    }

    for (const withCredentials of [false, true]) {
      it(`advertises _sftp-ssh._tcp ${withCredentials ? 'with' : 'without'} the credentials, and withdraws it at exit`, async () => {
        const browser = browse();
        const share = await startShare(
          ['-d', shared, '--bind-address', '127.0.0.1', ...(withCredentials ? ['-C'] : [])],
          tmp.path,
        );
        try {
          const name = `SFTPGo portable ${share.port}`;
          expect(share.text).toContain(`advertised:   ${name} (_sftp-ssh._tcp`);
          const up = await browser.waitFor('up', name);
          expect(up.port).toBe(share.port);
          expect(up.txt.version).toMatch(/^\d+\.\d+\.\d+/);
          if (withCredentials) {
            expect(up.txt).toMatchObject({ user: share.username, password: share.password });
          } else {
            expect(up.txt.user).toBeUndefined();
            expect(up.txt.password).toBeUndefined();
          }
          expect(await share.stop(), share.stderr()).toBe(0);
          await browser.waitFor('down', name);
        } finally {
          await share.stop();
          browser.stop();
        }
      });
    }
  });

  // a network namespace of its own, with loopback alone: no interface can send multicast
  const canIsolate = process.getuid?.() === 0 && hasCommand('unshare') && hasCommand('ip');
  if (!canIsolate) console.log('skipped: isolating the network needs root, unshare and ip');
  it.runIf(canIsolate)(
    'says in one line that multicast cannot be used, and serves on',
    async () => {
      const share = await shareOf(
        spawn(
          'unshare',
          [
            '-n',
            'sh',
            '-c',
            'ip link set lo up && exec "$@"',
            'sh',
            ...sftpgoArgv(['portable', '-d', shared, '--bind-address', '127.0.0.1']),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      expect(share.text).toMatch(/advertised: {3}no\n/);
      expect(share.stderr().trim().split('\n')).toEqual([
        'sftpgo portable: warn: the service is not advertised by multicast DNS: no network interface but loopback',
      ]);
      expect(share.child.exitCode).toBeNull();
      expect(await share.stop()).toBe(0);
    },
  );

  it('writes nothing but the shared files: its working files are gone after the stop', async () => {
    const workTmp = join(tmp.path, 'tmpdir');
    await mkdir(workTmp);
    const share = await startShare(base(shared), tmp.path, { TMPDIR: workTmp });
    // the TypeScript loader of the tests keeps a cache there too
    const ours = async () => (await readdir(workTmp)).filter((f) => f.startsWith('sftpgo-'));
    expect(await ours()).toHaveLength(1);
    expect(await share.stop()).toBe(0);
    expect(await ours()).toEqual([]);
  });
});
