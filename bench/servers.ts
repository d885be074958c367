// The two servers under test, each started in its own directory on 127.0.0.1
// with a free port: `sftpgo serve` (this repository's build) and a private
// OpenSSH sshd. Both serve the same directory to the same key.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { scriptNodeFlags } from '../apps/server/src/script-node-flags.js';
import { freePort } from '../packages/test-utils/src/ports.js';
import { descendantPids } from '../packages/test-utils/src/processes.js';
import { childrenOf, cpuSeconds, descendants, waitForNoChildren } from './proc-stats.js';

const CLI = fileURLToPath(new URL('../apps/server/dist/cli.js', import.meta.url));

export const SSHD = '/usr/sbin/sshd';
/** sshd's privilege separation directory, compiled in; systemd makes it at boot. */
const PRIVSEP_DIR = '/run/sshd';

export type ServerKey = 'sshd' | 'ours';

export interface ServerUnderTest {
  readonly key: ServerKey;
  /** The process whose CPU time and children are measured. */
  readonly pid: number;
  readonly port: number;
  readonly user: string;
  /** Where the served directory is for a client: `cd` there, then paths are relative. */
  readonly home: string;
  /** Why rsync cannot be measured on this server, if it cannot. */
  readonly rsyncMissing: string | undefined;
  /**
   * The processes that hold sessions: the server itself (with its workers),
   * or sshd's per-session processes.
   */
  sessionProcesses(): Promise<number[]>;
  /**
   * CPU seconds the server has used so far, its session processes with it:
   * once they have exited and been reaped (sshd's), or while they live (our
   * workers). Read after {@link settle}.
   */
  cpuSeconds(): Promise<number>;
  /** Waits until the sessions of a run have left; false if some are still there after 10 s. */
  settle(): Promise<boolean>;
  /** Stops the server, and for sshd every session process still there, by PID. */
  stop(): Promise<void>;
}

