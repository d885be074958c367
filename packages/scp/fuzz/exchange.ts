import { PassThrough, type Readable } from 'node:stream';
import type { Fs } from '@sftpgo/vfs';
import { runScp, type ScpOptions, type ScpResult } from '../src/index.js';
import { channelPair } from './channel.js';
import { type DeliveryPlan, deliver } from './delivery.js';

// One run of runScp between in-memory streams: the client's bytes go in as
// planned, what comes out is watched for a marker, and the run must settle
// in time with an outcome of the documented shape.

export interface ExchangeCheck {
  readonly options: ScpOptions;
  readonly plan: DeliveryPlan;
  readonly fs: Fs;
  /** Bytes that must never reach the client. */
  readonly marker: Buffer;
  /** Whether the run gets a stderr stream, as an SSH channel has. */
  readonly withStderr: boolean;
  /** Whether the client takes the server's writes slowly (see {@link channelPair}). */
  readonly slowClient: boolean;
  readonly timeoutMs: number;
}

/** Notes whether `marker` passes through `stream`, even split across chunks. */
function watchFor(stream: Readable, marker: Buffer): () => boolean {
  let seen = false;
  let tail = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    const joined = Buffer.concat([tail, chunk]);
    if (joined.includes(marker)) seen = true;
    tail = joined.subarray(Math.max(0, joined.length - marker.length + 1));
  });
  return () => seen;
}

type Settled =
  | { readonly kind: 'resolved'; readonly value: ScpResult }
  | { readonly kind: 'rejected'; readonly error: unknown }
  | { readonly kind: 'timeout' };

async function settleWithin(run: Promise<ScpResult>, ms: number): Promise<Settled> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), ms);
  });
  try {
    return await Promise.race([
      run.then(
        (value): Settled => ({ kind: 'resolved', value }),
        (error: unknown): Settled => ({ kind: 'rejected', error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What is wrong with how runScp settled. It resolves with 0 and no error, or
 * 1 and an error; a rejection passes when it is an Error that says something.
 */
function outcomeProblem(settled: Settled): string | undefined {
  if (settled.kind === 'rejected') {
    const err = settled.error;
    return err instanceof Error && err.message !== ''
      ? undefined
      : `runScp rejected with ${String(err)}`;
  }
  if (settled.kind === 'timeout') return undefined;
  const { exitCode, error } = settled.value;
  if (exitCode === 0 && error === undefined) return undefined;
  // The error may be empty: it is the client's own message when the client ended the transfer.
  if (exitCode === 1 && typeof error === 'string') return undefined;
  return `runScp resolved with ${JSON.stringify(settled.value)}`;
}

/** Runs one transfer; the problems found, none when the engine behaved. */
export async function exchange(check: ExchangeCheck): Promise<string[]> {
  const { server, client } = channelPair(check.slowClient);
  // The channel's owner listens for its errors (writes after a lost
  // connection fail), also once runScp has let go of it.
  server.on('error', () => {});
  client.on('error', () => {});
  const clientSaw = watchFor(client, check.marker);
  const stderr = check.withStderr ? new PassThrough() : undefined;
  const stderrSaw = stderr ? watchFor(stderr, check.marker) : () => false;

  const run = runScp(check.options, { input: server, output: server, stderr }, check.fs);
  const delivered = deliver(check.plan, client, server);
  const problems: string[] = [];
  let settled = await settleWithin(run, check.timeoutMs);
  if (settled.kind === 'timeout') {
    problems.push(`runScp did not settle within ${check.timeoutMs} ms`);
    // Lose the connection: a hung engine must give up then, and the case can clean up.
    server.destroy();
    settled = await settleWithin(run, 1000);
    if (settled.kind === 'timeout') {
      problems.push('runScp did not settle after the connection was lost');
    }
  }
  const problem = outcomeProblem(settled);
  if (problem) problems.push(problem);
  await delivered;
  // The caller closes the channel once the command ends, as sftpd does.
  server.end();
  if (clientSaw() || stderrSaw()) problems.push('the sentinel file was sent to the client');
  return problems;
}
