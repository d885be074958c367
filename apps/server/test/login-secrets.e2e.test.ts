import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllServers, type ServerProcess, startLoopbackServer } from './server-process.js';

const SECRET = 'Correct-Horse-SECRET-42';

/** A password login with the ssh2 client; resolves with the error that ended it, if any. */
function tryLogin(port: number, username: string, password: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    client.once('ready', () => {
      client.end();
      resolve(undefined);
    });
    client.once('error', resolve);
    client.connect({ host: '127.0.0.1', port, username, password, readyTimeout: 10_000 });
  });
}

describe('credentials and the log of a real server', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;

  beforeAll(async () => {
    tmp = await makeTempDir();
    // A careless program: it echoes the password as its answer, or as the username.
    const program = join(tmp.path, 'external-auth.sh');
    await writeFile(
      program,
      `#!/bin/sh
case "$SFTPGO_AUTHD_USERNAME" in
  garbage) echo "no json here: $SFTPGO_AUTHD_PASSWORD" ;;
  *) printf '{"username":"%s"}' "$SFTPGO_AUTHD_PASSWORD" ;;
esac
`,
    );
    await chmod(program, 0o755);
    ({ server } = await startLoopbackServer(
      tmp.path,
      {},
      { external_auth_program: program, external_auth_scope: 1 },
    ));
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('logs failed logins through the external program without the password', async () => {
    for (const [username, password] of [
      ['nul', `a\0${SECRET}`],
      ['garbage', SECRET],
      ['echoed', SECRET],
    ] as const) {
      expect(await tryLogin(server.sshPort, username, password)).toBeInstanceOf(Error);
      await server.waitForLog((l) => l.sender === 'connection_failed' && l.username === username);
    }
    const failed = server.logs.filter((l) => l.sender === 'connection_failed');
    expect(failed.map((l) => [l.username, l.error])).toEqual([
      ['nul', 'external authentication: a value for the program holds a NUL byte'],
      ['garbage', 'external authentication: the program did not answer with JSON'],
      ['echoed', 'external authentication answered for another user'],
    ]);
    // the fields fail2ban and the docs rely on are all there
    expect(Object.keys(failed[0] ?? {})).toEqual(
      expect.arrayContaining(['level', 'time', 'sender', 'username', 'client_ip', 'login_type']),
    );
    expect(JSON.stringify(server.logs)).not.toContain(SECRET);
  });
});
