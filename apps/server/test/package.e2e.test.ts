// The packed `sftpgo` package, installed as a user would: `pnpm pack`, then
// `npm install -g` of the tarball into a temporary prefix (from the real
// registry, the native modules built by their install scripts), then the
// installed command run; and `npx file:<tarball>`. The packed
// `sftpgo-portable` package likewise, through npx.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  envWithoutNpmSettings,
  freePort,
  hasCommand,
  makeTempDir,
  pnpmCommand,
} from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGcsServer } from '../../../packages/vfs-gcs/test/gcs-server.js';
import { startS3rver } from '../../../packages/vfs-s3/test/s3rver-process.js';
import { type RunResult as Outcome, outputOf } from './client-process.js';
import { sftpBatch } from './openssh-client.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const PORTABLE_DIR = fileURLToPath(new URL('../../portable', import.meta.url));
const VERSION_LINE = /^SFTPGo version: (\d+\.\d+\.\d+)-(\S+)-(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$/;
/** Installing compiles better-sqlite3 (and more) from source when no prebuilt binary can be had. */
const INSTALL_TIMEOUT = 15 * 60_000;

const pnpm = process.platform === 'win32' ? undefined : pnpmCommand();
const canRun = pnpm !== undefined && hasCommand('npm');

const cleanEnv = envWithoutNpmSettings();

/** Every process this file starts, each the leader of its own process group. */
const children = new Set<ChildProcess>();

function killChildren(): void {
  for (const child of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    for (const pid of [-child.pid, child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}
process.once('exit', killChildren);

function start(command: string[], cwd: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const [file, ...args] = command as [string, ...string[]];
  // Detached: its own process group, so that the compilers an install runs
  // can be killed along with it.
  const child = spawn(file, args, {
    cwd,
    env: { ...cleanEnv, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

/** Runs `command` to completion, killing its process group after `timeoutMs`. */
function run(command: string[], cwd: string, timeoutMs: number): Promise<Outcome> {
  const child = start(command, cwd);
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, timeoutMs);
  return outputOf(child).finally(() => clearTimeout(timer));
}

function expectSuccess(outcome: Outcome, what: string): void {
  if (outcome.code !== 0) {
    throw new Error(
      `${what} failed (${outcome.code ?? outcome.signal}):\n${outcome.stdout}\n${outcome.stderr}`,
    );
  }
}

describe.runIf(canRun)('the packed sftpgo package', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let tarball: string;
  let prefix: string;
  let cache: string;
  let sftpgo: string;

  beforeAll(
    async () => {
      tmp = await makeTempDir('sftpgo-pack-');
      prefix = join(tmp.path, 'prefix');
      cache = join(tmp.path, 'npm-cache');
      const packed = await run(
        [...(pnpm ?? []), 'pack', '--pack-destination', tmp.path],
        APP_DIR,
        5 * 60_000,
      );
      expectSuccess(packed, 'pnpm pack');
      const tgz = (await readdir(tmp.path)).filter((f) => f.endsWith('.tgz'));
      expect(tgz).toHaveLength(1);
      tarball = join(tmp.path, tgz[0] as string);

      const installed = await run(
        ['npm', 'install', '-g', '--prefix', prefix, '--cache', cache, '--no-audit', tarball],
        tmp.path,
        INSTALL_TIMEOUT,
      );
      expectSuccess(installed, 'npm install -g');
      sftpgo = join(prefix, 'bin', 'sftpgo');
    },
    INSTALL_TIMEOUT + 5 * 60_000,
  );

  afterAll(async () => {
    killChildren();
    await tmp?.remove();
  });

  it('depends on no workspace package, and carries the bundle and the SQL scripts', async () => {
    const pkgDir = join(prefix, 'lib', 'node_modules', 'sftpgo');
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };
    for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
      expect(name).not.toMatch(/^@sftpgo\//);
      expect(range).not.toMatch(/^workspace:/);
    }
    expect(pkg.bin).toEqual({
      sftpgo: './bundle/cli.js',
      'sftpgo-sftp-server': './bundle/sftp-server-stdio.js',
    });
    expect(existsSync(join(pkgDir, 'sql', 'sqlite'))).toBe(true);
    expect(existsSync(join(prefix, 'bin', 'sftpgo-sftp-server'))).toBe(true);
    // what node the installed command starts, and with which flags (running-as-a-service.md#memory)
    const firstLine = (await readFile(sftpgo, 'utf8')).split('\n', 1)[0];
    expect(firstLine).toBe('#!/usr/bin/env -S node --v8-pool-size=1');
  });

  it('prints the version, with the commit and the build date baked in', async () => {
    const { version } = JSON.parse(await readFile(join(APP_DIR, 'package.json'), 'utf8')) as {
      version: string;
    };
    const outcome = await run([sftpgo, '-v'], tmp.path, 60_000);
    expectSuccess(outcome, 'sftpgo -v');
    const match = VERSION_LINE.exec(outcome.stdout.trim());
    expect(match, outcome.stdout).not.toBeNull();
    expect(match?.[1]).toBe(version);
    expect(match?.[2]).not.toBe('dev');
  });

  it('serves: starts, answers the REST API, creates its database and host key, serves users on disk, S3 and GCS from its workers, stops on SIGTERM', async () => {
    // the cloud libraries are bundled: users on S3 and GCS show that they load and work
    const s3 = await startS3rver(join(tmp.path, 's3'), ['packed']);
    const gcs = await startGcsServer(['packed']);
    try {
      await servesFromThePackage(s3.endpoint, gcs.endpoint);
    } finally {
      await s3.stop();
      await gcs.close();
    }
  }, 120_000);

  async function servesFromThePackage(s3Endpoint: string, gcsEndpoint: string): Promise<void> {
    const configDir = join(tmp.path, 'cfg');
    const sshPort = await freePort();
    const httpPort = await freePort();
    await mkdir(configDir);
    await writeFile(
      join(configDir, 'sftpgo.json'),
      JSON.stringify({
        // sessions in two worker processes: the bundle carries their module too
        sftpd: { bind_port: sshPort, bind_address: '127.0.0.1', workers: 2 },
        httpd: { bind_port: httpPort, bind_address: '127.0.0.1' },
      }),
    );
    // Logs to the standard error.
    const server = start(
      [sftpgo, 'serve', '--config-dir', configDir, '--log-file-path', ''],
      tmp.path,
      { STORAGE_EMULATOR_HOST: gcsEndpoint },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not started in 60 s:\n${stderr}`)), 60_000);
      server.on('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} while starting:\n${stderr}`));
      });
      server.stderr?.on('data', (chunk) => {
        stderr += chunk;
        if (/"message":"SFTPGo \S+ started"/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });

    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/version`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: string; commit_hash: string };
    expect(body.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(body.commit_hash).not.toBe('dev');
    expect(existsSync(join(configDir, 'sftpgo.db'))).toBe(true);
    expect(existsSync(join(configDir, 'id_rsa'))).toBe(true);

    if (hasCommand('sftp') && hasCommand('sshpass')) {
      const filesystems = {
        disk: { provider: 0 },
        s3: {
          provider: 1,
          s3config: {
            bucket: 'packed',
            region: 'us-east-1',
            access_key: 'S3RVER',
            access_secret: 'S3RVER',
            endpoint: s3Endpoint,
          },
        },
        gcs: {
          provider: 2,
          gcsconfig: {
            bucket: 'packed',
            credentials: Buffer.from('{"type":"service_account"}').toString('base64'),
          },
        },
      };
      await writeFile(join(tmp.path, 'hello.txt'), 'hello from the package\n');
      for (const [name, filesystem] of Object.entries(filesystems)) {
        const added = await fetch(`http://127.0.0.1:${httpPort}/api/v1/user`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            status: 1,
            username: name,
            password: 'packed-pass',
            home_dir: join(tmp.path, 'homes', name),
            permissions: { '/': ['*'] },
            filesystem,
          }),
        });
        expect(added.status, await added.text()).toBe(200);
        const session = await sftpBatch(
          sshPort,
          name,
          'packed-pass',
          'put hello.txt\nget hello.txt back.txt\nls -l',
          tmp.path,
        );
        expect(session.code, session.output).toBe(0);
        expect(await readFile(join(tmp.path, 'back.txt'), 'utf8')).toBe('hello from the package\n');
      }
    }

    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM received');
  }

  it(
    'runs with npx from the tarball',
    async () => {
      const outcome = await run(
        // a bare path would be run as a program: `file:` makes it a package
        ['npx', '--yes', '--cache', cache, `file:${tarball}`, '-v'],
        tmp.path,
        INSTALL_TIMEOUT,
      );
      expectSuccess(outcome, 'npx sftpgo -v');
      expect(outcome.stdout.trim()).toMatch(VERSION_LINE);
    },
    INSTALL_TIMEOUT + 60_000,
  );
});

