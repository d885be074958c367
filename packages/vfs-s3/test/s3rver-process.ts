import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from '@sftpgo/test-utils';

/** A running s3rver, an independent S3 implementation, on loopback. */
export interface S3Server {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const bin = join(
  dirname(createRequire(import.meta.url).resolve('s3rver/package.json')),
  'bin/s3rver.js',
);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts s3rver in a process of its own, serving `buckets` from `directory`.
 * Its continuation tokens use DES, which Node's OpenSSL 3 offers only with
 * the legacy provider: listings of over 1,000 keys fail without it.
 */
export async function startS3rver(
  directory: string,
  buckets: readonly string[],
): Promise<S3Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      bin,
      ...['--directory', directory, '--address', '127.0.0.1', '--port', String(port), '--silent'],
      ...buckets.flatMap((b) => ['--configure-bucket', b]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  for (let waited = 0; !(await listening(port)); waited += 50) {
    if (child.exitCode !== null || waited > 20_000) {
      await stop();
      throw new Error(`s3rver did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { endpoint: `http://127.0.0.1:${port}`, stop };
}
