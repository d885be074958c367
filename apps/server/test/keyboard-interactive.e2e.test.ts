import { spawnSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpOptions } from './openssh-client.js';
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

  /** OpenSSH answering each question through an askpass program: `answerN` for "QuestionN: ". */
  async function loginAnswering(last: string) {
    const askpass = join(tmp.path, `askpass-${last}.sh`);
    await writeFile(
      askpass,
      `#!/bin/sh\ncase "$1" in\n  *Question3*) echo ${last} ;;\n  *Question*) echo answer ;;\nesac\n`,
    );
    await chmod(askpass, 0o755);
    return spawnSync(
      'sftp',
      [
        ...sftpOptions(server.sshPort),
        '-oBatchMode=no',
        '-oPreferredAuthentications=keyboard-interactive',
        '-oKbdInteractiveAuthentication=yes',
        '-oNumberOfPasswordPrompts=1',
        '-b',
        '-',
        'kbd@127.0.0.1',
      ],
      {
        input: 'pwd\n',
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
      },
    );
  }

  it('logs in when the last answer is right', async () => {
    const run = await loginAnswering('answer3');
    expect(run.stdout, run.stderr).toContain('Remote working directory: /');
    expect(run.status).toBe(0);
  });

  it('is refused when the last answer is wrong', async () => {
    const run = await loginAnswering('wrong');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Permission denied');
  });
});
