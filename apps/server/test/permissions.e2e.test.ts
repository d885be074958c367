import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWithPassword, sftpBatch, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

describe.runIf(hasCommand('sftp') && hasCommand('sshpass'))('per-directory permissions', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let home: string;
  let local: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'homes', 'pat');
    local = join(tmp.path, 'local');
    await mkdir(join(home, 'uploads'), { recursive: true });
    await mkdir(local);
    await writeFile(join(home, 'readme.txt'), 'read me');
    await writeFile(join(local, 'up.txt'), 'uploaded');
    const started = await startLoopbackServer(tmp.path, { enabled_ssh_commands: ['scp'] });
    server = started.server;
    await addUser(started.api, {
      username: 'pat',
      password: 'pat-password',
      home_dir: home,
      permissions: { '/': ['list', 'download'], '/uploads': ['list', 'upload'] },
    });
    await mkdir(join(tmp.path, 'homes', 'mallory', 'up'), { recursive: true });
    await writeFile(join(tmp.path, 'homes', 'mallory', 'secret.txt'), 'list only', { mode: 0o640 });
    await addUser(started.api, {
      username: 'mallory',
      password: 'mallory-password',
      home_dir: join(tmp.path, 'homes', 'mallory'),
      permissions: { '/': ['list'], '/up': ['*'] },
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('allows what is granted and refuses the rest, directory by directory', async () => {
    const batch = [
      'get readme.txt back.txt',
      'put up.txt uploads/up.txt',
      '-put up.txt denied.txt',
      '-put up.txt uploads/up.txt',
      '-rm readme.txt',
      '-mkdir newdir',
      '-rename readme.txt moved.txt',
      '-chmod 600 readme.txt',
      '-chown 0 readme.txt',
      '-chgrp 0 readme.txt',
      '-ln -s readme.txt link',
      'ls uploads',
    ].join('\n');
    const { code, output } = await sftpBatch(server.sshPort, 'pat', 'pat-password', batch, local);
    expect(code).toBe(0);
    expect(await readFile(join(local, 'back.txt'), 'utf8')).toBe('read me');
    expect(await readFile(join(home, 'uploads/up.txt'), 'utf8')).toBe('uploaded');
    await expect(stat(join(home, 'denied.txt'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(home, 'newdir'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(home, 'readme.txt'), 'utf8')).toBe('read me');
    expect((await stat(join(home, 'readme.txt'))).mode & 0o777).not.toBe(0o600);
    const denials = output.match(/Permission denied/g) ?? [];
    expect(denials.length).toBeGreaterThanOrEqual(9);
    await expect(stat(join(home, 'link'))).rejects.toThrow(/ENOENT/);
    // stdout and stderr share the output: the denied link's message may come after the echo of ls
    expect(output).toMatch(/sftp> ls uploads\n(?:.*\n)*?uploads\/up\.txt/);
  });

  it('checks the permissions of where a link leads, not of where it lies', async () => {
    const mallory = join(tmp.path, 'homes', 'mallory');
    // a link made deep in /up leads inside /up; moved up a level, the same text leads to /secret.txt
    const batch = [
      'mkdir up/x',
      'ln -s ../secret.txt up/x/l',
      'rename up/x/l up/l',
      '-get up/l stolen.txt',
      '-put up.txt up/l',
      '-chmod 666 up/l',
      '-ln -s /secret.txt up/direct',
    ].join('\n');
    const { output } = await sftpBatch(server.sshPort, 'mallory', 'mallory-password', batch, local);
    expect(await readFile(join(mallory, 'secret.txt'), 'utf8')).toBe('list only');
    expect((await stat(join(mallory, 'secret.txt'))).mode & 0o777).toBe(0o640);
    await expect(stat(join(local, 'stolen.txt'))).rejects.toThrow(/ENOENT/);
    expect(output.match(/Permission denied/g)?.length).toBeGreaterThanOrEqual(4);
    await expect(stat(join(mallory, 'up/direct'))).rejects.toThrow(/ENOENT/);
    const scp = await runWithPassword(
      'mallory-password',
      'scp',
      [
        '-O',
        ...sshPasswordOptions(server.sshPort).map((o) => (o === '-p' ? '-P' : o)),
        'mallory@127.0.0.1:/up/l',
        'scp-stolen.txt',
      ],
      { cwd: local },
    );
    expect(scp.code).not.toBe(0);
    await expect(stat(join(local, 'scp-stolen.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('goes on serving after the refusals', async () => {
    const { code, output } = await sftpBatch(server.sshPort, 'pat', 'pat-password', 'ls', local);
    expect(code).toBe(0);
    expect(output).toContain('readme.txt');
  });
});
