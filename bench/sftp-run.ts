// Runs client commands, timed: any command, and `sftp -D SERVER -b BATCH`
// with the server wrapped in GNU time for its peak RSS. Every client is the
// leader of its own process group, so that stopping it also stops what it
// started (the ssh under sftp, or the server under sftp -D).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** What one run of a client command gave. */
export interface ClientRun {
  /** Wall-clock time of the whole command. */
  readonly seconds: number;
  readonly stderr: string;
  /** The client's output, when asked for; otherwise it goes to /dev/null. */
  readonly stdout: string | undefined;
}

/** What one run of the sftp client measured. */
export interface SftpRun extends ClientRun {
  /** Peak RSS of the server process, in KiB, as GNU time reports it. */
  readonly rssKiB: number | undefined;
}

export interface SftpRunOptions {
  /** The server command line, as `sftp -D` takes it. */
  readonly server: readonly string[];
  /** Path of the batch file given to `sftp -b`. */
  readonly batchFile: string;
  /** When set, the server runs under `/usr/bin/time` writing its peak RSS there. */
  readonly rssFile?: string;
  readonly captureStdout?: boolean;
  readonly timeoutMs: number;
}

const running = new Set<ChildProcess>();

/** Quotes one word for the `-D` string, which sftp splits as a shell would. */
function quote(word: string): string {
  if (/^[\w./%=:@+,-]+$/.test(word)) return word;
  if (word.includes("'")) throw new Error(`cannot quote ${JSON.stringify(word)} for sftp -D`);
  return `'${word}'`;
}

/** The `-D` argument of sftp: the server, wrapped in GNU time when RSS is wanted. */
export function directCommand(server: readonly string[], rssFile?: string): string {
  const words = rssFile ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...server] : server;
  return words.map(quote).join(' ');
}

async function readRss(rssFile: string): Promise<number | undefined> {
  try {
    // GNU time may write "Command exited with non-zero status N" first.
    const lines = (await readFile(rssFile, 'utf8')).trim().split('\n');
    const kib = Number(lines.at(-1));
    return Number.isFinite(kib) ? kib : undefined;
  } catch {
    return undefined;
  } finally {
    await rm(rssFile, { force: true });
  }
}

/**
 * Spawns a client as the leader of its own process group, remembered until it
 * exits so that {@link stopAllClients} can stop it and whatever it started.
 */
export function spawnClient(
  argv: readonly string[],
  stdio: readonly ('ignore' | 'pipe')[],
): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: stdio as ('ignore' | 'pipe')[],
  });
  running.add(child);
  child.once('close', () => running.delete(child));
  return child;
}

/** Runs a client command once and fails unless it exits with status 0 in time. */
export async function runClient(
  argv: readonly string[],
  options: { readonly captureStdout?: boolean; readonly timeoutMs: number },
): Promise<ClientRun> {
  const start = performance.now();
  const child = spawnClient(argv, ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe']);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => killGroup(child), options.timeoutMs);
  const status = await new Promise<number | string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  }).finally(() => clearTimeout(timer));
  const seconds = (performance.now() - start) / 1000;
  if (status !== 0) {
    const command = argv.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
    throw new Error(`${command} exited with ${status} after ${seconds.toFixed(1)} s:\n${stderr}`);
  }
  return { seconds, stderr, stdout: options.captureStdout ? stdout : undefined };
}

/** Runs the sftp client once and fails unless it exits with status 0 in time. */
export async function runSftp(options: SftpRunOptions): Promise<SftpRun> {
  const args = ['-D', directCommand(options.server, options.rssFile), '-b', options.batchFile];
  const run = await runClient(['sftp', ...args], options);
  const rssKiB = options.rssFile ? await readRss(options.rssFile) : undefined;
  return { ...run, rssKiB };
}

export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Stops every client still running, and whatever each one started. */
export function stopAllClients(): void {
  for (const child of running) killGroup(child);
  running.clear();
}
