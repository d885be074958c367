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

/** Runs OpenSSH's sftp in batch mode with a password given through sshpass. */
export function sftpBatch(
  port: number,
  user: string,
  password: string,
  batch: string,
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    'sshpass',
    [
      '-e',
      'sftp',
      ...sftpOptions(port),
      '-oBatchMode=no',
      '-oPreferredAuthentications=password',
      '-oNumberOfPasswordPrompts=1',
      '-b',
      '-',
      `${user}@127.0.0.1`,
    ],
    { cwd, env: { ...process.env, SSHPASS: password }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  child.stdin.end(batch);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}
