import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readlink, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stdioServerCommand } from './server-process.js';

// Every command of OpenSSH's sftp client, against the engine on stdio.
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let root: string;
let local: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  root = join(tmp.path, 'root');
  local = join(tmp.path, 'local');
  await mkdir(root);
  await mkdir(local);
});
afterEach(() => tmp.remove());

function sftp(batch: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('sftp', ['-D', stdioServerCommand(root), '-b', '-'], {
    input: batch,
    encoding: 'utf8',
    cwd: local,
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function expectSuccess(run: ReturnType<typeof sftp>): void {
  expect(run.stderr).not.toMatch(/Couldn't|failure|not supported|denied/i);
  expect(run.status).toBe(0);
}

describe.runIf(hasCommand('sftp'))('OpenSSH sftp against the engine', () => {
  it('put, get, reget and reput', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 123);
    await writeFile(join(local, 'data.bin'), content);
    // half-done transfers both ways
    await writeFile(join(root, 'partial-up.bin'), content.subarray(0, 1_000_000));
    await writeFile(join(local, 'partial-down.bin'), content.subarray(0, 777_777));
    await writeFile(join(root, 'whole.bin'), content);
    const run = sftp(
      [
        'put data.bin',
        'get data.bin copy.bin',
        'reput data.bin partial-up.bin',
        'reget whole.bin partial-down.bin',
      ].join('\n'),
    );
    expectSuccess(run);
    expect((await readFile(join(root, 'data.bin'))).equals(content)).toBe(true);
    expect((await readFile(join(local, 'copy.bin'))).equals(content)).toBe(true);
    expect((await readFile(join(root, 'partial-up.bin'))).equals(content)).toBe(true);
    expect((await readFile(join(local, 'partial-down.bin'))).equals(content)).toBe(true);
  });

  it('put -p and get -p keep modes and times', async () => {
    await writeFile(join(local, 'old.txt'), 'old');
    await utimes(join(local, 'old.txt'), 1_000_000_000, 1_000_000_000);
    const run = sftp('put -p old.txt\nget -p old.txt back.txt');
    expectSuccess(run);
    expect((await stat(join(root, 'old.txt'))).mtimeMs).toBe(1_000_000_000_000);
    expect((await stat(join(local, 'back.txt'))).mtimeMs).toBe(1_000_000_000_000);
  });

  it('recursive put and get', async () => {
    await mkdir(join(local, 'tree/sub'), { recursive: true });
    await writeFile(join(local, 'tree/a.txt'), 'a');
    await writeFile(join(local, 'tree/sub/b.txt'), 'b');
    const run = sftp('put -r tree\nget -r tree tree-back');
    expectSuccess(run);
    expect(await readFile(join(root, 'tree/sub/b.txt'), 'utf8')).toBe('b');
    expect(await readFile(join(local, 'tree-back/sub/b.txt'), 'utf8')).toBe('b');
  });

  it('mkdir, cd, pwd, ls -l, ls -la, rmdir', async () => {
    await mkdir(join(root, 'existing'));
    await writeFile(join(root, 'existing/file.txt'), 'x'.repeat(1234));
    const run = sftp('mkdir made\ncd existing\npwd\nls -l\ncd ..\nls -la\nrmdir made\nls');
    expectSuccess(run);
    expect(run.stdout).toContain('Remote working directory: /existing');
    expect(run.stdout).toMatch(/-rw-\S+ +1 +\d+ +\d+ +1234 \w{3} [ \d]\d \d\d:\d\d file\.txt/);
    expect(run.stdout).toMatch(/drwx\S+ .* existing/);
    await expect(stat(join(root, 'made'))).rejects.toThrow(/ENOENT/);
  });

  it('rename (POSIX and legacy), rm', async () => {
    await writeFile(join(root, 'a'), 'A');
    await writeFile(join(root, 'b'), 'B');
    await writeFile(join(root, 'c'), 'C');
    // posix-rename replaces b; the legacy RENAME must refuse to replace a
    const run = sftp('rename a b\nrename -l c b\nrm c');
    expect(run.stderr).toMatch(/rename "\/c" to "\/b": Failure/);
    expect(await readFile(join(root, 'b'), 'utf8')).toBe('A');
    await expect(stat(join(root, 'a'))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(root, 'c'))).resolves.toBeDefined();
    const rm = sftp('rm c');
    expectSuccess(rm);
    await expect(stat(join(root, 'c'))).rejects.toThrow(/ENOENT/);
  });

  it('ln -s, ln (hard), chmod, chown, chgrp', async () => {
    await writeFile(join(root, 'target.txt'), 'T');
    const { uid, gid } = await stat(join(root, 'target.txt'));
    const run = sftp(
      `ln -s target.txt soft\nln target.txt hard\nchmod 640 target.txt\nchown ${uid} target.txt\nchgrp ${gid} target.txt\nls -l`,
    );
    expectSuccess(run);
    expect(await readlink(join(root, 'soft'))).toBe('target.txt');
    expect((await lstat(join(root, 'soft'))).isSymbolicLink()).toBe(true);
    expect((await stat(join(root, 'hard'))).ino).toBe((await stat(join(root, 'target.txt'))).ino);
    expect((await stat(join(root, 'target.txt'))).mode & 0o777).toBe(0o640);
    expect(run.stdout).toMatch(/lrwx\S+ .* soft/);
    expect(run.stdout).toMatch(/-rw-r----- +2 .* target\.txt/);
  });

  it('cp, through copy-data', async () => {
    await writeFile(join(root, 'orig.bin'), randomBytes(600_000));
    const run = sftp('cp orig.bin dup.bin');
    expectSuccess(run);
    expect(
      (await readFile(join(root, 'dup.bin'))).equals(await readFile(join(root, 'orig.bin'))),
    ).toBe(true);
  });

  it('df and df -i, through statvfs', () => {
    const run = sftp('df\ndf -i');
    expectSuccess(run);
    expect(run.stdout).toMatch(/Size\s+Used\s+Avail\s+\(root\)\s+%Capacity\s+\d+/);
    expect(run.stdout).toMatch(/Inodes\s+Used\s+Avail/);
  });

  it('reports a missing file and goes on', async () => {
    const run = sftp('-get missing.txt\n-rm missing.txt\nmkdir after');
    expect(run.stderr).toMatch(/not found|No such file/);
    expect(run.status).toBe(0);
    expect((await stat(join(root, 'after'))).isDirectory()).toBe(true);
  });
});
