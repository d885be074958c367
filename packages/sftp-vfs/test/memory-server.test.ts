import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasCommand, makeTempDir, runWithInput } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('./fixtures/memory-server.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe.runIf(hasCommand('sftp'))('the engine on a pipe, serving files in memory', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;

  beforeAll(async () => {
    tmp = await makeTempDir();
    await writeFile(join(tmp.path, 'hello.txt'), 'hello, memory\n');
  });
  afterAll(() => tmp?.remove());

  it('takes files from OpenSSH sftp and gives them back, and says what the storage cannot do', async () => {
    const server = [process.execPath, '--conditions=@sftpgo/source', '--import', TSX, SERVER]
      .map((a) => `'${a}'`)
      .join(' ');
    const { code, output } = await runWithInput(
      'sftp',
      ['-D', server, '-b', '-'],
      'mkdir in\nput hello.txt in/hello.txt\nls -1 in\nget in/hello.txt back.txt\n-df /\n-ln -s in/hello.txt link\n',
      { cwd: tmp.path },
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/^in\/hello\.txt$/m);
    expect(await readFile(join(tmp.path, 'back.txt'), 'utf8')).toBe('hello, memory\n');
    // memory has no disk statistics and no links: the extension is not advertised, the link refused
    expect(output).toMatch(/does not support statvfs@openssh\.com/);
    expect(output).toMatch(/Operation unsupported/);
  });
});
