import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type SessionActionOutcome,
  SessionActions,
  type SessionActionsSettings,
  type SessionEvent,
  sessionActionsProblems,
} from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const context = {
  username: 'alice',
  connectionId: 'c0ffee',
  protocol: 'SFTP' as const,
  homeDir: '/srv/sftp/alice home',
};
const upload: SessionEvent = {
  ...context,
  type: 'transfer',
  operation: 'upload',
  path: '/in/report.csv',
  bytes: 1234,
  elapsedMs: 5,
  completed: true,
};
const rename: SessionEvent = {
  ...context,
  type: 'command',
  command: 'Rename',
  path: '/in/report.csv',
  targetPath: '/done/report.csv',
};
const remove: SessionEvent = {
  ...context,
  type: 'command',
  command: 'Remove',
  path: '/done/report.csv',
  size: 1234,
};

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let server: Server | undefined;

beforeEach(async () => {
  tmp = await makeTempDir();
});

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
  await tmp.remove();
});

/** A program that records its arguments and SFTPGO_ACTION* variables, one line per run. */
async function recorder(): Promise<{ command: string; lines: () => Promise<string[]> }> {
  const command = join(tmp.path, 'record.sh');
  const out = join(tmp.path, 'runs.txt');
  await writeFile(
    command,
    `#!/bin/sh\nprintf '%s|' "$#" "$1" "$2" "$3" "$4" "$5" "$SFTPGO_ACTION" "$SFTPGO_ACTION_USERNAME" "$SFTPGO_ACTION_PATH" "$SFTPGO_ACTION_TARGET" "$SFTPGO_ACTION_SSH_CMD" "$SFTPGO_ACTION_FILE_SIZE" "$SFTPGO_ACTION_LOCAL_FILE" >> '${out}'\necho >> '${out}'\n`,
  );
  await chmod(command, 0o755);
  return {
    command,
    lines: async () =>
      (await readFile(out, 'utf8').catch(() => '')).split('\n').filter(Boolean).sort(),
  };
}

const settings = (over: Partial<SessionActionsSettings>): SessionActionsSettings => ({
  execute_on: ['upload', 'download', 'delete', 'rename', 'ssh_cmd'],
  command: '',
  http_notification_url: '',
  ...over,
});

