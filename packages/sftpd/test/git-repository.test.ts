import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { OsFs } from '@sftpgo/vfs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRepository } from '../src/ssh-commands/git-repository.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let home: string;
let fs: OsFs;
const bare = (path: string) => execFileSync('git', ['init', '-q', '--bare', join(home, path)]);
const resolve = (name: string) => resolveRepository(fs, name, 'git-upload-pack');

beforeEach(async () => {
  tmp = await makeTempDir('sftpgo-git-repository-');
  home = join(tmp.path, 'home');
  await mkdir(home);
  fs = await OsFs.create(home);
});

afterEach(() => tmp.remove());

describe.runIf(hasCommand('git'))('repositories found as git finds them', () => {
  it('tries r/.git, r, r.git/.git and r.git, in that order', async () => {
    bare('plain.git');
    expect(await resolve('plain')).toEqual({ path: '/plain.git', host: join(home, 'plain.git') });
    expect(await resolve('~/plain.git/')).toMatchObject({ path: '/plain.git' });
    bare('both');
    bare('both.git');
    expect(await resolve('both')).toMatchObject({ path: '/both' });
    execFileSync('git', ['init', '-q', join(home, 'worktree')]);
    expect(await resolve('/worktree')).toMatchObject({ path: '/worktree/.git' });
    execFileSync('git', ['init', '-q', join(home, 'nested.git')]);
    expect(await resolve('nested')).toMatchObject({ path: '/nested.git/.git' });
    expect(await resolve('missing')).toBeUndefined();
    // a directory that is not a repository is passed over
    await mkdir(join(home, 'dir'));
    bare('dir.git');
    expect(await resolve('dir')).toMatchObject({ path: '/dir.git' });
  });

  it('gives the path reached through links, for the permission check', async () => {
    await mkdir(join(home, 'real'));
    bare('real/repo.git');
    await symlink('real/repo.git', join(home, 'alias.git'));
    expect(await resolve('alias')).toEqual({
      path: '/real/repo.git',
      host: join(home, 'real', 'repo.git'),
    });
  });

  it('refuses what leads git elsewhere, under any of the names git tries', async () => {
    bare('other.git');
    const elsewhere = `gitdir: ${join(home, 'other.git')}\n`;
    await writeFile(join(home, 'file.git'), elsewhere);
    await expect(resolve('file')).rejects.toThrow(/the repository must be a directory/);
    await mkdir(join(home, 'tree'));
    await writeFile(join(home, 'tree', '.git'), elsewhere);
    await expect(resolve('tree')).rejects.toThrow(/a \.git file pointing elsewhere/);
    for (const redirect of [
      'commondir',
      'objects/info/alternates',
      'objects/info/http-alternates',
    ]) {
      const name = redirect.replaceAll('/', '-');
      bare(`${name}.git`);
      await writeFile(join(home, `${name}.git`, redirect), '/elsewhere\n');
      await expect(resolve(name), redirect).rejects.toThrow(`repositories with ${redirect}`);
    }
    // a commondir makes a repository of a directory with only a HEAD
    await mkdir(join(home, 'shared.git'));
    await writeFile(join(home, 'shared.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(home, 'shared.git', 'commondir'), '/srv/bob/private.git\n');
    await expect(resolve('shared')).rejects.toThrow(/repositories with commondir/);
  });

  it('refuses a .git or ..git in the repository, which git would try first', async () => {
    bare('inner.git');
    await mkdir(join(home, 'inner.git', '..git'));
    await expect(resolve('inner')).rejects.toThrow(/a \.\.git entry inside the repository/);
    bare('outer.git');
    await mkdir(join(home, 'outer.git', '.git'));
    await expect(resolve('outer.git')).rejects.toThrow(/a \.git entry inside the repository/);
  });
});
