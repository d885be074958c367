// Runs one `sftp -D SERVER -b BATCH` command, timed, with the server wrapped
// in GNU time for its peak RSS. Every sftp process is the leader of its own
// process group, so that stopping it also stops the server it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

/** What one run of the sftp client measured. */
export interface SftpRun {
  /** Wall-clock time of the whole sftp command, server start and exit included. */
  readonly seconds: number;
  /** Peak RSS of the server process, in KiB, as GNU time reports it. */
  readonly rssKiB: number | undefined;
  readonly stderr: string;
  /** The client's output, when asked for; otherwise it goes to /dev/null. */
  readonly stdout: string | undefined;
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

/** Runs the sftp client once and fails unless it exits with status 0 in time. */
export async function runSftp(options: SftpRunOptions): Promise<SftpRun> {
  const args = ['-D', directCommand(options.server, options.rssFile), '-b', options.batchFile];
  const start = performance.now();
  const child = spawn('sftp', args, {
    detached: true,
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  running.add(child);
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
  }).finally(() => {
    clearTimeout(timer);
    running.delete(child);
  });
  const seconds = (performance.now() - start) / 1000;
  const rssKiB = options.rssFile ? await readRss(options.rssFile) : undefined;
  if (status !== 0) {
    throw new Error(
      `sftp -D ${JSON.stringify(args[1])} exited with ${status} after ${seconds.toFixed(1)} s:\n${stderr}`,
    );
  }
  return { seconds, rssKiB, stderr, stdout: options.captureStdout ? stdout : undefined };
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Stops every sftp client still running, and the server each one started. */
export function stopAllSftp(): void {
  for (const child of running) killGroup(child);
  running.clear();
}
