import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('quota', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;
  let local: string;
  const homeOf = (user: string) => join(tmp.path, 'homes', user);

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    await mkdir(local);
    await writeFile(join(local, '600k.bin'), Buffer.alloc(600_000, 7));
    await writeFile(join(local, 'tiny.txt'), 'tiny');
    ({ server, api } = await startLoopbackServer(tmp.path));
    const base = { password: 'quota-pass', permissions: { '/': ['*'] } };
    await addUser(api, {
      ...base,
      username: 'sized',
      home_dir: homeOf('sized'),
      quota_size: 1_000_000,
    });
    await addUser(api, {
      ...base,
      username: 'counted',
      home_dir: homeOf('counted'),
      quota_files: 2,
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  async function usedOf(username: string): Promise<[number, number]> {
    const users = (await (await fetch(`${api}/user/${username === 'sized' ? 1 : 2}`)).json()) as {
      used_quota_size: number;
      used_quota_files: number;
    };
    return [users.used_quota_size, users.used_quota_files];
  }

  it('stops an upload that would go past quota_size while it runs', async () => {
    const { code, output } = await sftpBatch(
      server.sshPort,
      'sized',
      'quota-pass',
      'put 600k.bin first.bin\n-put 600k.bin second.bin\nput tiny.txt after.txt',
      local,
    );
    expect(code).toBe(0);
    expect(output).toMatch(/second\.bin.*Failure|Failure.*second\.bin|write remote.*Failure/s);
    expect((await stat(join(homeOf('sized'), 'first.bin'))).size).toBe(600_000);
    expect((await stat(join(homeOf('sized'), 'second.bin'))).size).toBeLessThanOrEqual(400_000);
    // a cut upload: no Upload line, a warning, and no upload action
    const cut = await server.waitForLog((l) => String(l.message).startsWith('transfer error: '));
    expect(cut).toMatchObject({
      level: 'warn',
      sender: 'sftpd',
      message: `transfer error: "/second.bin": size quota exceeded, path: "${join(homeOf('sized'), 'second.bin')}"`,
    });
    const after = join(homeOf('sized'), 'after.txt');
    await server.waitForLog((l) => l.sender === 'Upload' && l.file_path === after);
    expect(server.logs.filter((l) => l.sender === 'Upload').map((l) => l.file_path)).toEqual([
      join(homeOf('sized'), 'first.bin'),
      after,
    ]);
    const [size, files] = await usedOf('sized');
    expect(size).toBeLessThanOrEqual(1_000_000);
    expect(files).toBe(3);
  });

  it('refuses a new file past quota_files, and overwriting is still allowed', async () => {
    const { code, output } = await sftpBatch(
      server.sshPort,
      'counted',
      'quota-pass',
      'put tiny.txt 1.txt\nput tiny.txt 2.txt\n-put tiny.txt 3.txt\nput 600k.bin 2.txt',
      local,
    );
    expect(code).toBe(0);
    expect(output).toMatch(/3\.txt/);
    await expect(stat(join(homeOf('counted'), '3.txt'))).rejects.toThrow(/ENOENT/);
    expect(await usedOf('counted')).toEqual([600_004, 2]);
  });
});
