import { spawn } from 'node:child_process';

/**
 * OpenSSH's sftp options for a test server on 127.0.0.1:`port`: no user
 * configuration, and a host key that is accepted and remembered nowhere.
 */
export function sftpOptions(port: number): string[] {
  return [
    '-F',
    '/dev/null',
    '-oStrictHostKeyChecking=no',
    '-oUserKnownHostsFile=/dev/null',
    '-P',
    String(port),
  ];
}

/**
 * Runs OpenSSH's sftp in batch mode as `user` on 127.0.0.1:`port`, logging
 * in with a password (given through sshpass) or a private key file; the
 * standard output and error are read together. Killed after 60 s.
 */
export function runSftpBatch(
  port: number,
  user: string,
  auth: { readonly password: string } | { readonly key: string },
  batch: string,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const byPassword = 'password' in auth;
  const [program, prefix] = byPassword ? ['sshpass', ['-e', 'sftp']] : ['sftp', []];
  const login = byPassword
    ? ['-oBatchMode=no', '-oPreferredAuthentications=password', '-oNumberOfPasswordPrompts=1']
    : ['-oIdentitiesOnly=yes', '-i', auth.key];
  // -b after -oBatchMode=no: ssh keeps the first value of an option, and -b sets it
  return runWithInput(
    program,
    [...prefix, ...sftpOptions(port), ...login, '-b', '-', `${user}@127.0.0.1`],
    batch,
    { cwd, env: { ...process.env, ...(byPassword ? { SSHPASS: auth.password } : {}) } },
  );
}

/**
 * Runs `program` with `input` on its standard input, its standard output
 * and error read together: an OpenSSH client in batch mode (`-b -`).
 * Killed after 60 s.
 *
 * They are two pipes, so their lines interleave by chance: a test must not
 * expect an error right after the command it answers. One pipe for both
 * would lose output: ssh makes its standard error non-blocking, and sftp's
 * output with it, which then drops what a full pipe refuses.
 */
export function runWithInput(
  program: string,
  args: readonly string[],
  input: string,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  const child = spawn(program, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}
