import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// OpenSSH's real scp client in its legacy protocol (-O), with a fake ssh
// program (-S) that runs our server side on its stdio instead of connecting
// anywhere: `scp` runs `<fake ssh> [ssh options] -- host <remote command>`.

const STDIO = fileURLToPath(new URL('./fixtures/scp-stdio.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let fakeSsh: string;
let remote: string;
let local: string;
let caseNumber = 0;

/** Runs OpenSSH's scp with the fake ssh; paths `h:...` are in the server's root. */
function scp(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('scp', ['-O', '-S', fakeSsh, ...args], {
      cwd: local,
      env: { ...process.env, SCP_TEST_ROOT: remote },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Every entry below `dir` with its content (files) or a slash (directories). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).map(String).sort()) {
    const path = join(dir, name);
    out[name] = (await stat(path)).isDirectory() ? '/' : await readFile(path, 'utf8');
  }
  return out;
}

async function makeTree(dir: string): Promise<void> {
  await mkdir(join(dir, 'tree/sub/deeper'), { recursive: true });
  await mkdir(join(dir, 'tree/empty dir'));
  await writeFile(join(dir, 'tree/top.txt'), 'top');
  await writeFile(join(dir, 'tree/sub/with space.txt'), 'spaced');
  await writeFile(join(dir, 'tree/sub/zero'), '');
  await writeFile(join(dir, 'tree/sub/deeper/leaf'), 'leaf');
}

describe.skipIf(!hasCommand('scp'))('OpenSSH scp -O against runScp', () => {
  beforeAll(async () => {
    tmp = await makeTempDir('sftpgo-scp-interop-');
    fakeSsh = join(tmp.path, 'fake-ssh');
    const node = [process.execPath, '--conditions=@sftpgo/source', '--import', TSX, STDIO];
    await writeFile(
      fakeSsh,
      `#!/bin/sh\n# the last argument is the remote command\nfor last; do :; done\nexec ${node.map(quote).join(' ')} "$last"\n`,
      { mode: 0o755 },
    );
  });

  afterAll(() => tmp.remove());

  beforeEach(async () => {
    caseNumber++;
    remote = join(tmp.path, `remote-${caseNumber}`);
    local = join(tmp.path, `local-${caseNumber}`);
    await mkdir(remote);
    await mkdir(local);
  });

  it('uploads and downloads a single file', async () => {
    await writeFile(join(local, 'up.txt'), 'uploaded');
    await mkdir(join(remote, 'in'));
    const up = await scp(['up.txt', 'h:/in/']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await readFile(join(remote, 'in/up.txt'), 'utf8')).toBe('uploaded');

    await writeFile(join(remote, 'down.txt'), 'downloaded');
    const down = await scp(['h:down.txt', '.']);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await readFile(join(local, 'down.txt'), 'utf8')).toBe('downloaded');
  });

  it('uploads to a new name and downloads to a new name', async () => {
    await writeFile(join(local, 'a'), 'A');
    expect((await scp(['a', 'h:/renamed'])).code).toBe(0);
    expect(await readFile(join(remote, 'renamed'), 'utf8')).toBe('A');
    expect((await scp(['h:/renamed', 'back'])).code).toBe(0);
    expect(await readFile(join(local, 'back'), 'utf8')).toBe('A');
  });

  it('copies trees both ways with -r', async () => {
    await makeTree(local);
    const up = await scp(['-r', 'tree', 'h:/']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const expected = await snapshot(join(local, 'tree'));
    expect(await snapshot(join(remote, 'tree'))).toEqual(expected);
    expect(Object.keys(expected)).toContain('sub/with space.txt');

    await mkdir(join(local, 'back'));
    const down = await scp(['-r', 'h:/tree', 'back/']);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await snapshot(join(local, 'back/tree'))).toEqual(expected);
  });

  it('keeps times and modes with -p, both ways', async () => {
    await makeTree(local);
    await chmod(join(local, 'tree/top.txt'), 0o640);
    await chmod(join(local, 'tree/sub'), 0o750);
    await utimes(join(local, 'tree/top.txt'), 1_400_000_000, 1_500_000_000);
    await utimes(join(local, 'tree/sub'), 1_300_000_000, 1_300_000_000);
    expect((await scp(['-r', '-p', 'tree', 'h:/'])).code).toBe(0);
    const uploaded = await stat(join(remote, 'tree/top.txt'));
    expect(uploaded.mode & 0o777).toBe(0o640);
    expect(uploaded.mtimeMs).toBe(1_500_000_000_000);
    expect(uploaded.atimeMs).toBe(1_400_000_000_000);
    const uploadedDir = await stat(join(remote, 'tree/sub'));
    expect(uploadedDir.mode & 0o777).toBe(0o750);
    expect(uploadedDir.mtimeMs).toBe(1_300_000_000_000);

    await chmod(join(remote, 'tree/sub/zero'), 0o604);
    await utimes(join(remote, 'tree/sub/zero'), 1_100_000_000, 1_200_000_000);
    const down = await scp(['-r', '-p', 'h:/tree', 'back']);
    expect(down.code).toBe(0);
    const file = await stat(join(local, 'back/sub/zero'));
    expect(file.mode & 0o777).toBe(0o604);
    expect(file.mtimeMs).toBe(1_200_000_000_000);
    expect(file.atimeMs).toBe(1_100_000_000_000);
    const dir = await stat(join(local, 'back/sub'));
    expect(dir.mode & 0o777).toBe(0o750);
    expect(dir.mtimeMs).toBe(1_300_000_000_000);
  });

  it('copies several files in one command, zero-length and spaced names included', async () => {
    await writeFile(join(local, 'one'), '1');
    await writeFile(join(local, 'empty'), '');
    await writeFile(join(local, 'name with spaces.txt'), 'spaces');
    await mkdir(join(remote, 'in'));
    const up = await scp(['one', 'empty', 'name with spaces.txt', 'h:/in']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await snapshot(join(remote, 'in'))).toEqual({
      empty: '',
      'name with spaces.txt': 'spaces',
      one: '1',
    });

    // one `scp -f` with three paths (-T: the names do not match one pattern)
    await mkdir(join(local, 'back'));
    const down = await scp(['-T', 'h:/in/one /in/empty /in/name\\ with\\ spaces.txt', 'back']);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await snapshot(join(local, 'back'))).toEqual(await snapshot(join(remote, 'in')));

    // a spaced name, escaped for the remote shell, with the client's name check
    const spaced = await scp(['h:/in/name\\ with\\ spaces.txt', 'spaced-copy']);
    expect(spaced.code).toBe(0);
    expect(await readFile(join(local, 'spaced-copy'), 'utf8')).toBe('spaces');
  });

  it('copies a 5 MiB random file both ways unchanged', async () => {
    await writeFile(join(local, 'random.bin'), randomBytes(5 * 1024 * 1024));
    const digest = await sha256(join(local, 'random.bin'));
    expect((await scp(['random.bin', 'h:/'])).code).toBe(0);
    expect(await sha256(join(remote, 'random.bin'))).toBe(digest);
    expect((await scp(['h:/random.bin', 'again.bin'])).code).toBe(0);
    expect(await sha256(join(local, 'again.bin'))).toBe(digest);
  });

  it('reports a missing source file, and copies the others', async () => {
    await writeFile(join(remote, 'present'), 'here');
    const down = await scp(['-T', 'h:/missing /present', '.']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('scp: /missing: No such file or directory');
    expect(await readFile(join(local, 'present'), 'utf8')).toBe('here');
  });

  it('reports an upload into a missing directory', async () => {
    await writeFile(join(local, 'f'), 'x');
    const up = await scp(['f', 'h:/no/such/dir/f']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('scp: /no/such/dir/f: No such file or directory');
    expect(await readdir(remote)).toEqual([]);
  });

  it('refuses a directory as the target of several files that is not one', async () => {
    await writeFile(join(local, 'a'), 'a');
    await writeFile(join(local, 'b'), 'b');
    await writeFile(join(remote, 'plain'), 'p');
    const up = await scp(['a', 'b', 'h:/plain']);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('/plain: Not a directory');
    expect(await readFile(join(remote, 'plain'), 'utf8')).toBe('p');
  });
});
