import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTestDatabase,
  type DatabaseServer,
  eventually,
  makeTempDir,
} from '@sftpgo/test-utils';
import type ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPrivateDatabase,
  type PrivateDatabase,
  privateDatabaseUnavailable,
} from './private-database.js';
import {
  addUser,
  killAllServers,
  type ServerProcess,
  startLoopbackServer,
} from './server-process.js';
import { connectWithPassword } from './ssh2-client.js';

const DATABASES: { kind: DatabaseServer; label: string; username: string }[] = [
  { kind: 'postgresql', label: 'PostgreSQL', username: 'postgres' },
  { kind: 'mysql', label: 'MariaDB', username: 'root' },
];

const PASSWORD = 'outage-password-1';

function sftpOf(client: ssh2.Client): Promise<ssh2.SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((err, s) => (err ? reject(err) : resolve(s))),
  );
}

async function availability(metrics: string): Promise<number> {
  const text = await (await fetch(metrics)).text();
  return Number(/^sftpgo_dataprovider_availability (\d+)$/m.exec(text)?.[1]);
}

for (const { kind: driver, label, username } of DATABASES) {
  const skipReason = privateDatabaseUnavailable(driver);
  if (skipReason) console.warn(`${label} outage end-to-end tests skipped: ${skipReason}`);
  describe.runIf(skipReason === undefined)(
    `${label} stopped and started again under sftpgo serve`,
    () => {
      let tmp: Awaited<ReturnType<typeof makeTempDir>>;
      let database: PrivateDatabase;
      let server: ServerProcess;
      let api: string;
      let metrics: string;
      let home: string;

      beforeAll(async () => {
        tmp = await makeTempDir();
        database = await createPrivateDatabase(driver, join(tmp.path, 'database'));
        const { name } = await createTestDatabase(driver, database.url);
        const configDir = join(tmp.path, 'config');
        await mkdir(configDir);
        home = join(tmp.path, 'home');
        ({ server, api } = await startLoopbackServer(
          configDir,
          {},
          {
            driver,
            name,
            host: '127.0.0.1',
            port: database.port,
            username,
            track_quota: 1,
          },
        ));
        metrics = api.replace(/\/api\/v1$/, '/metrics');
        await addUser(api, {
          username: 'alice',
          password: PASSWORD,
          home_dir: home,
          permissions: { '/': ['*'] },
        });
      }, 120_000);

      afterAll(async () => {
        await server?.stop();
        killAllServers();
        await database?.stop();
        await tmp?.remove();
      }, 60_000);

      it('refuses logins with a clear log line while it is down, shows it, and serves again once it is back', async () => {
        const before = await connectWithPassword(server.sshPort, 'alice', PASSWORD);
        const session = await sftpOf(before);
        expect(await availability(metrics)).toBe(1);

        await database.stop();

        // the provider is asked at login: refused, and the log says why
        await expect(connectWithPassword(server.sshPort, 'alice', PASSWORD)).rejects.toThrow(
          /authentication methods failed/,
        );
        const line = await server.waitForLog((l) =>
          /the data provider is unavailable/.test(String(l.message)),
        );
        expect(line).toMatchObject({ level: 'error', username: 'alice', client_ip: '127.0.0.1' });
        expect(line.message).toMatch(
          /^login of user "alice" from 127\.0\.0\.1 refused: the data provider is unavailable: data provider error: connect ECONNREFUSED/,
        );
        // not a failed login of an attacker: fail2ban's line is not written for it
        expect(server.logs.filter((l) => l.sender === 'connection_failed')).toEqual([]);
        expect(await availability(metrics)).toBe(0);
        const status = await fetch(`${api}/providerstatus`);
        expect(status.status).toBe(500);
        expect(((await status.json()) as { error: string }).error).toMatch(/data provider/);

        // a session already open goes on: its files do not live in the database
        const data = randomBytes(50_000);
        await new Promise<void>((resolve, reject) =>
          session.writeFile('/during.bin', data, (e) => (e ? reject(e) : resolve())),
        );
        expect(Buffer.compare(await readFile(join(home, 'during.bin')), data)).toBe(0);

        await database.start();

        // the pool connects again at the next query: no restart
        await eventually(async () => expect(await availability(metrics)).toBe(1));
        expect((await fetch(`${api}/providerstatus`)).status).toBe(200);
        const after = await connectWithPassword(server.sshPort, 'alice', PASSWORD);
        after.end();
        before.end();
        // the server was not restarted
        expect(
          server.logs.filter((l) => /^SFTPGo \S+ started$/.test(String(l.message))),
        ).toHaveLength(1);
      }, 120_000);
    },
  );
}
