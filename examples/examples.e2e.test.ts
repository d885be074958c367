// The examples as a user of the published packages runs them: each package
// packed (`pnpm pack`), the tarballs an example needs installed with npm into a
// fresh project (no workspace links), the example type-checked against the
// packed declarations and compiled, then run against OpenSSH's client.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  envWithoutNpmSettings,
  freePort,
  hasCommand,
  makeTempDir,
  pnpmCommand,
  runSftpBatch,
} from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('.', import.meta.url));
const INSTALL_TIMEOUT = 10 * 60_000;

const pnpm = pnpmCommand();
const cleanEnv = envWithoutNpmSettings();

const children = new Set<ChildProcess>();

function run(
  command: readonly string[],
  cwd: string,
  input = '',
): Promise<{ code: number | null; output: string }> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, {
    cwd,
    env: cleanEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  child.stdin?.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, output });
    }),
  );
}

async function succeed(command: readonly string[], cwd: string, input = ''): Promise<string> {
  const { code, output } = await run(command, cwd, input);
  if (code !== 0) throw new Error(`${command.join(' ')} failed (${code}):\n${output}`);
  return output;
}

/** Runs `node dist/<file> <args>` in `dir` until it prints `ready`; it is killed after the test. */
async function startExample(
  dir: string,
  file: string,
  args: readonly string[],
  ready: string,
): Promise<ChildProcess> {
  const server = spawn(process.execPath, [`dist/${file}`, ...args], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(server);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    server.stdout?.on('data', (d) => {
      text += d;
      if (text.includes(ready)) resolve();
    });
    server.on('close', (code) => reject(new Error(`exited with ${code}: ${text}`)));
  });
  return server;
}

/** The MiB of `node_modules` in `dir`, without the compiler and the type packages the test adds. */
async function installedMiB(dir: string): Promise<number> {
  const modules = join(dir, 'node_modules');
  const testOnly = /^(typescript|@types|undici-types)(\/|$)/;
  let bytes = 0;
  for (const entry of await readdir(modules, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (testOnly.test(path.slice(modules.length + 1))) continue;
    bytes += (await stat(path)).size;
  }
  return bytes / (1024 * 1024);
}

/** Every package directory holding a `package.json`, by package name. */
async function workspacePackages(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const dir of await readdir(join(ROOT, 'packages'))) {
    const file = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    found.set(
      (JSON.parse(await readFile(file, 'utf8')) as { name: string }).name,
      join(ROOT, 'packages', dir),
    );
  }
  return found;
}

