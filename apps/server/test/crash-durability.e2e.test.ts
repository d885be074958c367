import { execFileSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCommand, makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
  startServer,
} from './server-process.js';

/** REST API clients writing at once while the server is killed. */
const WRITERS = 8;
/** Writes acknowledged before the kill: enough for it to land amid many. */
const BEFORE_KILL = 150;

interface StoredUser {
  readonly id: number;
  readonly username: string;
  readonly quota_files: number;
}

describe.runIf(hasCommand('ssh-keygen')).each([
  { driver: 'sqlite', settings: {} },
  { driver: 'bolt', settings: { driver: 'bolt', name: 'sftpgo.bolt' } },
])('$driver: sftpgo serve killed with SIGKILL during REST API writes', ({ driver, settings }) => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let publicKey: string;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    tmp = await makeTempDir();
    const key = join(tmp.path, 'key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    publicKey = (await readFile(`${key}.pub`, 'utf8')).trim();
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    killAllServers();
    await tmp?.remove();
  });

  it('opens cleanly after a restart and holds every write the API acknowledged', async () => {
    const dir = join(tmp.path, 'config');
    await mkdir(dir);
    const { server, api } = await startLoopbackServer(dir, {}, settings);
    servers.push(server);
    const send = (method: string, path: string, body: unknown) =>
      fetch(`${api}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    // each user is added with quota_files 1, then updated to 2: the value
    // kept is the last one the API answered 200 for
    const acknowledged = new Map<string, number>();
    const writer = async (w: number) => {
      for (let j = 0; j < 10_000; j++) {
        const username = `w${w}-${j}`;
        try {
          const added = await send('POST', '/user', {
            username,
            status: 1,
            public_keys: [publicKey],
            home_dir: join(tmp.path, 'homes', username),
            permissions: { '/': ['*'] },
            quota_files: 1,
          });
          if (added.status !== 200) throw new Error(`adding: ${added.status}`);
          acknowledged.set(username, 1);
          const { id } = (await added.json()) as { id: number };
          const updated = await send('PUT', `/user/${id}`, { quota_files: 2 });
          if (updated.status !== 200) throw new Error(`updating: ${updated.status}`);
          acknowledged.set(username, 2);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    for (let waited = 0; acknowledged.size < BEFORE_KILL; waited += 20) {
      if (waited > 60_000) throw new Error(`only ${acknowledged.size} writes in 60 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await server.stop('SIGKILL');
    await Promise.all(writers);

    if (driver === 'sqlite' && hasCommand('sqlite3')) {
      const check = execFileSync('sqlite3', [join(dir, 'sftpgo.db'), 'PRAGMA integrity_check'], {
        encoding: 'utf8',
      });
      expect(check.trim()).toBe('ok');
    }
    const again = await startServer(dir);
    servers.push(again);
    const stored = new Map<string, StoredUser>();
    for (let offset = 0; ; offset += 500) {
      const res = await fetch(`${api}/user?limit=500&offset=${offset}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as StoredUser[];
      for (const u of page) stored.set(u.username, u);
      if (page.length < 500) break;
    }
    for (const [username, quotaFiles] of acknowledged) {
      // an update that was under way at the kill may have been stored unanswered
      expect(stored.get(username)?.quota_files, username).toBeGreaterThanOrEqual(quotaFiles);
    }
    // nothing but what the writers sent
    for (const u of stored.values()) expect(u.username).toMatch(/^w\d+-\d+$/);
    expect(stored.size - acknowledged.size).toBeLessThanOrEqual(WRITERS);
  }, 120_000);
});