/** Waits until `port` accepts connections; fails if `child` exits first or after 60 s. */
async function listening(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-5);
      throw new Error(`${child.spawnfile} exited while starting:\n${tail.join('\n')}`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on port ${port} after 60 s`);
}

/** SIGTERM, then SIGKILL for what is left after 15 s; each process by its PID. */
async function stopPids(pids: readonly number[]): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  for (let waited = 0; waited < 15_000 && pids.some(alive); waited += 100) await sleep(100);
  for (const pid of pids.filter(alive)) signal(pid, 'SIGKILL');
}

/** Whether `pid` still runs: an exited child that its parent has not reaped yet does not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Servers started and not yet stopped, with the privilege separation dir if it was made here. */
const started = new Set<ChildProcess>();
let madePrivsep = false;

/** Spawns a server with its output appended to `log`, remembering it for {@link stopAllServers}. */
function spawnServer(argv: readonly string[], log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/**
 * Last resort, on any exit: SIGKILL, by PID, to every server still running
 * and every process under it (sshd's sessions outlive their listener).
 */
export function stopAllServers(): void {
  for (const child of started) {
    if (child.pid === undefined) continue;
    for (const pid of [child.pid, ...descendantPids(child.pid)]) signal(pid, 'SIGKILL');
  }
  started.clear();
  if (madePrivsep) {
    madePrivsep = false;
    try {
      rmdirSync(PRIVSEP_DIR);
    } catch {
      // not empty, or gone
    }
  }
}

const SSH_COMMANDS = ['md5sum', 'sha256sum', 'cd', 'pwd', 'scp'];

async function launchOurs(
  dir: string,
  ports: { ssh: number; http: number },
  rsync: boolean,
  nodeArgs: readonly string[],
  workers: number,
) {
  const { ssh: sshPort, http: httpPort } = ports;
  await writeFile(
    join(dir, 'sftpgo.json'),
    JSON.stringify({
      sftpd: {
        bind_address: '127.0.0.1',
        bind_port: sshPort,
        enabled_ssh_commands: rsync ? [...SSH_COMMANDS, 'rsync'] : SSH_COMMANDS,
        workers,
      },
      httpd: { bind_address: '127.0.0.1', bind_port: httpPort },
    }),
  );
  const log = join(dir, 'sftpgo.log');
  const argv = [
    process.execPath,
    // as the installed command runs: with the flags of the script's first line
    ...scriptNodeFlags(CLI),
    ...nodeArgs,
    CLI,
    'serve',
    '--config-dir',
    dir,
  ];
  // Info lines to a file, as a production server would keep them.
  const child = spawnServer([...argv, '--log-file-path', log, '--log-verbose=false'], log);
  await listening(sshPort, child, log);
  await listening(httpPort, child, log);
  return child;
}

/**
 * `sftpgo serve` on the embedded SQLite default, with one user, `bench`,
 * whose home is `root` and who logs in with `publicKey`. rsync is enabled
 * when the sandbox it needs is available; otherwise the reason is kept.
 * `nodeArgs` go to node before the script, such as `--cpu-prof`;
 * `workers` is `sftpd.workers`.
 */
export async function startOurs(
  dir: string,
  root: string,
  publicKey: string,
  nodeArgs: readonly string[] = [],
  workers = 1,
): Promise<ServerUnderTest> {
  await mkdir(dir, { recursive: true });
  const ports = { ssh: await freePort(), http: await freePort() };
  let rsyncMissing: string | undefined;
  let child: ChildProcess;
  try {
    child = await launchOurs(dir, ports, true, nodeArgs, workers);
  } catch (err) {
    rsyncMissing = `sftpgo serve does not start with rsync enabled: ${(err as Error).message}`;
    child = await launchOurs(dir, ports, false, nodeArgs, workers);
  }
  const res = await fetch(`http://127.0.0.1:${ports.http}/api/v1/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      username: 'bench',
      status: 1,
      public_keys: [publicKey.trim()],
      home_dir: root,
      permissions: { '/': ['*'] },
    }),
  });
  if (res.status !== 200) throw new Error(`adding the user: ${res.status} ${await res.text()}`);
  const pid = child.pid!;
  return {
    key: 'ours',
    pid,
    port: ports.ssh,
    user: 'bench',
    home: '/',
    rsyncMissing,
    // the workers live as long as the server: their own times, read while they run
    sessionProcesses: async () => [pid, ...(await descendants(pid))],
    async cpuSeconds() {
      const each = await Promise.all([pid, ...(await descendants(pid))].map(cpuSeconds));
      return each.reduce((a, b) => a + b, 0);
    },
    // the programs that sessions run (rsync) have exited: the server's, or each worker's
    async settle() {
      const parents = workers === 1 ? [pid] : await childrenOf(pid);
      return (await Promise.all(parents.map((p) => waitForNoChildren(p)))).every(Boolean);
    },
    stop: () => stopPids([pid]),
  };
}

/**
 * OpenSSH's sshd with a configuration of its own: a generated host key, the
 * client's key as root's only authorized key, internal-sftp, no PAM. Root
 * logs in and `cd`s to `root`. Needs to run as root.
 */
export async function startSshd(
  dir: string,
  root: string,
  publicKeyFile: string,
): Promise<ServerUnderTest> {
  await mkdir(dir, { recursive: true });
  if (!existsSync(PRIVSEP_DIR)) {
    await mkdir(PRIVSEP_DIR, { mode: 0o755 });
    madePrivsep = true;
  }
  const hostKey = join(dir, 'host_ed25519');
  const keygen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  if (keygen.status !== 0) throw new Error(`ssh-keygen: ${keygen.stderr}`);
  await copyFile(publicKeyFile, join(dir, 'authorized_keys'));
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'Subsystem sftp internal-sftp',
      // The default, 10:30:100, drops connections beyond ten unauthenticated ones.
      'MaxStartups 1000',
      '',
    ].join('\n'),
  );
  const log = join(dir, 'sshd.log');
  // -D: stays in the foreground, so that its PID is ours to stop; -e: logs to stderr.
  const child = spawnServer([SSHD, '-D', '-e', '-f', config], log);
  await listening(port, child, log);
  const pid = child.pid!;
  return {
    key: 'sshd',
    pid,
    port,
    user: 'root',
    home: root,
    rsyncMissing: undefined,
    sessionProcesses: () => descendants(pid),
    cpuSeconds: () => cpuSeconds(pid),
    settle: () => waitForNoChildren(pid),
    async stop() {
      // Session processes outlive the listener: stop them too, each by PID.
      await stopPids([pid, ...(await descendants(pid))]);
      if (madePrivsep) await rmdir(PRIVSEP_DIR).catch(() => {});
      madePrivsep = false;
    },
  };
}
