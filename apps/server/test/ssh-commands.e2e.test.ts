import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, hasCommand, makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitOneFile } from './git-work.js';
import { runWithPassword, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const CHECKSUMS = ['md5sum', 'sha1sum', 'sha256sum', 'sha384sum', 'sha512sum'];

describe.runIf(hasCommand('ssh') && hasCommand('sshpass'))('SSH commands', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let home: string;
  let ssh: string[];
  const runs = async (): Promise<string[]> =>
    (await readFile(join(tmp.path, 'actions.txt'), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean);

  const exec = (command: string, input?: string | Buffer, user = 'carol') =>
    runWithPassword(`pw-${user}`, 'ssh', [...ssh, `${user}@127.0.0.1`, command], { input });

  beforeAll(async () => {
    tmp = await makeTempDir();
    home = join(tmp.path, 'homes', 'carol');
    const action = join(tmp.path, 'action.sh');
    await writeFile(
      action,
      `#!/bin/sh\necho "$1|$2|$3|$5" >> '${join(tmp.path, 'actions.txt')}'\n`,
    );
    await chmod(action, 0o755);
    let api: string;
    ({ server, api } = await startLoopbackServer(tmp.path, {
      enabled_ssh_commands: [
        ...CHECKSUMS,
        'cd',
        'pwd',
        'scp',
        'rsync',
        'git-receive-pack',
        'git-upload-pack',
      ],
      actions: { execute_on: ['ssh_cmd'], command: action },
    }));
    await addUser(api, {
      username: 'carol',
      password: 'pw-carol',
      home_dir: home,
      permissions: { '/': ['*'], '/ro': ['list', 'download'] },
    });
    await addUser(api, {
      username: 'reader',
      password: 'pw-reader',
      home_dir: join(tmp.path, 'homes', 'reader'),
      permissions: { '/': ['list', 'download'] },
    });
    await addUser(api, {
      username: 'small',
      password: 'pw-small',
      home_dir: join(tmp.path, 'homes', 'small'),
      permissions: { '/': ['*'] },
      quota_size: 50_000,
      quota_files: 2,
    });
    ssh = sshPasswordOptions(server.sshPort);
    await mkdir(join(home, 'ro'), { recursive: true });
    await writeFile(join(home, 'data.bin'), randomBytes(300_000));
    await writeFile(join(home, 'with space.txt'), 'spaced\n');
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('computes each checksum as coreutils does, for files and standard input', async () => {
    for (const command of CHECKSUMS) {
      const expected = execFileSync(command, ['data.bin', 'with space.txt'], {
        cwd: home,
        encoding: 'utf8',
      });
      const result = await exec(`${command} data.bin '/with space.txt'`);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe(
        expected.replace('  with space.txt', '  /with space.txt'),
      );
    }
    const piped = await exec('sha256sum', 'from stdin\n');
    expect(piped.stdout.toString()).toBe(
      execFileSync('sha256sum', { input: 'from stdin\n', encoding: 'utf8' }),
    );
    const missing = await exec('md5sum nothing.txt data.bin');
    expect(missing.code).toBe(1);
    expect(
      await server.waitForLog((l) => String(l.message).includes('"md5sum nothing.txt data.bin"')),
    ).toMatchObject({
      level: 'warn',
      sender: 'ssh',
      message: 'command failed: "md5sum nothing.txt data.bin" user: carol exit status: 1',
    });
    expect(missing.stderr).toContain('md5sum: nothing.txt: No such file or directory');
    expect(missing.stdout.toString()).toMatch(/^[0-9a-f]{32} {2}data\.bin\n$/);
  });

  it('answers cd and pwd, logs the command, and fires ssh_cmd', async () => {
    expect(await exec('cd /anywhere')).toMatchObject({ code: 0 });
    const pwd = await exec('pwd');
    expect(pwd.stdout.toString()).toBe('/\n');
    await exec('sha1sum data.bin');
    const line = await server.waitForLog(
      (l) => l.sender === 'SSHCommand' && l.ssh_command === 'sha1sum data.bin',
    );
    expect(line).toMatchObject({ username: 'carol', file_path: '/data.bin', protocol: 'SSH' });
    await eventually(async () => {
      expect(await runs()).toContain(`ssh_cmd|carol|${join(home, 'data.bin')}|sha1sum`);
    });
  });

  it("logs and fires ssh_cmd with the command's last argument, as the reference does", async () => {
    expect(await exec('cd /')).toMatchObject({ code: 0 });
    expect(await exec("md5sum data.bin '/with space.txt'")).toMatchObject({ code: 0 });
    expect(await exec('sha256sum "ro/../data.bin"')).toMatchObject({ code: 0 });
    for (const [line, path] of [
      ['cd /', '/'],
      ["md5sum data.bin '/with space.txt'", '/with space.txt'],
      ['sha256sum "ro/../data.bin"', '/data.bin'],
    ]) {
      const logged = await server.waitForLog(
        (l) => l.sender === 'SSHCommand' && l.ssh_command === line,
      );
      expect(logged).toMatchObject({ file_path: path, protocol: 'SSH' });
    }
    await eventually(async () => {
      expect(await runs()).toEqual(
        expect.arrayContaining([
          `ssh_cmd|carol|${home}|cd`,
          `ssh_cmd|carol|${join(home, 'with space.txt')}|md5sum`,
          `ssh_cmd|carol|${join(home, 'data.bin')}|sha256sum`,
        ]),
      );
    });
  });

  it('fails the exec request of a command not enabled, or unknown: ssh exits with 255', async () => {
    for (const command of [
      'git-upload-archive /repo.git',
      'ls -la',
      'sh -c id',
      'cat /etc/passwd',
    ]) {
      const result = await exec(command);
      expect(result.code).toBe(255);
      expect(result.stderr).toMatch(/exec request failed on channel 0/);
    }
  });

  it('refuses hostile options and paths of rsync and git', async () => {
    const cases: [string, RegExp][] = [
      ['rsync --server -e ssh . /x', /option -e is not allowed/],
      ['rsync --server --rsync-path=/bin/sh . /x', /option --rsync-path is not allowed/],
      ['rsync --server -vlogDtprLe.iLsfxCIvu . /x', /option -L is not allowed/],
      ['rsync -av /etc/ /x', /only the server side/],
      ['git-upload-pack --upload-pack=/bin/sh /repo.git', /option --upload-pack is not allowed/],
      ['git-receive-pack /a.git /b.git', /exactly one repository path/],
    ];
    for (const [command, error] of cases) {
      const result = await exec(command);
      expect(result.code, command).not.toBe(0);
      expect(result.stderr, command).toMatch(error);
    }
    const reader = await exec('git-receive-pack /repo.git', undefined, 'reader');
    expect(reader.stderr).toMatch(/permission denied/);
  });

  it.runIf(hasCommand('git'))('pushes and clones a git repository', async () => {
    execFileSync('git', ['init', '-q', '--bare', join(home, 'repo.git')]);
    const work = join(tmp.path, 'work');
    await mkdir(work);
    const git = (args: string[], cwd: string) =>
      runWithPassword('pw-carol', 'git', args, {
        cwd,
        env: { GIT_SSH_COMMAND: `ssh ${ssh.join(' ')}` },
      });
    commitOneFile(work, 'README', 'pushed over SSH\n');
    const url = `ssh://carol@127.0.0.1:${server.sshPort}/repo.git`;
    const push = await git(['push', '-q', url, 'main'], work);
    expect(push.code, push.stderr).toBe(0);
    const clone = await git(['clone', '-q', '-b', 'main', url, 'copy'], tmp.path);
    expect(clone.code, clone.stderr).toBe(0);
    expect(await readFile(join(tmp.path, 'copy', 'README'), 'utf8')).toBe('pushed over SSH\n');
  });

  it.runIf(hasCommand('rsync'))('uploads and downloads a tree with rsync -av', async () => {
    const tree = join(tmp.path, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'one.txt'), 'one\n');
    await writeFile(join(tree, 'sub', 'two.bin'), randomBytes(100_000));
    const rsync = (args: string[]) =>
      runWithPassword('pw-carol', 'rsync', ['-av', '-e', `ssh ${ssh.join(' ')}`, ...args], {
        cwd: tmp.path,
      });
    const up = await rsync(['tree/', 'carol@127.0.0.1:synced/']);
    expect(up.code, up.stderr).toBe(0);
    expect(await readFile(join(home, 'synced', 'sub', 'two.bin'))).toEqual(
      await readFile(join(tree, 'sub', 'two.bin')),
    );
    const down = await rsync(['carol@127.0.0.1:synced/', 'back/']);
    expect(down.code, down.stderr).toBe(0);
    expect((await readdir(join(tmp.path, 'back'))).sort()).toEqual(['one.txt', 'sub']);
    expect(await readFile(join(tmp.path, 'back', 'sub', 'two.bin'))).toEqual(
      await readFile(join(tree, 'sub', 'two.bin')),
    );
  });

  it.runIf(hasCommand('rsync') && hasCommand('mkfifo'))(
    'lets rsync neither delete for a reader nor make FIFOs in the home',
    async () => {
      const readerHome = join(tmp.path, 'homes', 'reader');
      await mkdir(readerHome, { recursive: true });
      await writeFile(join(readerHome, 'keep.txt'), 'keep\n');
      const asReader = await runWithPassword(
        'pw-reader',
        'rsync',
        [
          '--remove-source-files',
          '-e',
          `ssh ${ssh.join(' ')}`,
          'reader@127.0.0.1:/keep.txt',
          'kept.txt',
        ],
        { cwd: tmp.path },
      );
      expect(asReader.code).not.toBe(0);
      expect(asReader.stderr).toMatch(/permission denied/);
      expect(await readFile(join(readerHome, 'keep.txt'), 'utf8')).toBe('keep\n');

      const specials = join(tmp.path, 'specials');
      await mkdir(specials, { recursive: true });
      await writeFile(join(specials, 'plain.txt'), 'plain\n');
      execFileSync('mkfifo', [join(specials, 'pipe')]);
      await runWithPassword(
        'pw-carol',
        'rsync',
        ['-a', '-e', `ssh ${ssh.join(' ')}`, 'specials/', 'carol@127.0.0.1:specials/'],
        { cwd: tmp.path },
      );
      expect(await readFile(join(home, 'specials', 'plain.txt'), 'utf8')).toBe('plain\n');
      await expect(stat(join(home, 'specials', 'pipe'))).rejects.toThrow();
    },
  );

  it.runIf(hasCommand('git'))('refuses repositories that lead git out of the home', async () => {
    const outside = join(tmp.path, 'outside.git');
    execFileSync('git', ['init', '-q', '--bare', outside]);
    // a gitfile, and a bare repository borrowing objects from outside
    await writeFile(join(home, 'steal'), `gitdir: ${outside}\n`);
    await mkdir(join(home, 'worktree'));
    await writeFile(join(home, 'worktree', '.git'), `gitdir: ${outside}\n`);
    execFileSync('git', ['init', '-q', '--bare', join(home, 'borrow.git')]);
    await writeFile(
      join(home, 'borrow.git', 'objects', 'info', 'alternates'),
      `${outside}/objects\n`,
    );
    const cases: [string, RegExp][] = [
      ['git-upload-pack /steal', /the repository must be a directory/],
      ['git-upload-pack /worktree', /a \.git file pointing elsewhere is not allowed/],
      [
        'git-receive-pack /borrow.git',
        /repositories with objects\/info\/alternates are not allowed/,
      ],
    ];
    for (const [command, error] of cases) {
      const result = await exec(command);
      expect(result.code, command).not.toBe(0);
      expect(result.stderr, command).toMatch(error);
    }
  });

  it.runIf(hasCommand('rsync'))(
    'holds rsync to the quota: files at start, bytes while it runs',
    async () => {
      const rsync = (args: string[]) =>
        runWithPassword('pw-small', 'rsync', ['-a', '-e', `ssh ${ssh.join(' ')}`, ...args], {
          cwd: tmp.path,
        });
      await mkdir(join(tmp.path, 'heavy'), { recursive: true });
      // fast and far past the 50 kB left: the receiver rsync forks must be stopped too
      await writeFile(join(tmp.path, 'heavy', 'big.bin'), randomBytes(20_000_000));
      const tooBig = await rsync(['heavy/', 'small@127.0.0.1:heavy/']);
      expect(tooBig.code).not.toBe(0);
      expect(tooBig.stderr).toMatch(/quota exceeded/);
      const left = await readdir(join(tmp.path, 'homes', 'small', 'heavy')).catch(() => []);
      expect(left).toEqual([]);
      await mkdir(join(tmp.path, 'light'), { recursive: true });
      await writeFile(join(tmp.path, 'light', 'a.txt'), 'a');
      await writeFile(join(tmp.path, 'light', 'b.txt'), 'b');
      const light = await rsync(['light/', 'small@127.0.0.1:light/']);
      expect(light.code, light.stderr).toBe(0);
      // the rescan after the command counted the two files: no room for a third
      const full = await rsync(['light/a.txt', 'small@127.0.0.1:third.txt']);
      expect(full.code).not.toBe(0);
      expect(full.stderr).toMatch(/quota exceeded: no more files allowed/);
    },
  );

  describe.runIf(hasCommand('scp'))('scp', () => {
    const scp = (args: string[]) =>
      runWithPassword(
        'pw-carol',
        'scp',
        ['-O', ...ssh.map((o) => (o === '-p' ? '-P' : o)), ...args],
        {
          cwd: tmp.path,
        },
      );

    it('copies files both ways, and trees with -r -p', async () => {
      const local = join(tmp.path, 'scp-local');
      await mkdir(join(local, 'dir', 'inner'), { recursive: true });
      await writeFile(join(local, 'a.txt'), 'alpha\n');
      await writeFile(join(local, 'empty'), '');
      await writeFile(join(local, 'dir', 'inner', 'b.bin'), randomBytes(70_000));
      await chmod(join(local, 'a.txt'), 0o640);
      const up = await scp(['-p', 'scp-local/a.txt', 'scp-local/empty', 'carol@127.0.0.1:/']);
      expect(up.code, up.stderr).toBe(0);
      expect(await readFile(join(home, 'a.txt'), 'utf8')).toBe('alpha\n');
      expect((await stat(join(home, 'a.txt'))).mode & 0o777).toBe(0o640);
      expect((await stat(join(home, 'empty'))).size).toBe(0);
      const tree = await scp(['-r', 'scp-local/dir', 'carol@127.0.0.1:/tree']);
      expect(tree.code, tree.stderr).toBe(0);
      const down = await scp(['-r', 'carol@127.0.0.1:/tree', 'scp-back']);
      expect(down.code, down.stderr).toBe(0);
      expect(await readFile(join(tmp.path, 'scp-back', 'inner', 'b.bin'))).toEqual(
        await readFile(join(local, 'dir', 'inner', 'b.bin')),
      );
      const upload = await server.waitForLog(
        (l) => l.sender === 'Upload' && l.file_path === join(home, 'a.txt') && l.protocol === 'SCP',
      );
      expect(upload.size_bytes).toBe(6);
      // each scp run is also an SSH command, as in the reference, but fires no ssh_cmd
      const commands = server.logs.filter(
        (l) => l.sender === 'SSHCommand' && String(l.ssh_command).startsWith('scp '),
      );
      expect(commands.map((l) => [l.file_path, l.protocol])).toEqual([
        ['/', 'SSH'],
        ['/tree', 'SSH'],
        ['/tree', 'SSH'],
      ]);
      expect(commands.map((l) => l.ssh_command)).toEqual([
        expect.stringMatching(/^scp .*-t .*\/$/),
        expect.stringMatching(/^scp .*-t .*\/tree$/),
        expect.stringMatching(/^scp .*-f .*\/tree$/),
      ]);
      expect((await runs()).filter((r) => r.endsWith('|scp'))).toEqual([]);
    });

    it('stops an upload past the size quota, and leaves no partial file', async () => {
      await writeFile(join(tmp.path, 'big.bin'), randomBytes(80_000));
      const result = await runWithPassword(
        'pw-small',
        'scp',
        ['-O', ...ssh.map((o) => (o === '-p' ? '-P' : o)), 'big.bin', 'small@127.0.0.1:/big.bin'],
        { cwd: tmp.path },
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/quota/i);
      await expect(stat(join(tmp.path, 'homes', 'small', 'big.bin'))).rejects.toThrow();
    });

    it('refuses a write where the user may not upload, and leaves nothing', async () => {
      await writeFile(join(tmp.path, 'denied.txt'), 'no\n');
      const result = await scp(['denied.txt', 'carol@127.0.0.1:/ro/denied.txt']);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ermission denied/);
      await expect(stat(join(home, 'ro', 'denied.txt'))).rejects.toThrow();
    });

    it.runIf(hasCommand('pscp'))("works with PuTTY's pscp -scp", async () => {
      await writeFile(join(tmp.path, 'putty.txt'), 'from putty\n');
      const fingerprints = await Promise.all(
        ['id_rsa', 'id_ed25519'].map(async (file) => {
          const key = ssh2.utils.parseKey(await readFile(join(tmp.path, file)));
          if (key instanceof Error) throw key;
          const digest = createHash('sha256').update(key.getPublicSSH()).digest('base64');
          return `SHA256:${digest.replace(/=+$/, '')}`;
        }),
      );
      const pscp = (...args: string[]) =>
        runWithPassword(
          'unused',
          'pscp',
          [
            ...['-scp', '-batch', '-P', String(server.sshPort), '-pw', 'pw-carol'],
            ...fingerprints.flatMap((f) => ['-hostkey', f]),
            ...args,
          ],
          { cwd: tmp.path },
        );
      const up = await pscp('putty.txt', 'carol@127.0.0.1:/putty.txt');
      expect(up.code, up.stderr).toBe(0);
      const down = await pscp('carol@127.0.0.1:/putty.txt', 'putty-back.txt');
      expect(down.code, down.stderr).toBe(0);
      expect(await readFile(join(tmp.path, 'putty-back.txt'), 'utf8')).toBe('from putty\n');
    });
  });
});
