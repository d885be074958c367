import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpKeyboardInteractive } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const SAMPLE = fileURLToPath(
  new URL('../../../packages/sftpd/test/fixtures/keyboard-interactive-sample.sh', import.meta.url),
);

describe.runIf(hasCommand('sftp'))('keyboard-interactive login with OpenSSH', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const started = await startLoopbackServer(tmp.path, {
      keyboard_interactive_auth_program: SAMPLE,
    });
    server = started.server;
    await addUser(started.api, {
      username: 'kbd',
      password: 'not-used-here',
      home_dir: join(tmp.path, 'kbd'),
      permissions: { '/': ['*'] },
    });
  });

  afterAll(async () => {
    await server?.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('logs in when the last answer is right', async () => {
    const run = await sftpKeyboardInteractive(server.sshPort, 'kbd', tmp.path, 'answer3');
    expect(run.stdout, run.stderr).toContain('Remote working directory: /');
    expect(run.status).toBe(0);
  });

  it('is refused when the last answer is wrong', async () => {
    const run = await sftpKeyboardInteractive(server.sshPort, 'kbd', tmp.path, 'wrong');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Permission denied');
  });
});
