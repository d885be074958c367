import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSftpBatch, sftpOptions } from '@sftpgo/test-utils';

export { sftpOptions };

/** Runs OpenSSH's sftp in batch mode with a password given through sshpass. */
export function sftpBatch(
  port: number,
  user: string,
  password: string,
  batch: string,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return runSftpBatch(port, user, { password }, batch, cwd);
}

/** OpenSSH's ssh options for a password login to a test server, for `ssh`, `scp`, `rsync -e` and git. */
export function sshPasswordOptions(port: number): string[] {
  return [
    ...sftpOptions(port).map((o) => (o === '-P' ? '-p' : o)),
    '-oBatchMode=no',
    '-oPreferredAuthentications=password',
    '-oNumberOfPasswordPrompts=1',
    '-oLogLevel=ERROR',
  ];
}

/** Runs a program with a password given to its ssh through sshpass; resolves with its output. */
export function runWithPassword(
  password: string,
  program: string,
  args: readonly string[],
  options: {
    readonly cwd?: string;
    readonly input?: string | Buffer;
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn('sshpass', ['-e', program, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, SSHPASS: password },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    }),
  );
}

/**
 * OpenSSH's sftp logging in by keyboard-interactive as `user`, each question
 * answered through an askpass program written in `dir`: `answer` to
 * "QuestionN: ", and `last` to "Question3: " (the spec's sample program
 * decides on it). Runs `pwd` and returns what sftp printed.
 */
export async function sftpKeyboardInteractive(
  port: number,
  user: string,
  dir: string,
  last: string,
): Promise<SpawnSyncReturns<string>> {
  const askpass = join(dir, `askpass-${last}.sh`);
  await writeFile(
    askpass,
    `#!/bin/sh\ncase "$1" in\n  *Question3*) echo ${last} ;;\n  *Question*) echo answer ;;\nesac\n`,
  );
  await chmod(askpass, 0o755);
  return spawnSync(
    'sftp',
    [
      ...sftpOptions(port),
      '-oBatchMode=no',
      '-oPreferredAuthentications=keyboard-interactive',
      '-oKbdInteractiveAuthentication=yes',
      '-oNumberOfPasswordPrompts=1',
      '-b',
      '-',
      `${user}@127.0.0.1`,
    ],
    {
      input: 'pwd\n',
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    },
  );
}
