import { spawn } from 'node:child_process';

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
      '-F',
      '/dev/null',
      '-oBatchMode=no',
      '-oStrictHostKeyChecking=no',
      '-oUserKnownHostsFile=/dev/null',
      '-oPreferredAuthentications=password',
      '-oNumberOfPasswordPrompts=1',
      '-P',
      String(port),
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
