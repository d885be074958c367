import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryPermissions } from '../src/directory-permissions.js';
import { runChecksum } from '../src/ssh-commands/checksum.js';
import { sshCommandPath } from '../src/ssh-commands/command-line.js';
import { CommandRefusedError, prepareSystemCommand } from '../src/ssh-commands/system-command.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;

beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-ssh-commands-');
  home = join(tmp.path, 'home');
  await mkdir(join(home, 'dir'), { recursive: true });
  await writeFile(join(home, 'dir', 'file.txt'), 'kept\n');
  fs = await OsFs.create(home);
});

afterEach(() => tmp.remove());

describe('the path an SSH command is logged with', () => {
  it("is the last argument, made absolute and cleaned, by the reference's rule", () => {
    expect(sshCommandPath('pwd')).toBe('');
    expect(sshCommandPath('cd /')).toBe('/');
    expect(sshCommandPath('md5sum a.txt b.txt')).toBe('/b.txt');
    expect(sshCommandPath('rsync --server -vlogDtpre.iLsfxC . dst//sub/')).toBe('/dst/sub/');
    expect(sshCommandPath(`git-upload-pack '"/../repo.git"'`)).toBe('/repo.git');
    expect(sshCommandPath('scp -t -- /x/./y')).toBe('/x/y');
    expect(sshCommandPath("md5sum 'unterminated")).toBe('');
  });
});

describe('rsync options', () => {
  it('refuses --remove-source-files to a user who may only download', async () => {
    const reader = new DirectoryPermissions({ '/': ['list', 'download'] });
    const args = ['--server', '--sender', '--remove-source-files', '-logDtpr', '.', '/dir'];
    await expect(prepareSystemCommand('rsync', args, fs, reader, ['/'])).rejects.toThrow(
      CommandRefusedError,
    );
    const all = new DirectoryPermissions({ '/': ['*'] });
    const allowed = await prepareSystemCommand('rsync', args, fs, all, ['/']);
    expect(allowed.writes).toBe(true);
  });

  it('keeps the receiver from making devices, FIFOs and sockets', async () => {
    const all = new DirectoryPermissions({ '/': ['*'] });
    const up = await prepareSystemCommand(
      'rsync',
      ['--server', '-logDtpre.iLsfxCIvu', '.', '/dir/'],
      fs,
      all,
      ['/'],
    );
    // after the client's -D, so that it wins
    expect(up.args.indexOf('--no-D')).toBeGreaterThan(up.args.indexOf('-logDtpre.iLsfxCIvu'));
    expect(up.args.indexOf('--no-D')).toBeLessThan(up.args.indexOf('.'));
  });

  it('keeps the receiver from super-user work, and refuses --super', async () => {
    const all = new DirectoryPermissions({ '/': ['*'] });
    const up = await prepareSystemCommand(
      'rsync',
      ['--server', '-logDtpre.iLsfxCIvu', '.', '/d/'],
      fs,
      all,
      ['/'],
    );
    expect(up.args).toContain('--no-super');
    await expect(
      prepareSystemCommand('rsync', ['--server', '--super', '-r', '.', '/d/'], fs, all, ['/']),
    ).rejects.toThrow(/option --super is not allowed/);
  });

  it('keeps the receiver from making set-id programs and sticky directories', async () => {
    const all = new DirectoryPermissions({ '/': ['*'] });
    const up = await prepareSystemCommand(
      'rsync',
      ['--server', '-pre.iLsfxCIvu', '.', '/d/'],
      fs,
      all,
      ['/'],
    );
    expect(up.args.indexOf('--chmod=ugo-st')).toBeGreaterThan(up.args.indexOf('-pre.iLsfxCIvu'));
    expect(up.args.indexOf('--chmod=ugo-st')).toBeLessThan(up.args.indexOf('.'));
    const down = await prepareSystemCommand(
      'rsync',
      ['--server', '--sender', '-pre.iLsfxCIvu', '.', '/dir'],
      fs,
      all,
      ['/'],
    );
    expect(down.args).not.toContain('--chmod=ugo-st');
  });
});

describe('checksums', () => {
  it.runIf(hasCommand('mkfifo'))(
    'refuses a FIFO instead of blocking on its opening',
    async () => {
      execFileSync('mkfifo', [join(home, 'dir', 'pipe')]);
      const out = new PassThrough();
      const errors = new PassThrough();
      const status = await runChecksum(
        'md5sum',
        ['/dir/pipe', '/dir/file.txt'],
        { input: new PassThrough(), output: out, errors },
        fs,
        new DirectoryPermissions({ '/': ['*'] }),
      );
      expect(status).toBe(1);
      expect(String(errors.read())).toMatch(/md5sum: \/dir\/pipe: Permission denied/);
      expect(String(out.read())).toMatch(/^[0-9a-f]{32} {2}\/dir\/file\.txt\n$/);
    },
    5000,
  );
});

describe('what git and rsync are given to see', () => {
  const split = { '/': ['list'], '/up': ['*'] } as const;
  const perms = new DirectoryPermissions(split);

  beforeEach(async () => {
    await mkdir(join(home, 'up', 'in'), { recursive: true });
    await writeFile(join(home, 'secret.txt'), 'list only');
  });

  it('checks rsync where a path leads, not where the link lies', async () => {
    await symlink('/', join(home, 'up', 'root'));
    const args = ['--server', '-logDtpre.iLsfxCIvu', '.', '/up/root/'];
    await expect(
      prepareSystemCommand('rsync', args, fs, perms, Object.keys(split)),
    ).rejects.toThrow(/permission denied on \//);
  });

  it('shows rsync the directories it may not use empty, but for those it works in', async () => {
    await mkdir(join(home, 'ro', 'up'), { recursive: true });
    const nested = { '/': ['*'], '/ro': ['list'], '/ro/up': ['*'], '/gone': ['list'] } as const;
    const args = ['--server', '-logDtpre.iLsfxCIvu', '.', '/ro/up/'];
    const up = await prepareSystemCommand(
      'rsync',
      args,
      fs,
      new DirectoryPermissions(nested),
      Object.keys(nested),
    );
    expect(up.bound).toEqual({ path: '/', host: fs.root });
    // /gone does not exist: nothing to hide, and no mount point made in the home
    expect(up.hidden).toEqual([join(fs.root, 'ro')]);
    expect(up.shown).toEqual([{ path: '/ro/up', host: join(fs.root, 'ro/up') }]);
    expect(up.args.at(-1)).toBe(`${join(fs.root, 'ro/up')}/`);
  });

  it('binds only the repository for git', async () => {
    execFileSync('git', ['init', '-q', '--bare', join(home, 'up', 'r.git')]);
    const clone = await prepareSystemCommand(
      'git-upload-pack',
      ['/up/r'],
      fs,
      perms,
      Object.keys(split),
    );
    expect(clone.bound).toEqual({ path: '/up/r.git', host: join(fs.root, 'up/r.git') });
  });
});
