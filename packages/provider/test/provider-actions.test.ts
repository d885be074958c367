import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ActionOutcome,
  ProviderActions,
  type ProviderActionsSettings,
  providerActionsProblems,
} from '../src/provider-actions.js';
import { toPublicUser, type User } from '../src/user.js';

const user: User = {
  id: 42,
  status: 1,
  username: 'alice',
  expiration_date: 1_700_000_000_000,
  password: '$2a$10$4Jvs0XnVhXrpORnq6Pfo6uRpILS4Hj1nC5nbHiV0Lr3Z0l7B1T6yK',
  public_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'],
  // A space proves the arguments reach the program unsplit.
  home_dir: '/srv/sftp/alice home',
  uid: 1001,
  gid: 1002,
  max_sessions: 3,
  quota_size: 1_000_000,
  quota_files: 100,
  permissions: { '/': ['*'], '/ro': ['list', 'download'] },
  used_quota_size: 512,
  used_quota_files: 2,
  last_quota_update: 1_600_000_000_000,
  upload_bandwidth: 256,
  download_bandwidth: 512,
  last_login: 1_650_000_000_000,
  filters: { allowed_ip: ['10.0.0.0/8'], denied_ip: [] },
  filesystem: { provider: 0 },
};

const settings = (over: Partial<ProviderActionsSettings>): ProviderActionsSettings => ({
  execute_on: ['add', 'update', 'delete'],
  command: '',
  http_notification_url: '',
  ...over,
});

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let servers: Server[] = [];
let pids: number[] = [];

beforeEach(async () => {
  tmp = await makeTempDir();
});

afterEach(async () => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  pids = [];
  await Promise.all(
    servers.map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  servers = [];
  await tmp.remove();
});

async function script(body: string): Promise<string> {
  const path = join(tmp.path, `action-${Math.random().toString(36).slice(2)}.sh`);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** A script that records its arguments, its SFTPGO_USER_* variables and PATH. */
const recorder = () =>
  script(`printf '%s\\n' "$@" > "${tmp.path}/argv"
env | grep '^SFTPGO_USER_' | sort > "${tmp.path}/env"
printf '%s' "$PATH" > "${tmp.path}/path"`);

/** A server on 127.0.0.1 recording every request; `answer` false leaves them hanging. */
async function listen(answer = true): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (answer) res.end('ok');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received };
}

