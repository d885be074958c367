import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { descendantPids, eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch, sftpOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
  startServer,
} from './server-process.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Larger than what can be in flight when the client dies (64 requests of
// 255 KiB and the SSH window), so that the cut is real.
const CONTENT = randomBytes(40_000_000);

/** Starts an upload with OpenSSH's sftp and kills the client after `afterMs`. */
async function killedUpload(port: number, user: string, cwd: string, afterMs: number) {
  const child = spawn(
    'sshpass',
    ['-e', 'sftp', ...sftpOptions(port), '-oBatchMode=no', '-b', '-', `${user}@127.0.0.1`],
    {
      cwd,
      env: { ...process.env, SSHPASS: 'mode-pass' },
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  // from the start: a client whose server dies first ends before the kill
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.stdin.end('put data.bin\n');
  await new Promise((r) => setTimeout(r, afterMs));
  // sshpass and sftp and ssh: the whole group goes, as a killed client would
  // each by PID: sshpass puts sftp in a session of its own, and killing
  // sshpass alone left ssh sending for a while, racing the reput
  if (child.exitCode === null && child.signalCode === null) {
    for (const pid of [child.pid!, ...descendantPids(child.pid!)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  await closed;
}

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('upload modes', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  const servers: ServerProcess[] = [];
  const local = () => join(tmp.path, 'local');

  beforeAll(async () => {
    tmp = await makeTempDir();
    await mkdir(local());
    await writeFile(join(local(), 'data.bin'), CONTENT);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    killAllServers();
    await tmp?.remove();
  });

  /** A server with `upload_mode` = mode and a user uploading at 10 MB/s. */
  async function serverWithMode(
    mode: number,
    name = `mode${mode}`,
  ): Promise<{ server: ServerProcess; configDir: string; port: number; home: string }> {
    const configDir = join(tmp.path, name);
    await mkdir(configDir);
    const { server, api } = await startLoopbackServer(configDir, { upload_mode: mode });
    servers.push(server);
    const home = join(configDir, 'home');
    await addUser(api, {
      username: 'uploader',
      password: 'mode-pass',
      home_dir: home,
      upload_bandwidth: 10_000,
      permissions: { '/': ['*'] },
    });
    return { server, configDir, port: server.sshPort, home };
  }

  /**
   * Starts an upload, kills the server with SIGKILL three seconds into it
   * (some 25 MB at the user's 10 MB/s, more than the 16 MiB that a part kept
   * in mode 2 loses), and starts it again on the same configuration: the
   * client dies with it.
   */
  async function serverKilledMidUpload(mode: number) {
    const first = await serverWithMode(mode, `killed-mode${mode}`);
    const upload = killedUpload(first.port, 'uploader', local(), 6000);
    await new Promise((r) => setTimeout(r, 3000));
    // the temporary file the upload writes, which the killed server leaves
    expect((await readdir(first.home)).filter((n) => n.startsWith('.sftpgo-upload.'))).toHaveLength(
      1,
    );
    await first.server.stop('SIGKILL');
    await upload;
    const again = await startServer(first.configDir);
    servers.push(again);
    return { ...first, server: again, port: again.sshPort };
  }

  it('mode 1: a killed upload leaves nothing at the path', async () => {
    const { port, home } = await serverWithMode(1);
    await killedUpload(port, 'uploader', local(), 1000);
    await eventually(async () => expect(await readdir(home)).toEqual([]));
  });

  it('mode 2: a killed upload is kept and completed with reput', async () => {
    const { port, home } = await serverWithMode(2);
    await killedUpload(port, 'uploader', local(), 1000);
    await eventually(async () => {
      const names = await readdir(home);
      expect(names).toEqual(['data.bin']);
      const partial = await readFile(join(home, 'data.bin'));
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(CONTENT.length);
    });
    const { code } = await sftpBatch(port, 'uploader', 'mode-pass', 'reput data.bin', local());
    expect(code).toBe(0);
    expect(sha256(await readFile(join(home, 'data.bin')))).toBe(sha256(CONTENT));
  });

  it('mode 1: a server killed mid-upload leaves, once restarted, nothing at the path', async () => {
    const { server, home } = await serverKilledMidUpload(1);
    expect(await readdir(home)).toEqual([]);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message:
          'upload of "/data.bin" for "uploader", left by a stopped process: its temporary file removed',
      }),
    );
  });

  it('mode 2: a server killed mid-upload keeps, once restarted, the part for reput', async () => {
    const { server, port, home } = await serverKilledMidUpload(2);
    expect(await readdir(home)).toEqual(['data.bin']);
    const partial = await readFile(join(home, 'data.bin'));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(CONTENT.length);
    expect(server.logs).toContainEqual(
      expect.objectContaining({
        message:
          'upload of "/data.bin" for "uploader", left by a stopped process: kept at its path, to be resumed',
      }),
    );
    const { code } = await sftpBatch(port, 'uploader', 'mode-pass', 'reput data.bin', local());
    expect(code).toBe(0);
    expect(sha256(await readFile(join(home, 'data.bin')))).toBe(sha256(CONTENT));
  });
});
