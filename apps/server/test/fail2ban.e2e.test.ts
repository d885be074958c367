import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sftpBatch } from './openssh-client.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';

const FILTER = fileURLToPath(new URL('../../../docs/fail2ban/sftpgo.conf', import.meta.url));

describe.runIf(hasCommand('sftp') && hasCommand('sshpass') && hasCommand('fail2ban-regex'))(
  'the fail2ban filter of the docs',
  () => {
    let tmp: Awaited<ReturnType<typeof makeTempDir>>;
    let server: ServerProcess;

    beforeAll(async () => {
      tmp = await makeTempDir();
      const started = await startLoopbackServer(tmp.path);
      server = started.server;
      await addUser(started.api, {
        username: 'frank',
        password: 'frank-password',
        home_dir: join(tmp.path, 'frank'),
        permissions: { '/': ['*'] },
      });
    });

    afterAll(async () => {
      await server?.stop();
      killAllServers();
      await tmp?.remove();
    });

    it('matches every failed login of the real log, and no successful one', async () => {
      for (const password of ['wrong-1', 'wrong-2', 'frank-password']) {
        await sftpBatch(server.sshPort, 'frank', password, 'pwd', tmp.path);
      }
      await sftpBatch(server.sshPort, 'nobody', 'x', 'pwd', tmp.path);
      await server.waitForLog((l) => l.username === 'nobody');
      const log = join(tmp.path, 'sftpgo.log');
      await writeFile(log, `${server.logs.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const run = spawnSync('fail2ban-regex', [log, FILTER], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      const failed = server.logs.filter((l) => l.sender === 'connection_failed');
      expect(failed.length).toBeGreaterThanOrEqual(3);
      expect(run.stdout).toMatch(
        new RegExp(`Lines: \\d+ lines, 0 ignored, ${failed.length} matched`),
      );
    });
  },
);
