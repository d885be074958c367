import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

/** A filesystem of this size is the full user's home: a tmpfs, which only root may mount. */
const HOME_BYTES = 1024 * 1024;

/** Why the test cannot run here, if it cannot: it mounts a small tmpfs, tried once here. */
function mountUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  if (!hasCommand('sftp') || !hasCommand('sshpass')) return 'needs OpenSSH sftp and sshpass';
  const probe = mkdtempSync(join(tmpdir(), 'sftpgo-mount-probe-'));
  try {
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], {
      encoding: 'utf8',
    });
    if (mount.status !== 0) return `mount refused here: ${mount.stderr.trim() || mount.error}`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    rmdirSync(probe);
  }
}
const skipReason = mountUnavailable();
if (skipReason) console.warn(`disk-full end-to-end tests skipped: ${skipReason}`);

describe.runIf(skipReason === undefined)('an upload to a full disk', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;
  let fullHome: string;
  let mounted = false;
  const local = () => join(tmp.path, 'local');

  beforeAll(async () => {
    tmp = await makeTempDir();
    fullHome = join(tmp.path, 'homes', 'full');
    await mkdir(fullHome, { recursive: true });
    await mkdir(local());
    const mount = spawnSync('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${HOME_BYTES}`,
      'tmpfs',
      fullHome,
    ]);
    if (mount.status !== 0) throw new Error(`mount: ${mount.stderr}`);
    mounted = true;
    await writeFile(join(local(), 'big.bin'), randomBytes(3 * HOME_BYTES));
    await writeFile(join(local(), 'small.bin'), randomBytes(10_000));
    const configDir = join(tmp.path, 'config');
    await mkdir(configDir);
    ({ server, api } = await startLoopbackServer(configDir));
    for (const [username, home] of [
      ['full', fullHome],
      ['other', join(tmp.path, 'homes', 'other')],
    ] as const) {
      // a quota: the used quota is tracked
      await addUser(api, {
        username,
        password: `pw-${username}`,
        home_dir: home,
        permissions: { '/': ['*'] },
        quota_size: 100 * HOME_BYTES,
      });
    }
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    if (mounted) execFileSync('umount', [fullHome]);
    await tmp?.remove();
  });

  const userOf = async (username: string) => {
    const [user] = (await (await fetch(`${api}/user?username=${username}`)).json()) as {
      id: number;
      used_quota_size: number;
      used_quota_files: number;
    }[];
    if (!user) throw new Error(`no user ${username}`);
    return user;
  };

  it('fails with a clear error, harms no one else, and leaves the quota right', async () => {
    const failed = await sftpBatch(server.sshPort, 'full', 'pw-full', 'put big.bin\n', local());
    expect(failed.code).not.toBe(0);
    // OpenSSH's client names the SFTP status only; the log says why
    expect(failed.output).toMatch(/write remote "\/big\.bin": Failure/);
    await server.waitForLog(
      (l) =>
        l.level === 'warn' &&
        String(l.message).startsWith(
          'transfer error: write "/big.bin": no space left on the storage',
        ),
    );

    // another user, the REST API and the database go on
    const other = await sftpBatch(server.sshPort, 'other', 'pw-other', 'put big.bin\n', local());
    expect(other.code, other.output).toBe(0);
    expect(await userOf('other')).toMatchObject({
      used_quota_size: 3 * HOME_BYTES,
      used_quota_files: 1,
    });

    // what the quota counts is what the disk holds: a scan finds the same
    const tracked = await userOf('full');
    const scan = await fetch(`${api}/quota_scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'full' }),
    });
    expect(scan.status).toBe(201);
    await eventually(async () =>
      expect(await (await fetch(`${api}/quota_scan`)).json()).toEqual([]),
    );
    const scanned = await userOf('full');
    expect(scanned.used_quota_size).toBe(tracked.used_quota_size);
    expect(scanned.used_quota_files).toBe(tracked.used_quota_files);

    // once the user makes room, uploads work again
    const again = await sftpBatch(
      server.sshPort,
      'full',
      'pw-full',
      'rm big.bin\nput small.bin\n',
      local(),
    );
    expect(again.code, again.output).toBe(0);
    expect(await readdir(fullHome)).toEqual(['small.bin']);
    expect(await userOf('full')).toMatchObject({ used_quota_size: 10_000, used_quota_files: 1 });
  });
});
