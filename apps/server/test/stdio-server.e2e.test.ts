import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stdioServerCommand } from './server-process.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(() => tmp.remove());

describe.runIf(hasCommand('sftp'))('sftpgo-sftp-server with sftp -D', () => {
  it('serves a directory on stdio', async () => {
    const root = join(tmp.path, 'root');
    const local = join(tmp.path, 'local.txt');
    await writeFile(local, 'from the client\n');
    const batch = `mkdir d\nput ${local} d/up.txt\nls -l d\nget d/up.txt ${join(tmp.path, 'back.txt')}\n`;
    const run = spawnSync('sftp', ['-D', stdioServerCommand(root), '-b', '-'], {
      input: batch,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/Couldn't|failure/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/-rw-\S+ .* 16 .* up\.txt/);
    expect(await readFile(join(root, 'd/up.txt'), 'utf8')).toBe('from the client\n');
    expect(await readFile(join(tmp.path, 'back.txt'), 'utf8')).toBe('from the client\n');
  });
});
