import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitOneFile } from './git-work.js';
import { runWithPassword, sshPasswordOptions } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** A mapped account with no entry in /etc/passwd: files and processes show its number. */
const MAPPED_ID = 4242;
const asRoot = process.getuid?.() === 0;

describe.runIf(
  hasCommand('ssh') &&
    hasCommand('sshpass') &&
    hasCommand('git') &&
    hasCommand('rsync') &&
    hasCommand('bwrap'),
)('git and rsync in their sandbox', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let ssh: string[];
  let homes: string;
  let mallory: string;
  let bob: string;
  let outside: string;

  const git = (user: string, args: string[], cwd: string) =>
    runWithPassword(`pw-${user}`, 'git', args, {
      cwd,
      env: { GIT_SSH_COMMAND: `ssh ${ssh.join(' ')}` },
    });
  const url = (user: string, path: string) => `ssh://${user}@127.0.0.1:${server.sshPort}/${path}`;
  const rsync = (args: string[], cwd: string, user = 'mallory') =>
    runWithPassword(`pw-${user}`, 'rsync', ['-e', `ssh ${ssh.join(' ')}`, ...args], { cwd });

  beforeAll(async () => {
    tmp = await makeTempDir();
    // a user with a uid of their own runs bwrap as that account: it must reach the homes
    await chmod(tmp.path, 0o755);
    homes = join(tmp.path, 'homes');
    mallory = join(homes, 'mallory');
    bob = join(homes, 'bob');
    outside = join(tmp.path, 'outside');
    await mkdir(mallory, { recursive: true });
    await mkdir(bob, { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'keep.txt'), 'outside the home\n');
    // bob's private repository, next to mallory's home
    commitOneFile(join(tmp.path, 'bob-work'), 'bob-secret.txt', 'bob only\n');
    execFileSync('git', [
      'clone',
      '-q',
      '--bare',
      join(tmp.path, 'bob-work'),
      join(bob, 'private.git'),
    ]);
    let api: string;
    ({ server, api } = await startLoopbackServer(tmp.path, {
      enabled_ssh_commands: ['git-receive-pack', 'git-upload-pack', 'git-upload-archive', 'rsync'],
    }));
    for (const name of ['mallory', 'bob']) {
      await addUser(api, {
        username: name,
        password: `pw-${name}`,
        home_dir: join(homes, name),
        permissions: { '/': ['*'] },
      });
    }
    if (asRoot) {
      await mkdir(join(homes, 'mapped'));
      await chown(join(homes, 'mapped'), MAPPED_ID, MAPPED_ID);
      await addUser(api, {
        username: 'mapped',
        password: 'pw-mapped',
        home_dir: join(homes, 'mapped'),
        permissions: { '/': ['*'] },
        uid: MAPPED_ID,
        gid: MAPPED_ID,
      });
    }
    ssh = sshPasswordOptions(server.sshPort);
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  let probes = 0;
  /**
   * A bare repository in `home` whose config names a program that git runs
   * for `git archive --format=x`: a script that reports, on the archive's
   * output, what it can see and do. It is written straight to the disk, as
   * an upload would write it: the server does not look into what users upload.
   */
  async function plantArchiveProbe(home: string): Promise<string> {
    const work = join(tmp.path, `work-${++probes}`);
    commitOneFile(work, 'README', 'archived\n');
    const repo = join(home, 'probe.git');
    execFileSync('git', ['clone', '-q', '--bare', work, repo]);
    await appendFile(
      join(repo, 'config'),
      '[tar "x"]\n\tcommand = "sh ./probe.sh"\n\tremote = true\n',
    );
    const readable = [
      '/etc/shadow',
      '/etc/gitconfig',
      join(outside, 'keep.txt'),
      join(bob, 'private.git', 'HEAD'),
      join(tmp.path, 'sftpgo.json'),
      // the rest of the user's own home: git is given the repository alone
      join(home, 'beside-the-repository.txt'),
    ];
    await writeFile(join(home, 'beside-the-repository.txt'), 'not for git\n');
    await writeFile(
      join(repo, 'probe.sh'),
      [
        'cat >/dev/null',
        'echo "id=$(id -u):$(id -g)"',
        "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status",
        'echo "root: $(ls / | tr "\\n" " ")"',
        'echo "etc: $(ls /etc | tr "\\n" " ")"',
        ...readable.map(
          (f) => `if cat '${f}' >/dev/null 2>&1; then echo 'read ${f}'; else echo 'no ${f}'; fi`,
        ),
        // what the reported finding did: write where the server's account may write
        `id > '${join(tmp.path, 'p')}' 2>/dev/null`,
        `id > '${join(outside, 'written')}' 2>/dev/null`,
        `id > '${join(bob, 'written')}' 2>/dev/null`,
        'id > "$HOME/written-inside"',
        'exit 0',
      ].join('\n'),
    );
    return repo;
  }

  it("runs a program that a repository's config names only inside the sandbox", async () => {
    await plantArchiveProbe(mallory);
    const archive = await git(
      'mallory',
      ['archive', `--remote=${url('mallory', 'probe.git')}`, '--format=x', 'main'],
      tmp.path,
    );
    expect(archive.code, archive.stderr).toBe(0);
    const report = archive.stdout.toString();
    // it ran: as the server's account, with nothing of its privileges
    expect(report).toContain(`id=${process.getuid?.()}:${process.getgid?.()}`);
    expect(report).toContain('CapEff:\t0000000000000000');
    expect(report).toContain('CapPrm:\t0000000000000000');
    expect(report).toContain('CapBnd:\t0000000000000000');
    expect(report).toContain('NoNewPrivs:\t1');
    // it saw the system, five files of /etc, and no other user data
    const root = /^root: (.*)$/m.exec(report)?.[1]?.trim().split(' ') ?? [];
    for (const entry of root) {
      expect([
        'bin',
        'dev',
        'etc',
        'lib',
        'lib32',
        'lib64',
        'libx32',
        'proc',
        'sbin',
        'tmp',
        'usr',
      ]).toContain(entry);
    }
    const etc = ['group', 'ld.so.cache', 'localtime', 'nsswitch.conf', 'passwd'];
    expect(/^etc: (.*)$/m.exec(report)?.[1]?.trim().split(' ').sort()).toEqual(
      etc.filter((f) => existsSync(`/etc/${f}`)),
    );
    expect(report).not.toMatch(/^read /m);
    expect(report.match(/^no /gm)).toHaveLength(6);
    // and wrote in the repository, and nowhere else
    expect(await exists(join(mallory, 'probe.git', 'written-inside'))).toBe(true);
    expect(await exists(join(mallory, 'written-inside'))).toBe(false);
    for (const path of [join(tmp.path, 'p'), join(outside, 'written'), join(bob, 'written')]) {
      expect(await exists(path), path).toBe(false);
    }
  });

  it.runIf(asRoot)(
    "runs the program as the user's uid and gid when the user has them",
    async () => {
      const home = join(homes, 'mapped');
      const repo = await plantArchiveProbe(home);
      execFileSync('chown', ['-R', `${MAPPED_ID}:${MAPPED_ID}`, repo]);
      const archive = await git(
        'mapped',
        ['archive', `--remote=${url('mapped', 'probe.git')}`, '--format=x', 'main'],
        tmp.path,
      );
      expect(archive.code, archive.stderr).toBe(0);
      const report = archive.stdout.toString();
      expect(report).toContain(`id=${MAPPED_ID}:${MAPPED_ID}`);
      expect(report).toContain('CapEff:\t0000000000000000');
      expect(report).not.toMatch(/^read /m);
      const written = await stat(join(home, 'probe.git', 'written-inside'));
      expect([written.uid, written.gid]).toEqual([MAPPED_ID, MAPPED_ID]);
      // what rsync writes belongs to that account too
      await mkdir(join(tmp.path, 'mapped-up'));
      await writeFile(join(tmp.path, 'mapped-up', 'a.txt'), 'a\n');
      const up = await rsync(['-r', 'mapped-up/', 'mapped@127.0.0.1:/up/'], tmp.path, 'mapped');
      expect(up.code, up.stderr).toBe(0);
      const file = await stat(join(home, 'up', 'a.txt'));
      expect([file.uid, file.gid]).toEqual([MAPPED_ID, MAPPED_ID]);
    },
  );

  it('finds the repository git would use without .git, and refuses its alternates', async () => {
    const work = join(tmp.path, 'push-work');
    commitOneFile(work, 'pushed.txt', 'pushed\n');
    const repo = join(mallory, 'r4.git');
    execFileSync('git', ['init', '-q', '--bare', repo]);
    await writeFile(
      join(repo, 'objects', 'info', 'alternates'),
      `${join(bob, 'private.git', 'objects')}\n`,
    );
    await appendFile(
      join(repo, 'config'),
      `[core]\n\talternateRefsCommand = "id > '${join(outside, 'q')}'; true"\n`,
    );
    const push = await git('mallory', ['push', '-q', url('mallory', 'r4'), 'main'], work);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(
      /git-receive-pack: repositories with objects\/info\/alternates are not allowed/,
    );
    expect(await exists(join(outside, 'q'))).toBe(false);
    // without alternates, the same path reaches the repository
    await rm(join(repo, 'objects', 'info', 'alternates'));
    const ok = await git('mallory', ['push', '-q', url('mallory', 'r4'), 'main'], work);
    expect(ok.code, ok.stderr).toBe(0);
    const clone = await git(
      'mallory',
      ['clone', '-q', '-b', 'main', url('mallory', 'r4'), 'r4-copy'],
      tmp.path,
    );
    expect(clone.code, clone.stderr).toBe(0);
    expect(await readFile(join(tmp.path, 'r4-copy', 'pushed.txt'), 'utf8')).toBe('pushed\n');
  });

  it("refuses a commondir or a gitdir file that names another user's repository", async () => {
    const common = join(mallory, 'cd2.git');
    await mkdir(common);
    await writeFile(join(common, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(common, 'commondir'), `${join(bob, 'private.git')}\n`);
    await writeFile(join(mallory, 'gd.git'), `gitdir: ${join(bob, 'private.git')}\n`);
    await mkdir(join(mallory, 'wt'));
    await writeFile(join(mallory, 'wt', '.git'), `gitdir: ${join(bob, 'private.git')}\n`);
    const cases: [string, RegExp][] = [
      ['cd2', /git-upload-pack: repositories with commondir are not allowed/],
      ['cd2.git', /git-upload-pack: repositories with commondir are not allowed/],
      ['gd', /git-upload-pack: the repository must be a directory/],
      ['wt', /git-upload-pack: a \.git file pointing elsewhere is not allowed/],
    ];
    for (const [path, error] of cases) {
      const target = `stolen-${path}`;
      const clone = await git('mallory', ['clone', '-q', url('mallory', path), target], tmp.path);
      expect(clone.code, path).not.toBe(0);
      expect(clone.stderr, path).toMatch(error);
      expect(await exists(join(tmp.path, target, 'bob-secret.txt')), path).toBe(false);
    }
  });

  it('lets rsync neither write, delete nor read through a link that points out of the home', async () => {
    await symlink(outside, join(mallory, 'esc'));
    const local = join(tmp.path, 'rsync-local');
    await mkdir(join(local, 'esc'), { recursive: true });
    await writeFile(join(local, 'esc', 'new.txt'), 'planted\n');
    // --no-implied-dirs: rsync uses the receiver's existing path elements, links included
    await rsync(['-R', '--no-implied-dirs', 'esc/new.txt', 'mallory@127.0.0.1:/'], local);
    expect(await exists(join(outside, 'new.txt'))).toBe(false);
    const empty = join(tmp.path, 'rsync-empty');
    await mkdir(join(empty, 'esc'), { recursive: true });
    await rsync(['-rR', '--no-implied-dirs', '--delete', 'esc/', 'mallory@127.0.0.1:/'], empty);
    expect(await readFile(join(outside, 'keep.txt'), 'utf8')).toBe('outside the home\n');
    const down = await rsync(['mallory@127.0.0.1:/esc/keep.txt', 'read.txt'], tmp.path);
    expect(down.code).not.toBe(0);
    expect(await exists(join(tmp.path, 'read.txt'))).toBe(false);
  });

  it('makes no set-id file and no set-group-id or sticky directory with rsync -p', async () => {
    const src = join(tmp.path, 'modes');
    await mkdir(join(src, 'shared'), { recursive: true });
    await mkdir(join(src, 'sticky'));
    await writeFile(join(src, 'suid'), '#!/bin/sh\nid\n');
    await writeFile(join(src, 'sgid'), '#!/bin/sh\nid\n');
    await chmod(join(src, 'suid'), 0o4755);
    await chmod(join(src, 'sgid'), 0o2755);
    await chmod(join(src, 'shared'), 0o2777);
    await chmod(join(src, 'sticky'), 0o1777);
    for (const flags of ['-rp', '-a']) {
      const up = await rsync([flags, 'modes/', `mallory@127.0.0.1:/modes${flags}/`], tmp.path);
      expect(up.code, up.stderr).toBe(0);
      const modes = Object.fromEntries(
        await Promise.all(
          ['suid', 'sgid', 'shared', 'sticky'].map(async (name) => [
            name,
            (await stat(join(mallory, `modes${flags}`, name))).mode & 0o7777,
          ]),
        ),
      );
      expect(modes, flags).toEqual({ suid: 0o755, sgid: 0o755, shared: 0o777, sticky: 0o777 });
    }
  });
});
