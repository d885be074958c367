import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Whether `command` is on the PATH. Under CI (CI=true) a missing command is
 * an error, so that a test meant to run there can never skip silently; on a
 * developer's machine the caller skips, and this prints why.
 */
export function hasCommand(command: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
  if (!found) {
    if (process.env.CI === 'true') {
      throw new Error(`${command} is required under CI: .ci/run must install it`);
    }
    console.warn(`skipping: ${command} is not installed`);
  }
  return found;
}

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