describe.runIf(pnpm !== undefined && hasCommand('npm') && hasCommand('sftp'))(
  'the examples, from packed tarballs',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    const tarballs = new Map<string, string>();

    beforeAll(async () => {
      tmp = await makeTempDir('sftpgo-examples-');
      // the declarations and JavaScript that the tarballs carry
      if (!existsSync(join(ROOT, 'packages/sftpd/dist/index.d.ts'))) {
        await succeed([...(pnpm ?? []), 'build'], ROOT);
      }
      for (const [name, dir] of await workspacePackages()) {
        if (name === '@sftpgo/test-utils') continue;
        const before = new Set(await readdir(tmp.path));
        await succeed([...(pnpm ?? []), 'pack', '--pack-destination', tmp.path], dir);
        const made = (await readdir(tmp.path)).find((f) => f.endsWith('.tgz') && !before.has(f));
        tarballs.set(name, join(tmp.path, made as string));
      }
    }, INSTALL_TIMEOUT);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await tmp?.remove();
    });

    /**
     * A fresh project with the example's files, its `@sftpgo` dependencies
     * (and theirs) from the tarballs, and TypeScript from the registry; the
     * example compiled into dist/.
     */
    async function install(example: string, packages: readonly string[]): Promise<string> {
      const dir = join(tmp.path, example);
      await cp(join(EXAMPLES, example), dir, { recursive: true });
      await cp(join(EXAMPLES, 'tsconfig.json'), join(dir, 'tsconfig.json'));
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<
        string,
        Record<string, string>
      >;
      for (const name of packages) pkg.dependencies![name] = `file:${tarballs.get(name)}`;
      pkg.devDependencies = { typescript: '~5.9.3', '@types/node': '^20.19.0' };
      await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
      await succeed(
        ['npm', 'install', '--no-audit', '--no-fund', '--cache', join(tmp.path, 'npm-cache')],
        dir,
      );
      await succeed(
        [process.execPath, join(dir, 'node_modules/typescript/bin/tsc'), '-p', '.'],
        dir,
      );
      // what the example's own dependencies take, TypeScript and the Node.js types aside
      console.log(`${example}: ${(await installedMiB(dir)).toFixed(1)} MiB installed`);
      return dir;
    }

    it(
      'runs the engine on a pipe with files in memory, installing no native module',
      async () => {
        const dir = await install('engine-on-a-pipe', [
          '@sftpgo/sftp-vfs',
          '@sftpgo/sftp-protocol',
          '@sftpgo/vfs',
        ]);
        const installed = await readdir(join(dir, 'node_modules'));
        for (const heavy of ['better-sqlite3', 'lmdb', 'ssh2', 'pg', 'mysql2', '@node-rs']) {
          expect(installed, heavy).not.toContain(heavy);
        }
        await writeFile(join(dir, 'hello.txt'), 'through the pipe\n');
        const output = await succeed(
          ['sftp', '-D', `'${process.execPath}' '${join(dir, 'dist/server.js')}'`, '-b', '-'],
          dir,
          'put hello.txt inbox/hello.txt\nls -1 inbox\nget inbox/hello.txt back.txt\n',
        );
        expect(output).toMatch(/^inbox\/hello\.txt$/m);
        expect(await readFile(join(dir, 'back.txt'), 'utf8')).toBe('through the pipe\n');
      },
      INSTALL_TIMEOUT,
    );

    it(
      'keeps every path of the virtual filesystem inside its root, installing nothing else',
      async () => {
        const dir = await install('safe-paths', ['@sftpgo/vfs']);
        const installed = (await readdir(join(dir, 'node_modules'))).filter(
          (name) =>
            !name.startsWith('.') &&
            name !== 'typescript' &&
            name !== '@types' &&
            name !== 'undici-types',
        );
        expect(installed).toEqual(['@sftpgo']);
        const output = await succeed([process.execPath, 'dist/main.js', 'files'], dir);
        expect(output.trim().split('\n')).toEqual([
          '/notes.txt -> /notes.txt: a file of 12 bytes inside the root',
          '../../etc/passwd -> /etc/passwd: not-found',
          '/notes.txt/../../../etc/passwd -> /etc/passwd: not-found',
          '/escape/passwd -> /escape/passwd: invalid-path',
        ]);
      },
      INSTALL_TIMEOUT,
    );

    it.runIf(hasCommand('sshpass'))(
      'runs an SSH server with its own users, each in a directory of its own',
      async () => {
        const dir = await install('own-users', [
          '@sftpgo/sftpd',
          '@sftpgo/sftp-vfs',
          '@sftpgo/sftp-protocol',
          '@sftpgo/vfs',
          '@sftpgo/auth',
          '@sftpgo/provider',
        ]);
        // the engine needs no database driver: none is installed with the server
        const installed = await readdir(join(dir, 'node_modules'));
        for (const driver of ['better-sqlite3', 'lmdb', 'pg', 'mysql2']) {
          expect(installed, driver).not.toContain(driver);
        }
        const port = await freePort();
        const server = await startExample(
          dir,
          'server.js',
          [String(port), 'shares'],
          'listening on',
        );
        try {
          await writeFile(join(dir, 'up.txt'), 'for alice\n');
          const login = (user: string, password: string, batch: string) =>
            runSftpBatch(port, user, { password }, batch, dir);
          const alice = await login('alice', 'correct horse', 'put up.txt\nls -1\n');
          expect(alice.code, alice.output).toBe(0);
          expect(await readFile(join(dir, 'shares/alice/up.txt'), 'utf8')).toBe('for alice\n');
          const bob = await login('bob', 'battery staple', '-put up.txt\n');
          expect(bob.output).toMatch(/Permission denied/);
          const wrong = await login('alice', 'wrong', 'ls\n');
          expect(wrong.code).not.toBe(0);
        } finally {
          server.kill('SIGTERM');
        }
      },
      INSTALL_TIMEOUT,
    );

    it.runIf(hasCommand('sshpass'))(
      'runs what sftpgo serve runs, composed in code: users added by the REST API log in over SFTP',
      async () => {
        const dir = await install('serve-in-code', [
          '@sftpgo/api',
          '@sftpgo/provider',
          '@sftpgo/sftpd',
          '@sftpgo/sftp-vfs',
          '@sftpgo/sftp-protocol',
          '@sftpgo/vfs',
          '@sftpgo/auth',
        ]);
        const [sshPort, httpPort] = [await freePort(), await freePort()];
        const server = await startExample(
          dir,
          'main.js',
          ['data', String(sshPort), String(httpPort)],
          'REST API on',
        );
        try {
          const added = await fetch(`http://127.0.0.1:${httpPort}/api/v1/user`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              username: 'carol',
              password: 'carol-pass',
              home_dir: join(dir, 'homes/carol'),
              permissions: { '/': ['*'] },
              status: 1,
            }),
          });
          expect(added.status).toBe(200);
          await writeFile(join(dir, 'report.txt'), 'composed in code\n');
          const session = await runSftpBatch(
            sshPort,
            'carol',
            { password: 'carol-pass' },
            'put report.txt\n',
            dir,
          );
          expect(session.code, session.output).toBe(0);
          expect(await readFile(join(dir, 'homes/carol/report.txt'), 'utf8')).toBe(
            'composed in code\n',
          );
          // the users are in the SQLite file the schema scripts of the package made
          expect(existsSync(join(dir, 'data/sftpgo.db'))).toBe(true);
        } finally {
          server.kill('SIGTERM');
        }
      },
      INSTALL_TIMEOUT,
    );
  },
);
