// Many authenticated SFTP sessions held open and idle: are they all served,
// and what does each one cost the server in memory? Each session is one
// `ssh -s ... sftp` process: the benchmark sends SSH_FXP_INIT on its stdin
// and waits for SSH_FXP_VERSION on its stdout, which only a served sftp
// subsystem answers, then leaves it idle until all are open.
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { memoryOf } from './proc-stats.js';
import type { ServerUnderTest } from './servers.js';
import { killGroup, spawnClient } from './sftp-run.js';

/** uint32 length 5 / byte SSH_FXP_INIT (1) / uint32 version 3 */
const SSH_FXP_INIT = Buffer.from([0, 0, 0, 5, 1, 0, 0, 0, 3]);
const SSH_FXP_VERSION = 2;
/** Logins under way at once while the sessions are opened. */
const PARALLEL = 8;

export interface IdleResult {
  readonly requested: number;
  /** Sessions that answered SSH_FXP_INIT and stayed open. */
  readonly served: number;
  /** Seconds to open them all. */
  readonly openSeconds: number;
  /** RSS and PSS of the session processes before and with the sessions open, in KiB. */
  readonly before: { readonly rss: number; readonly pss: number };
  readonly after: { readonly rss: number; readonly pss: number };
  /** Why opening stopped early, if it did. */
  readonly failure: string | undefined;
}

/** Opens one session; resolves with its ssh process once the server's SSH_FXP_VERSION is back. */
function openSession(argv: readonly string[], timeoutMs: number): Promise<ChildProcess> {
  const child = spawnClient(argv, ['pipe', 'pipe', 'pipe']);
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    let stderr = '';
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) return resolve(child);
      killGroup(child);
      reject(new Error(`${err.message}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    };
    const timer = setTimeout(
      () => done(new Error(`no answer in ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < 5) return;
      const type = got[4];
      done(type === SSH_FXP_VERSION ? undefined : new Error(`packet type ${type}, not VERSION`));
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.once('close', (code) => done(new Error(`ssh exited with ${code}`)));
    child.stdin!.on('error', () => {}); // EPIPE when ssh has gone: reported by close
    child.stdin!.write(SSH_FXP_INIT);
  });
}

/** Opens up to `count` sessions, `PARALLEL` at a time, until the first failure or `deadline`. */
async function openMany(argv: readonly string[], count: number, deadline: number) {
  const open: ChildProcess[] = [];
  let failure: string | undefined;
  let started = 0;
  const opener = async () => {
    while (started < count && failure === undefined) {
      const left = deadline - performance.now();
      if (left <= 0) {
        failure ??= `${open.length} sessions open when time ran out`;
        return;
      }
      started++;
      try {
        open.push(await openSession(argv, Math.min(60_000, left)));
      } catch (err) {
        failure ??= `session ${started}: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, opener));
  return { open, failure };
}

/** Ends each session's input, waits up to 30 s for them to exit, then kills what is left. */
async function closeAll(sessions: readonly ChildProcess[]): Promise<void> {
  const running = sessions.filter((c) => c.exitCode === null && c.signalCode === null);
  const closed = Promise.all(
    running.map((c) => new Promise((resolve) => c.once('close', resolve))),
  );
  for (const child of running) child.stdin?.end();
  await Promise.race([closed, sleep(30_000)]);
  for (const child of running) killGroup(child);
}

/**
 * Opens `count` idle sessions, stopping at the first failure or after
 * `timeoutMs`, and measures the memory of the server's session processes
 * with them open; then closes them all. A first round of `PARALLEL`
 * sessions, opened and closed before the baseline, loads what any session
 * needs once.
 */
export async function idleSessions(
  server: ServerUnderTest,
  argv: readonly string[],
  count: number,
  timeoutMs: number,
): Promise<IdleResult> {
  const deadline = performance.now() + timeoutMs;
  const warmUp = await openMany(argv, PARALLEL, deadline);
  await closeAll(warmUp.open);
  await sleep(1000);
  const before = await memoryOf(await server.sessionProcesses());
  const start = performance.now();
  const { open, failure } = await openMany(argv, count, deadline);
  const openSeconds = (performance.now() - start) / 1000;
  // Idle for a moment: login buffers freed, a garbage collection or two.
  await sleep(3000);
  const after = await memoryOf(await server.sessionProcesses());
  const served = open.filter((c) => c.exitCode === null && c.signalCode === null).length;
  await closeAll(open);
  return {
    requested: count,
    served,
    openSeconds,
    before,
    after,
    failure: warmUp.failure ?? failure,
  };
}
