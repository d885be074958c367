// A PostgreSQL server of a test's own, which the test may stop and start
// again: initdb into a temp dir and `postgres` on a free port of 127.0.0.1,
// run as the `postgres` system account (the server refuses to run as root).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@sftpgo/test-utils';

const PG_ROOT = '/usr/lib/postgresql';

/** The directory of PostgreSQL's server programs, the newest version installed. */
function binDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(PG_ROOT, v, 'bin')).find((d) => existsSync(join(d, 'postgres')));
}

function postgresAccount(): { uid: number; gid: number } | undefined {
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })),
    );
    return { uid: uid!, gid: gid! };
  } catch {
    return undefined;
  }
}

/** Why a private server cannot run here, if it cannot. */
export function privatePostgresUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'running a server as the postgres account needs root';
  if (!binDir()) return `no PostgreSQL server programs under ${PG_ROOT}`;
  if (!postgresAccount()) return 'no postgres system account';
  return undefined;
}

export interface PrivatePostgres {
  readonly port: number;
  /** Its superuser's URL, for `createTestDatabase`. */
  readonly url: URL;
  /** Starts the server (again), and waits until it takes connections. */
  start(): Promise<void>;
  /**
   * Stops it as an administrator would (`pg_ctl stop -m fast`: SIGINT) and
   * waits for its exit; SIGKILL after 30 s. Nothing to do if it is stopped.
   */
  stop(): Promise<void>;
}

/**
 * Makes a cluster in `dir` (a new directory in a test's own temp dir, which
 * is made searchable for the postgres account) with a database named
 * `database`, and starts it.
 */
export async function createPrivatePostgres(dir: string): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const account = postgresAccount()!;
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true, mode: 0o700 });
  chmodSync(dirname(dir), 0o711);
  chownSync(dir, account.uid, account.gid);
  chownSync(data, account.uid, account.gid);
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    ...account,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
  const stopWith = async (signal: NodeJS.Signals, waitMs: number) => {
    if (exited()) return;
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill(signal);
    const timer = setTimeout(() => child!.kill('SIGKILL'), waitMs);
    await gone;
    clearTimeout(timer);
  };
  const server: PrivatePostgres = {
    port,
    url: new URL(`postgres://postgres@127.0.0.1:${port}/postgres`),
    async start() {
      child = spawn(
        join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir],
        { ...account, stdio: 'ignore' },
      );
      for (let waited = 0; waited < 30_000; waited += 200) {
        if (exited()) throw new Error('postgres exited while starting');
        const ready = spawnSync(join(bin, 'pg_isready'), [
          '-q',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
        ]);
        if (ready.status === 0) return;
        await sleep(200);
      }
      throw new Error('postgres does not take connections after 30 s');
    },
    stop: () => stopWith('SIGINT', 30_000),
  };
  await server.start();
  return server;
}
