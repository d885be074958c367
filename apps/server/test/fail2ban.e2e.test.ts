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
/** The failregex of the reference's own filter, which jails copied from it still use. */
const REFERENCE_FAILREGEX =
  '^.*"sender":"connection_failed","client_ip":"<HOST>","username":".*","login_type":"password".*"}$';

// '' listens on every interface, `::` included: an IPv4 client must still be
// logged, and banned, as 127.0.0.1, never as ::ffff:127.0.0.1.
describe
  .runIf(hasCommand('sftp') && hasCommand('sshpass') && hasCommand('fail2ban-regex'))
  .each(['127.0.0.1', ''])('the fail2ban filter of the docs, bind_address %j', (bindAddress) => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let server: ServerProcess;
  let api: string;

  beforeAll(async () => {
    tmp = await makeTempDir();
    const started = await startLoopbackServer(tmp.path, { bind_address: bindAddress });
    server = started.server;
    api = started.api;
    await addUser(api, {
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
    const ips = spawnSync('fail2ban-regex', ['-o', 'ip', log, FILTER], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(ips.status, ips.stderr).toBe(0);
    const banned = ips.stdout.split('\n').filter((line) => line.trim() !== '');
    expect(banned).toHaveLength(failed.length);
    expect(new Set(banned)).toEqual(new Set(['127.0.0.1']));
    const passwords = failed.filter((l) => l.login_type === 'password');
    const reference = spawnSync('fail2ban-regex', [log, REFERENCE_FAILREGEX], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(reference.status, reference.stderr).toBe(0);
    expect(reference.stdout).toMatch(new RegExp(`, ${passwords.length} matched`));
    const logins = server.logs.filter(
      (l) => l.sender === 'connection_failed' || String(l.message).includes(' logged in with: '),
    );
    expect(logins.map((l) => l.client_ip)).toEqual(logins.map(() => '127.0.0.1'));
  });

  it('logs ssh-keyscan, which leaves before any login attempt, as no_auth_tryed', async () => {
    const scan = spawnSync('ssh-keyscan', ['-p', String(server.sshPort), '127.0.0.1'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(scan.stdout).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-/m);
    const line = await server.waitForLog((l) => l.login_type === 'no_auth_tryed');
    expect(line).toEqual({
      level: 'warn',
      time: expect.any(String),
      sender: 'connection_failed',
      client_ip: '127.0.0.1',
      username: '',
      login_type: 'no_auth_tryed',
      error: expect.stringMatching(/./),
    });
    // it tried no credential: a health check must not get its address banned
    const log = join(tmp.path, 'keyscan.log');
    await writeFile(log, `${JSON.stringify(line)}\n`);
    const run = spawnSync('fail2ban-regex', [log, FILTER], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Lines: 1 lines, 1 ignored, 0 matched/);
  });

  it("lists OpenSSH's connection with its whole ident and its address and port", async () => {
    // `!sleep` runs locally, holding the logged-in session open meanwhile
    const session = sftpBatch(
      server.sshPort,
      'frank',
      'frank-password',
      'pwd\n!sleep 3\n',
      tmp.path,
    );
    let mine: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !mine; i++) {
      const list = (await (await fetch(`${api}/connection`)).json()) as Record<string, unknown>[];
      mine = list.find((c) => c.username === 'frank');
      if (!mine) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(mine).toMatchObject({
      client_version: expect.stringMatching(/^SSH-2\.0-OpenSSH_/),
      remote_address: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect((await session).code).toBe(0);
  });
});
