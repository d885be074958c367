import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '@sftpgo/test-utils';
import { outputOf, type RunResult } from './client-process.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const STDIO_SERVER = fileURLToPath(new URL('../src/sftp-server-stdio.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Absolute, so that the processes may run in any working directory.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** Node's arguments to run a TypeScript entry point with workspace packages from `src`. */
const RUN_TS = ['--conditions=@sftpgo/source', '--import', TSX];

/** The program and arguments that run `sftpgo <args>` from its TypeScript sources. */
export function sftpgoArgv(args: readonly string[]): string[] {
  return [process.execPath, ...RUN_TS, CLI, ...args];
}

/**
 * The `sftpgo` command run from its TypeScript sources, as a real process:
 * workspace packages resolve to their `src` through the source condition.
 */
export function spawnSftpgo(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd = ROOT,
): ChildProcess {
  const [node, ...argv] = sftpgoArgv(args);
  return spawn(node as string, argv, {
    cwd,
    // logs on stderr, where the tests read them, unless a test says otherwise
    env: { ...process.env, SFTPGO_LOG_FILE_PATH: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The command line of `sftpgo-sftp-server` run from its sources, serving
 * `dir`, for OpenSSH's `sftp -D`.
 */
export function stdioServerCommand(dir: string): string {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return [process.execPath, ...RUN_TS, STDIO_SERVER, '-d', dir].map(quote).join(' ');
}

/** Runs `sftpgo` to completion. */
export function runSftpgo(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunResult> {
  return outputOf(spawnSftpgo(args, env));
}

/** A running `sftpgo serve`, with the ports it reported and its log lines. */
export interface ServerProcess {
  readonly pid: number;
  readonly sshPort: number;
  readonly logs: Record<string, unknown>[];
  /** The first log line that `match` accepts, waiting up to 5 s for it to be written. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Sends `signal`, waits for the exit; SIGKILL after 15 s. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const running = new Set<ChildProcess>();
// A worker that dies mid-test still takes its servers down with it.
process.once('exit', () => killAllServers());

/** Kills, by PID, every server a test started and did not stop. */
export function killAllServers(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }
  running.clear();
}

/** Starts `sftpgo serve --config-dir <configDir>` and waits until SSH listens. */
export function startServer(
  configDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const child = spawnSftpgo(['serve', '--config-dir', configDir], env);
  running.add(child);
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  exited.then(() => running.delete(child));
  let pendingLine = '';
  let stderrText = '';
  let sshPort = 0;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the server did not start in 30 s')), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      reject(new Error(`${err.message}\n${stderrText}`));
    };
    const onEarlyExit = (code: number | null) =>
      fail(new Error(`the server exited with ${code} while starting`));
    child.on('close', onEarlyExit);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrText += chunk;
      const lines = (pendingLine + chunk.toString()).split('\n');
      pendingLine = lines.pop() ?? '';
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line));
        } catch {
          continue;
        }
        const message = String(logs.at(-1)?.message);
        const listening = /^SFTP server listening on .*:(\d+)$/.exec(message);
        if (listening) sshPort = Number(listening[1]);
        if (/^SFTPGo \S+ started$/.test(message)) {
          clearTimeout(timer);
          child.off('close', onEarlyExit);
          resolve({
            pid: child.pid!,
            sshPort,
            logs,
            async waitForLog(match) {
              for (let waited = 0; ; waited += 50) {
                const line = logs.find(match);
                if (line) return line;
                if (waited >= 5000) throw new Error('no such log line in 5 s');
                await new Promise((r) => setTimeout(r, 50));
              }
            },
            async stop(signal = 'SIGTERM') {
              if (child.exitCode !== null) return child.exitCode;
              child.kill(signal);
              const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
              const code = await exited;
              clearTimeout(killer);
              return code;
            },
          });
        }
      }
    });
  });
}

/**
 * Writes a configuration with SSH on a free port and the REST API on another,
 * both on 127.0.0.1 (SSH on the `sftpd.bind_address` given, if any), and the
 * other `sftpd` and `data_provider` keys given,
 * into `configDir`, and starts the server there with `env` added to its
 * environment.
 */
export async function startLoopbackServer(
  configDir: string,
  sftpd: Record<string, unknown> = {},
  dataProvider: Record<string, unknown> = {},
  httpd: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<{ server: ServerProcess; api: string }> {
  const httpPort = await freePort();
  await writeFile(
    join(configDir, 'sftpgo.json'),
    JSON.stringify({
      sftpd: { bind_address: '127.0.0.1', ...sftpd, bind_port: 0 },
      data_provider: dataProvider,
      httpd: { ...httpd, bind_port: httpPort, bind_address: '127.0.0.1' },
    }),
  );
  const scheme = httpd.certificate_file ? 'https' : 'http';
  return {
    server: await startServer(configDir, env),
    api: `${scheme}://127.0.0.1:${httpPort}/api/v1`,
  };
}

/** Adds a user through the REST API; throws unless the API accepts it. */
export async function addUser(api: string, user: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${api}/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // enabled unless the test says otherwise: the API disables a user sent without status
    body: JSON.stringify({ status: 1, ...user }),
  });
  if (res.status !== 200) throw new Error(`adding a user: ${res.status} ${await res.text()}`);
}
