import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch, sftpOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

// What a user of OpenSSH's sftp meets at the edges of their account: the
// walls of the home directory, the session limit and the bandwidth limit.
describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('session policy with OpenSSH', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let local: string;
  let outside: string;
  const homeOf = (user: string) => join(tmp.path, 'homes', user);
  const PASSWORD = 'policy-pass';

  beforeAll(async () => {
    tmp = await makeTempDir();
    local = join(tmp.path, 'local');
    outside = join(tmp.path, 'outside');
    await mkdir(local);
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await writeFile(join(local, 'evil.txt'), 'evil');
    const started = await startLoopbackServer(tmp.path);
    server = started.server;
    const base = { password: PASSWORD, permissions: { '/': ['*'] } };
    await addUser(started.api, { ...base, username: 'walled', home_dir: homeOf('walled') });
    await addUser(started.api, {
      ...base,
      username: 'single',
      home_dir: homeOf('single'),
      max_sessions: 1,
    });
    await addUser(started.api, {
      ...base,
      username: 'slow',
      home_dir: homeOf('slow'),
      download_bandwidth: 500,
    });
    await mkdir(homeOf('walled'), { recursive: true });
    await symlink(outside, join(homeOf('walled'), 'door'));
    await mkdir(homeOf('slow'), { recursive: true });
    await writeFile(join(homeOf('slow'), '2mb.bin'), Buffer.alloc(2_000_000, 1));
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  const run = (user: string, batch: string) =>
    sftpBatch(server.sshPort, user, PASSWORD, batch, local);

  it('keeps every escape attempt inside the home directory, then serves a normal login', async () => {
    const { output } = await run(
      'walled',
      [
        '-get ../../../../../../etc/passwd stolen1',
        '-get door/secret.txt stolen2',
        '-ls door',
        '-put evil.txt door/evil.txt',
        '-ln -s ../../outside/secret.txt rel',
        '-rename door/secret.txt taken.txt',
        'ln -s /outside/secret.txt abs',
        'ls -la /..',
      ].join('\n'),
    );
    // alone in its batch: its error is the only one (errors and commands interleave)
    const absolute = await run('walled', 'get abs stolen3');
    for (const name of ['stolen1', 'stolen2', 'stolen3']) {
      await expect(stat(join(local, name))).rejects.toThrow(/ENOENT/);
    }
    await expect(stat(join(outside, 'evil.txt'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    await expect(stat(join(homeOf('walled'), 'rel'))).rejects.toThrow(/ENOENT/);
    // door's target is taken inside the home directory, where it does not exist
    expect(output).toMatch(/dest open "\/door\/evil\.txt": No such file/);
    expect(output).toMatch(/remote symlink .*Permission denied/);
    // an absolute link target is taken inside the home directory, where it does not exist
    expect(absolute.code).not.toBe(0);
    expect(absolute.output).toMatch(/stat remote: No such file/);
    const after = await run('walled', 'ls');
    expect(after.code).toBe(0);
    expect(after.output).toContain('door');
  });

  it('refuses a link that the links already there would lead out of the home', async () => {
    const { output } = await run(
      'walled',
      [
        'mkdir a',
        'mkdir a/b',
        'mkdir a/b/c',
        'ln -s / a/b/c/sub',
        // by its names a/b/outside; through sub, above the home
        '-ln -s a/b/c/sub/../../outside esc',
        'ln -s a/b/c/sub/a fine',
      ].join('\n'),
    );
    expect(output).toMatch(/remote symlink .*"\/esc": Permission denied/);
    await expect(stat(join(homeOf('walled'), 'esc'))).rejects.toThrow(/ENOENT/);
    // the link to / lands on the home, for the server and for any program
    expect((await stat(join(homeOf('walled'), 'fine'))).isDirectory()).toBe(true);
  });

  it('never sets a set-id or sticky bit', async () => {
    await writeFile(join(local, 'tool'), '#!/bin/sh\nid\n', { mode: 0o4755 });
    const { code } = await run(
      'walled',
      [
        'put -p tool tool',
        'put tool plain',
        'chmod 4755 plain',
        'mkdir shared',
        'chmod 3777 shared',
      ].join('\n'),
    );
    expect(code).toBe(0);
    const home = homeOf('walled');
    expect((await stat(join(home, 'tool'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(home, 'plain'))).mode & 0o7777).toBe(0o755);
    expect((await stat(join(home, 'shared'))).mode & 0o7777).toBe(0o777);
  });

  it('refuses a second session past max_sessions, and serves once the first ends', async () => {
    const first = spawn(
      'sshpass',
      ['-e', 'sftp', ...sftpOptions(server.sshPort), 'single@127.0.0.1'],
      { env: { ...process.env, SSHPASS: PASSWORD }, stdio: ['pipe', 'pipe', 'ignore'] },
    );
    try {
      // logged in once the prompt shows
      await new Promise<void>((resolve) => {
        first.stdout.on('data', (d: Buffer) => d.toString().includes('sftp>') && resolve());
        first.stdin.write('pwd\n');
      });
      const second = await run('single', 'ls');
      expect(second.code).not.toBe(0);
      expect(second.output).toContain('Permission denied');
    } finally {
      first.stdin.end('bye\n');
      await new Promise((resolve) => first.once('close', resolve));
    }
    const again = await run('single', 'ls');
    expect(again.code).toBe(0);
  });

  it('holds a download to download_bandwidth', async () => {
    const started = performance.now();
    const { code } = await run('slow', 'get 2mb.bin');
    const seconds = (performance.now() - started) / 1000;
    expect(code).toBe(0);
    expect((await stat(join(local, '2mb.bin'))).size).toBe(2_000_000);
    // 2,000,000 bytes at 500,000 B/s: 4 s, plus the login
    expect(seconds).toBeGreaterThan(4 * 0.9);
    expect(seconds).toBeLessThan(4 * 1.1 + 1);
  });
});