function actions(over: Partial<ProviderActionsSettings>, timeoutMs?: number) {
  const outcomes: ActionOutcome[] = [];
  const fired = new ProviderActions(settings(over), {
    onOutcome: (o) => outcomes.push(o),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { fired, outcomes };
}

describe('the command', () => {
  it('gets the 8 arguments and every SFTPGO_USER_* variable, keeping the environment', async () => {
    const { fired, outcomes } = actions({ command: await recorder() });
    await fired.fire('update', user);

    const argv = await readFile(join(tmp.path, 'argv'), 'utf8');
    expect(argv.split('\n').slice(0, -1)).toEqual([
      'update',
      'alice',
      '42',
      '1',
      '1700000000000',
      '/srv/sftp/alice home',
      '1001',
      '1002',
    ]);
    const env = await readFile(join(tmp.path, 'env'), 'utf8');
    const vars = Object.fromEntries(
      env
        .split('\n')
        .slice(0, -1)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(vars).toEqual({
      SFTPGO_USER_ACTION: 'update',
      SFTPGO_USER_USERNAME: 'alice',
      SFTPGO_USER_PASSWORD: user.password,
      SFTPGO_USER_ID: '42',
      SFTPGO_USER_STATUS: '1',
      SFTPGO_USER_EXPIRATION_DATE: '1700000000000',
      SFTPGO_USER_HOME_DIR: '/srv/sftp/alice home',
      SFTPGO_USER_UID: '1001',
      SFTPGO_USER_GID: '1002',
      SFTPGO_USER_QUOTA_FILES: '100',
      SFTPGO_USER_QUOTA_SIZE: '1000000',
      SFTPGO_USER_UPLOAD_BANDWIDTH: '256',
      SFTPGO_USER_DOWNLOAD_BANDWIDTH: '512',
      SFTPGO_USER_MAX_SESSIONS: '3',
      SFTPGO_USER_FS_PROVIDER: '0',
    });
    expect(await readFile(join(tmp.path, 'path'), 'utf8')).toBe(process.env.PATH);
    expect(outcomes).toEqual([
      {
        action: 'update',
        username: 'alice',
        target: 'command',
        ok: true,
        exitCode: 0,
        elapsedMs: expect.any(Number),
      },
    ]);
  });

  it('passes a disabled user with an empty password as they are', async () => {
    const { fired } = actions({ command: await recorder() });
    await fired.fire('delete', { ...user, status: 0, password: '' });
    const argv = (await readFile(join(tmp.path, 'argv'), 'utf8')).split('\n');
    expect(argv.slice(0, 4)).toEqual(['delete', 'alice', '42', '0']);
    const env = await readFile(join(tmp.path, 'env'), 'utf8');
    expect(env).toContain('SFTPGO_USER_PASSWORD=\n');
    expect(env).toContain('SFTPGO_USER_STATUS=0\n');
  });

  it('is killed when it outlives the timeout', async () => {
    // exec: the pid written is the one the action must kill.
    const command = await script(`echo $$ > "${tmp.path}/pid"\nexec sleep 30`);
    const { fired, outcomes } = actions({ command }, 300);
    const start = Date.now();
    await fired.fire('add', user);
    const elapsed = Date.now() - start;

    const pid = Number(await readFile(join(tmp.path, 'pid'), 'utf8'));
    pids.push(pid);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(5_000);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(outcomes).toEqual([
      expect.objectContaining({
        action: 'add',
        target: 'command',
        ok: false,
        error: 'killed: not finished in 300 ms',
      }),
    ]);
    expect(outcomes[0]).not.toHaveProperty('exitCode');
  });

  it('reports a failing exit code', async () => {
    const { fired, outcomes } = actions({ command: await script('exit 1') });
    await fired.fire('add', user);
    expect(outcomes).toEqual([
      expect.objectContaining({ target: 'command', ok: false, exitCode: 1, error: 'exit code 1' }),
    ]);
  });

  it('reports a program that cannot start instead of throwing', async () => {
    const { fired, outcomes } = actions({ command: join(tmp.path, 'missing') });
    await expect(fired.fire('add', user)).resolves.toBeUndefined();
    expect(outcomes).toEqual([
      expect.objectContaining({
        target: 'command',
        ok: false,
        error: expect.stringMatching(/ENOENT/),
      }),
    ]);
  });
});

describe('the HTTP notification', () => {
  it('POSTs the public user as JSON with the action in the query', async () => {
    const { url, received } = await listen();
    const { fired, outcomes } = actions({ http_notification_url: url });
    await fired.fire('update', user);

    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hook?action=update');
    expect(request?.contentType).toBe('application/json');
    const body = JSON.parse(request?.body ?? '');
    expect(body).toEqual(toPublicUser(user));
    expect(body).not.toHaveProperty('password');
    expect(body.filesystem).toEqual({ provider: 0, s3config: {}, gcsconfig: {} });
    expect(outcomes).toEqual([
      {
        action: 'update',
        username: 'alice',
        target: 'http',
        ok: true,
        status: 200,
        elapsedMs: expect.any(Number),
      },
    ]);
  });

  it('keeps the query the URL already has', async () => {
    const { url, received } = await listen();
    const { fired } = actions({ http_notification_url: `${url}?token=abc` });
    await fired.fire('delete', user);
    expect(received.map((r) => r.url)).toEqual(['/hook?token=abc&action=delete']);
  });

  it('gives up on a server that never answers', async () => {
    const { url, received } = await listen(false);
    const { fired, outcomes } = actions({ http_notification_url: url }, 300);
    const start = Date.now();
    await fired.fire('add', user);
    expect(Date.now() - start).toBeLessThan(5_000);
    expect(received).toHaveLength(1);
    expect(outcomes).toEqual([
      expect.objectContaining({ target: 'http', ok: false, error: 'no answer in 300 ms' }),
    ]);
  });

  it('reports an error status and an unreachable server', async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const failing = actions({ http_notification_url: `http://127.0.0.1:${port}/` });
    await failing.fired.fire('add', user);
    expect(failing.outcomes).toEqual([
      expect.objectContaining({ ok: false, status: 500, error: 'HTTP 500' }),
    ]);

    const { url } = await listen();
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = actions({ http_notification_url: url });
    await unreachable.fired.fire('add', user);
    expect(unreachable.outcomes).toEqual([
      expect.objectContaining({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) }),
    ]);
  });
});

describe('firing', () => {
  it('runs nothing for an action not in execute_on', async () => {
    const { url, received } = await listen();
    const { fired, outcomes } = actions({
      execute_on: ['add'],
      command: await recorder(),
      http_notification_url: url,
    });
    await fired.fire('update', user);
    await fired.fire('delete', user);
    await fired.idle();
    await expect(readFile(join(tmp.path, 'argv'))).rejects.toThrow(/ENOENT/);
    expect(received).toEqual([]);
    expect(outcomes).toEqual([]);
  });

  it('runs the command and the notification together, and idle waits for both', async () => {
    const { url, received } = await listen();
    const command = await script(`sleep 0.3\nprintf '%s' "$1" > "${tmp.path}/done"`);
    const { fired, outcomes } = actions({ command, http_notification_url: url });
    void fired.fire('add', user);
    await fired.idle();
    expect(await readFile(join(tmp.path, 'done'), 'utf8')).toBe('add');
    expect(received).toHaveLength(1);
    // The notification does not wait for the slower command.
    expect(outcomes.map((o) => [o.target, o.ok])).toEqual([
      ['http', true],
      ['command', true],
    ]);
  });
});

describe('providerActionsProblems', () => {
  it('accepts the defaults and a full configuration', () => {
    expect(providerActionsProblems(settings({ execute_on: [] }))).toEqual([]);
    expect(
      providerActionsProblems(
        settings({
          command: '/usr/local/bin/notify',
          http_notification_url: 'https://x.test/h?a=1',
        }),
      ),
    ).toEqual([]);
  });

  it('names the key of every problem', () => {
    expect(
      providerActionsProblems({
        execute_on: ['add', 'x', 'login'],
        command: 'bin/notify',
        http_notification_url: 'ftp://x.test/',
      }),
    ).toEqual([
      'execute_on: unknown action "x"',
      'execute_on: unknown action "login"',
      'command: must be an absolute path',
      'http_notification_url: must be an http or https URL',
    ]);
    expect(providerActionsProblems(settings({ http_notification_url: 'not a url' }))).toEqual([
      'http_notification_url: must be an http or https URL',
    ]);
  });
});