describe.runIf(canRun && hasCommand('sftp') && hasCommand('sshpass'))(
  'the packed sftpgo-portable package',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;

    beforeAll(async () => {
      tmp = await makeTempDir('sftpgo-portable-pack-');
    });

    afterAll(async () => {
      killChildren();
      await tmp?.remove();
    });

    it(
      'runs with npx from its tarball, serves a directory to the credentials it prints, and stops on SIGTERM',
      async () => {
        const packed = await run(
          [...(pnpm ?? []), 'pack', '--pack-destination', tmp.path],
          PORTABLE_DIR,
          5 * 60_000,
        );
        expectSuccess(packed, 'pnpm pack');
        const [tgz] = (await readdir(tmp.path)).filter((f) => f.endsWith('.tgz'));
        const shared = join(tmp.path, 'shared');
        await mkdir(shared);
        await writeFile(join(shared, 'notes.txt'), 'shared through npx\n');
        const share = start(
          [
            'npx',
            '--yes',
            '--cache',
            join(tmp.path, 'npm-cache'),
            `file:${join(tmp.path, tgz as string)}`,
            '-d',
            shared,
            '--bind-address',
            '127.0.0.1',
            '-S=false',
          ],
          tmp.path,
        );
        let stdout = '';
        let stderr = '';
        share.stderr?.on('data', (d) => {
          stderr += d;
        });
        const exited = new Promise<string>((resolve) =>
          share.on('close', (code, signal) => resolve(String(code ?? signal))),
        );
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`not ready:\n${stdout}${stderr}`)),
            INSTALL_TIMEOUT,
          );
          share.on('close', (code) => {
            clearTimeout(timer);
            reject(new Error(`exited with ${code}:\n${stdout}${stderr}`));
          });
          share.stdout?.on('data', (d) => {
            stdout += d;
            if (/\(ssh-ed25519\)\n/.test(stdout)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        const value = (name: string) =>
          new RegExp(`^  ${name}:\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '';
        const session = await sftpBatch(
          Number(value('port')),
          value('username'),
          value('password'),
          'get notes.txt',
          tmp.path,
        );
        expect(session.code, session.output).toBe(0);
        expect(await readFile(join(tmp.path, 'notes.txt'), 'utf8')).toBe('shared through npx\n');
        // npm runs the command as a child of its own: the signal goes to the whole
        // group, and npm itself ends by it, or with the command's status
        if (share.pid !== undefined) process.kill(-share.pid, 'SIGTERM');
        expect(['0', 'SIGTERM']).toContain(await exited);
      },
      INSTALL_TIMEOUT + 60_000,
    );
  },
);