describe('SessionActions', () => {
  it('runs the command with the five arguments and the SFTPGO_ACTION variables', async () => {
    const { command, lines } = await recorder();
    const outcomes: SessionActionOutcome[] = [];
    const actions = new SessionActions(settings({ command }), {
      onOutcome: (o) => outcomes.push(o),
    });
    actions.handle(upload);
    actions.handle(rename);
    actions.handle(remove);
    await actions.idle();
    const home = '/srv/sftp/alice home';
    expect(await lines()).toEqual(
      [
        `5|delete|alice|${home}/done/report.csv|||delete|alice|${home}/done/report.csv|||1234|true|`,
        `5|rename|alice|${home}/in/report.csv|${home}/done/report.csv||rename|alice|${home}/in/report.csv|${home}/done/report.csv|||true|`,
        `5|upload|alice|${home}/in/report.csv|||upload|alice|${home}/in/report.csv|||1234|true|`,
      ].sort(),
    );
    expect(outcomes.map((o) => [o.action, o.target, o.ok])).toEqual(
      expect.arrayContaining([
        ['upload', 'command', true],
        ['rename', 'command', true],
        ['delete', 'command', true],
      ]),
    );
  });

  it('sends a GET with the query of each action', async () => {
    const queries: string[] = [];
    server = createServer((req, res) => {
      queries.push(`${req.method} ${req.url}`);
      res.end();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const actions = new SessionActions(
      settings({ http_notification_url: `http://127.0.0.1:${port}/hook?token=t` }),
    );
    actions.handle(upload);
    await actions.idle();
    actions.handle(rename);
    await actions.idle();
    const home = encodeURIComponent('/srv/sftp/alice home').replaceAll('%20', '+');
    expect(queries).toEqual([
      `GET /hook?token=t&action=upload&username=alice&path=${home}%2Fin%2Freport.csv&local_file=true&file_size=1234`,
      `GET /hook?token=t&action=rename&username=alice&path=${home}%2Fin%2Freport.csv&local_file=true&target_path=${home}%2Fdone%2Freport.csv`,
    ]);
  });

  it('fires nothing for a cut transfer, other commands, or an action not listed', async () => {
    const { command, lines } = await recorder();
    const actions = new SessionActions(settings({ command, execute_on: ['download'] }));
    actions.handle({ ...upload, operation: 'download', completed: false });
    actions.handle(upload);
    actions.handle({ ...context, type: 'command', command: 'Mkdir', path: '/x' });
    await actions.idle();
    expect(await lines()).toEqual([]);
  });

  it('kills a command past its limit and reports it, and the next ones still run', async () => {
    const slow = join(tmp.path, 'slow.sh');
    await writeFile(slow, '#!/bin/sh\nexec sleep 30\n');
    await chmod(slow, 0o755);
    const outcomes: SessionActionOutcome[] = [];
    const actions = new SessionActions(settings({ command: slow }), {
      commandTimeoutMs: 200,
      concurrency: 1,
      onOutcome: (o) => outcomes.push(o),
    });
    const start = Date.now();
    actions.handle(upload);
    actions.handle(rename);
    await actions.idle();
    expect(Date.now() - start).toBeLessThan(5000);
    expect(outcomes).toHaveLength(2);
    for (const o of outcomes)
      expect(o).toMatchObject({ ok: false, error: /not finished in 200 ms/ });
  });

  it('runs at most `concurrency` at once and drops past the queue, saying so', async () => {
    const marker = join(tmp.path, 'running');
    const counter = join(tmp.path, 'count.sh');
    // records how many runs overlap, through a directory per running action
    await writeFile(
      counter,
      `#!/bin/sh\nmkdir -p '${marker}'\nd=$(mktemp -d '${marker}/XXXXXX')\nls '${marker}' | wc -l >> '${tmp.path}/overlap.txt'\nsleep 0.2\nrmdir "$d"\n`,
    );
    await chmod(counter, 0o755);
    const outcomes: SessionActionOutcome[] = [];
    const actions = new SessionActions(settings({ command: counter }), {
      concurrency: 2,
      maxQueued: 3,
      onOutcome: (o) => outcomes.push(o),
    });
    for (let i = 0; i < 7; i++) actions.handle(upload);
    await actions.idle();
    const overlaps = (await readFile(join(tmp.path, 'overlap.txt'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(overlaps).toHaveLength(5);
    expect(Math.max(...overlaps)).toBeLessThanOrEqual(2);
    expect(outcomes.filter((o) => !o.ok).map((o) => o.error)).toEqual([
      'dropped: 3 actions are waiting already',
      'dropped: 3 actions are waiting already',
    ]);
  });

  it('reports a notification URL it cannot use as a failure, and goes on', async () => {
    const outcomes: SessionActionOutcome[] = [];
    const actions = new SessionActions(settings({ http_notification_url: 'http://' }), {
      onOutcome: (o) => outcomes.push(o),
    });
    actions.handle(upload);
    await actions.idle();
    expect(outcomes).toEqual([
      expect.objectContaining({
        action: 'upload',
        target: 'http',
        ok: false,
        error: expect.stringMatching(/Invalid URL/),
      }),
    ]);
  });

  it('names each bad setting', () => {
    expect(
      sessionActionsProblems({
        execute_on: ['upload', 'chmod'],
        command: 'run.sh',
        http_notification_url: 'ftp://x',
      }),
    ).toEqual([
      'execute_on: unknown action "chmod"',
      'command: must be an absolute path',
      'http_notification_url: must be an http or https URL',
    ]);
  });
});
