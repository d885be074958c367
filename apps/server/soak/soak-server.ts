// The server a soak run loads: `sftpgo serve` (this repository's build) in a
// directory of its own on 127.0.0.1, on SQLite or on a fresh PostgreSQL
// database, with the users the run's sessions log in as.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  databaseServerUrl,
  freePort,
  type TestDatabase,
} from '@sftpgo/test-utils';
import { addUser } from '../test/server-process.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export type SoakProvider = 'sqlite' | 'postgresql';

/** The accounts of a run: all log in with `keyFile`; `password` is also the loaded user's. */
export interface SoakUsers {
  /** The user every SFTP and SCP session loops as. */
  readonly loaded: string;
  /** The user whose sessions the REST API closes. */
  readonly closed: string;
  readonly password: string;
  readonly keyFile: string;
  readonly privateKey: Buffer;
}

export interface SoakServer {
  readonly pid: number;
  readonly sshPort: number;
  readonly api: string;
  readonly home: string;
  readonly users: SoakUsers;
  /** Where the server writes its log. */
  readonly logFile: string;
  /**
   * SIGTERM, then SIGKILL after 15 s, by PID; drops the PostgreSQL database.
   * How it ended: `exit 0`, `exit N` or `killed by SIGKILL`.
   */
  stop(): Promise<string>;
}

async function waitForApi(api: string, child: ChildProcess, log: string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 200) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(`sftpgo serve exited while starting:\n${tail}`);
    }
    const up = await fetch(`${api}/api/v1/version`).then(
      (res) => res.ok,
      () => false,
    );
    if (up) return;
    await sleep(200);
  }
  throw new Error('the REST API does not answer after 60 s');
}

async function database(provider: SoakProvider): Promise<TestDatabase | undefined> {
  if (provider === 'sqlite') return undefined;
  const { url, skipReason } = databaseServerUrl('postgresql');
  if (!url) throw new Error(`the postgresql provider needs a server: ${skipReason}`);
  return createTestDatabase('postgresql', url);
}

/** Starts the server in `dir` with the two users of a run, homes under `dir/homes`. */
export async function startSoakServer(dir: string, provider: SoakProvider): Promise<SoakServer> {
  const db = await database(provider);
  const home = join(dir, 'homes');
  await mkdir(home, { recursive: true });
  const keyFile = join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').trim();
  const sshPort = await freePort();
  const httpPort = await freePort();
  await writeFile(
    join(dir, 'sftpgo.json'),
    JSON.stringify({
      sftpd: {
        bind_address: '127.0.0.1',
        bind_port: sshPort,
        enabled_ssh_commands: ['md5sum', 'sha1sum', 'sha256sum', 'cd', 'pwd', 'scp'],
      },
      httpd: { bind_address: '127.0.0.1', bind_port: httpPort },
      data_provider: db
        ? {
            driver: 'postgresql',
            name: db.name,
            host: db.host,
            port: db.port,
            username: db.username,
            password: db.password,
            track_quota: 1,
          }
        : { driver: 'sqlite', name: 'sftpgo.db', track_quota: 1 },
    }),
  );
  const logFile = join(dir, 'sftpgo.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--config-dir', dir, '--log-file-path', logFile, '--log-verbose=false'],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);
  const ended = () =>
    child.signalCode ? `killed by ${child.signalCode}` : `exit ${child.exitCode}`;
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return `${ended()} before the end`;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    return ended();
  };
  // a run that throws or is interrupted still stops the server, by its PID
  const lastResort = () => child.kill('SIGKILL');
  process.once('exit', lastResort);
  const api = `http://127.0.0.1:${httpPort}`;
  const users: SoakUsers = {
    loaded: 'soak',
    closed: 'soak-closed',
    password: 'soak-password-1',
    keyFile,
    privateKey: readFileSync(keyFile),
  };
  try {
    await waitForApi(api, child, logFile);
    await addUser(`${api}/api/v1`, {
      username: users.loaded,
      permissions: { '/': ['*'] },
      password: users.password,
      public_keys: [publicKey],
      home_dir: join(home, users.loaded),
    });
    await addUser(`${api}/api/v1`, {
      username: users.closed,
      permissions: { '/': ['*'] },
      public_keys: [publicKey],
      home_dir: join(home, users.closed),
    });
  } catch (err) {
    await stopChild();
    await db?.drop();
    throw err;
  }
  return {
    pid: child.pid!,
    sshPort,
    api,
    home,
    users,
    logFile,
    async stop() {
      const how = await stopChild();
      process.removeListener('exit', lastResort);
      await db?.drop();
      return how;
    },
  };
}
