// A database server of a test's own, PostgreSQL or MariaDB, which the test
// may stop and start again: a new cluster in a temp dir, served on a free
// port of 127.0.0.1 by the server's own system account (neither server runs
// as root).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DatabaseServer, freePort } from '@sftpgo/test-utils';

const PG_ROOT = '/usr/lib/postgresql';
const MARIADBD = '/usr/sbin/mariadbd';
const MARIADB_INSTALL_DB = '/usr/bin/mariadb-install-db';

/** The directory of PostgreSQL's server programs, the newest version installed. */
function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(PG_ROOT, v, 'bin')).find((d) => existsSync(join(d, 'postgres')));
}

interface Account {
  uid: number;
  gid: number;
}

function systemAccount(name: string): Account | undefined {
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(execFileSync('id', [flag, name], { encoding: 'utf8' })),
    );
    return { uid: uid!, gid: gid! };
  } catch {
    return undefined;
  }
}

/** What differs between the two servers: how to make, run, probe and stop one. */
interface ServerKind {
  account: string;
  /** Why its programs are missing, if they are. */
  missing(): string | undefined;
  /** Makes an empty cluster in `data`. */
  init(data: string, account: Account): void;
  command(dir: string, data: string, port: number): [string, string[]];
  ready(port: number): boolean;
  url(port: number): URL;
  /** The signal of an administrator's clean, prompt shutdown. */
  stopSignal: NodeJS.Signals;
}

const KINDS: Record<DatabaseServer, ServerKind> = {
  postgresql: {
    account: 'postgres',
    missing: () =>
      postgresBinDir() ? undefined : `no PostgreSQL server programs under ${PG_ROOT}`,
    init(data, account) {
      execFileSync(
        join(postgresBinDir()!, 'initdb'),
        ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
        { ...account, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    },
    command: (dir, data, port) => [
      join(postgresBinDir()!, 'postgres'),
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir],
    ],
    ready: (port) =>
      spawnSync(join(postgresBinDir()!, 'pg_isready'), [
        '-q',
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
      ]).status === 0,
    url: (port) => new URL(`postgres://postgres@127.0.0.1:${port}/postgres`),
    // pg_ctl stop -m fast
    stopSignal: 'SIGINT',
  },
  mysql: {
    account: 'mysql',
    missing: () =>
      [MARIADBD, MARIADB_INSTALL_DB].every(existsSync)
        ? undefined
        : `no MariaDB server programs (${MARIADBD}, ${MARIADB_INSTALL_DB})`,
    init(data, account) {
      // "normal": root may log in over TCP without a password, as on the
      // machine's own server that the other tests use
      execFileSync(
        MARIADB_INSTALL_DB,
        [
          '--no-defaults',
          `--datadir=${data}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ],
        { ...account, stdio: ['ignore', 'ignore', 'pipe'] },
      );
    },
    command: (dir, data, port) => [
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mariadb.sock')}`,
        `--pid-file=${join(dir, 'mariadb.pid')}`,
        `--log-error=${join(dir, 'mariadb.err')}`,
        '--skip-log-bin',
      ],
    ],
    ready: (port) =>
      spawnSync('mariadb-admin', ['--host=127.0.0.1', `--port=${port}`, '--user=root', 'ping'], {
        stdio: 'ignore',
      }).status === 0,
    url: (port) => new URL(`mysql://root@127.0.0.1:${port}/mysql`),
    // mariadb-admin shutdown
    stopSignal: 'SIGTERM',
  },
};

/** Why a private server of this kind cannot run here, if it cannot. */
export function privateDatabaseUnavailable(server: DatabaseServer): string | undefined {
  const kind = KINDS[server];
  if (process.getuid?.() !== 0) return `running a server as the ${kind.account} account needs root`;
  const missing = kind.missing();
  if (missing) return missing;
  if (!systemAccount(kind.account)) return `no ${kind.account} system account`;
  return undefined;
}

export interface PrivateDatabase {
  readonly port: number;
  /** Its superuser's URL, for `createTestDatabase`. */
  readonly url: URL;
  /** Starts the server (again), and waits until it takes connections. */
  start(): Promise<void>;
  /**
   * Stops it as an administrator would and waits for its exit; SIGKILL after
   * 30 s. Nothing to do if it is stopped.
   */
  stop(): Promise<void>;
}

/**
 * Makes a cluster in `dir` (a new directory in a test's own temp dir, which
 * is made searchable for the server's account) and starts it.
 */
export async function createPrivateDatabase(
  server: DatabaseServer,
  dir: string,
): Promise<PrivateDatabase> {
  const kind = KINDS[server];
  const account = systemAccount(kind.account)!;
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  chmodSync(dirname(dir), 0o711);
  chownSync(dir, account.uid, account.gid);
  chownSync(data, account.uid, account.gid);
  kind.init(data, account);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
  const database: PrivateDatabase = {
    port,
    url: kind.url(port),
    async start() {
      const [program, args] = kind.command(dir, data, port);
      child = spawn(program, args, { ...account, stdio: 'ignore' });
      for (let waited = 0; waited < 30_000; waited += 200) {
        if (exited()) throw new Error(`${program} exited while starting`);
        if (kind.ready(port)) return;
        await sleep(200);
      }
      throw new Error(`${program} does not take connections after 30 s`);
    },
    async stop() {
      if (exited()) return;
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child!.kill(kind.stopSignal);
      const timer = setTimeout(() => child!.kill('SIGKILL'), 30_000);
      await gone;
      clearTimeout(timer);
    },
  };
  await database.start();
  return database;
}
