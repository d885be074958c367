// One fuzz case: a real program gives a hostile or broken reply to
// `keyboardInteractiveLogin` or `runExternalAuth`, called as the server
// calls them, and the outcome is checked against the spec's verdict on that
// reply: a login only on a valid acceptance of the same user, only
// LoginError as a refusal, settled within the timeout, the heap bounded,
// and the program gone.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { User } from '@sftpgo/provider';
import { type FuzzRandom, fuzzString } from '@sftpgo/test-utils';
import { type ExternalAuthRequest, runExternalAuth } from '../src/external-auth.js';
import { type Challenge, keyboardInteractiveLogin } from '../src/keyboard-interactive.js';
import { LoginError } from '../src/login.js';
import { accountUser } from '../src/user-source.js';
import { HeapPeak, ProcessErrors } from './process-watch.js';
import { externalReply, keyboardInteractiveReply, type Reply } from './replies.js';
import {
  type Behaviour,
  killProcesses,
  leftoverProcesses,
  type ReplyProgram,
  writeReplyProgram,
} from './reply-program.js';
import { externalVerdict, keyboardInteractiveVerdict, type Verdict } from './reply-verdicts.js';

const MIB = 1024 * 1024;

export interface AuthReplyCaseOptions {
  /** Where the cases write their programs: each uses a directory of its own there, and removes it. */
  readonly root: string;
  /** The timeout given to a login whose program never ends by itself. */
  readonly hangMs: number;
  /** How far the heap may climb during one case. */
  readonly maxHeapGrowthMiB: number;
}

/** The timeout of a login whose program ends by itself: it is never reached. */
const ENDING_PROGRAM_MS = 10_000;
/** Past its timeout, a login has this long to settle: killing and reaping on a loaded machine. */
const SETTLE_MARGIN_MS = 5_000;
/** How long a killed program may take to be gone. */
const LEFTOVER_WAIT_MS = 3_000;

const endsByItself = (b: Behaviour) => b.kind !== 'hang' && b.kind !== 'flood';

/** How a login call ended, and what it left. */
interface Attempt<T> {
  /** Undefined when the call did not settle within its bound. */
  readonly outcome:
    | { readonly ok: true; readonly value: T }
    | { ok: false; error: unknown }
    | undefined;
  readonly problems: string[];
}

/**
 * Makes the case function of the auth-replies fuzzer. The returned `close`
 * removes its process listeners and gives the errors that reached the
 * process after the last case; the caller removes `root`.
 */
export function authReplyCase(options: AuthReplyCaseOptions): {
  run: (r: FuzzRandom, caseSeed: number) => Promise<void>;
  close: () => unknown[];
} {
  const processErrors = new ProcessErrors();

  /** Calls `call` on `program`'s reply and checks what every login must do, whatever the reply. */
  async function attempt<T>(
    program: ReplyProgram,
    timeoutMs: number,
    call: () => Promise<T>,
  ): Promise<Attempt<T>> {
    const problems: string[] = [];
    const heap = new HeapPeak();
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (error) {
      problems.push('threw instead of rejecting');
      promise = Promise.reject(error);
    }
    const bound = timeoutMs + SETTLE_MARGIN_MS;
    const guard = new AbortController();
    const outcome = await Promise.race([
      promise.then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      sleep(bound, undefined, { signal: guard.signal }).catch(() => undefined),
    ]);
    guard.abort();
    const growth = heap.stop();
    if (outcome === undefined) problems.push(`did not settle within ${bound} ms`);
    if (outcome?.ok === false && !(outcome.error instanceof LoginError)) {
      problems.push(`rejected with ${String((outcome.error as Error)?.stack ?? outcome.error)}`);
    }
    if (growth > options.maxHeapGrowthMiB * MIB) {
      problems.push(`heap grew by ${Math.round(growth / MIB)} MiB`);
    }
    const left = await leftoverProcesses(program, LEFTOVER_WAIT_MS);
    killProcesses(left);
    if (left.length > 0) problems.push(`processes left running: ${left.join(', ')}`);
    for (const err of processErrors.take()) {
      problems.push(`reached the process: ${String((err as Error)?.stack ?? err)}`);
    }
    return { outcome, problems };
  }

  /** The problems of an outcome judged against the spec's verdict. */
  function judge(attempt: Attempt<unknown>, verdict: Verdict, reply: Reply): string[] {
    const { outcome } = attempt;
    const problems = [...attempt.problems];
    if (outcome?.ok && verdict === 'refuse') problems.push('logged in on a reply it must refuse');
    if (outcome?.ok === false && verdict === 'accept' && endsByItself(reply.behaviour)) {
      problems.push(`refused a valid acceptance: ${(outcome.error as Error)?.message}`);
    }
    return problems;
  }

  async function keyboardInteractiveCase(r: FuzzRandom, dir: string): Promise<string[]> {
    const reply = keyboardInteractiveReply(r);
    const user = fuzzUser(r);
    const { verdict, rounds } = keyboardInteractiveVerdict(reply.bytes, reply.behaviour, [
      user.username,
      user.password,
    ]);
    const program = await writeReplyProgram(dir, reply.bytes, reply.behaviour);
    const asked: string[][] = [];
    const askProblems = new Set<string>();
    const slowClient = r.chance(0.2);
    const ask = async (challenge: Challenge) => {
      askProblems.add(challengeProblem(challenge) ?? '');
      asked.push(challenge.questions.map((q) => q.prompt));
      if (slowClient) await sleep(r.int(20));
      return challenge.questions.map(() => fuzzString(r, 12));
    };
    const timeoutMs = endsByItself(reply.behaviour) ? ENDING_PROGRAM_MS : options.hangMs;
    const result = await attempt(program, timeoutMs, () =>
      keyboardInteractiveLogin(program.path, user, ask, timeoutMs),
    );
    const problems = judge(result, verdict, reply);
    askProblems.delete('');
    problems.push(...askProblems);
    if (result.outcome?.ok && verdict === 'accept' && !sameRounds(asked, rounds)) {
      problems.push(`asked ${JSON.stringify(asked)}, not ${JSON.stringify(rounds)}`);
    }
    return problems.map((p) => `keyboard-interactive, ${reply.label}: ${p}`);
  }

  async function externalCase(r: FuzzRandom, dir: string): Promise<string[]> {
    const request = fuzzRequest(r);
    const reply = externalReply(r, request.username);
    const verdict = externalVerdict(reply.bytes, reply.behaviour, request.username, [
      request.username,
      request.password ?? '',
      request.publicKey ?? '',
    ]);
    const program = await writeReplyProgram(dir, reply.bytes, reply.behaviour);
    const timeoutMs = endsByItself(reply.behaviour) ? ENDING_PROGRAM_MS : options.hangMs;
    const result = await attempt(program, timeoutMs, () =>
      runExternalAuth(program.path, request, timeoutMs),
    );
    const problems = judge(result, verdict, reply);
    if (result.outcome?.ok && result.outcome.value.username !== request.username) {
      problems.push(`logged in as ${JSON.stringify(result.outcome.value.username)}`);
    }
    return problems.map((p) => `external auth, ${reply.label}: ${p}`);
  }

  async function run(r: FuzzRandom, caseSeed: number): Promise<void> {
    const dir = join(options.root, `case-${caseSeed >>> 0}`);
    await mkdir(dir);
    try {
      const problems = r.chance(0.5)
        ? await keyboardInteractiveCase(r, dir)
        : await externalCase(r, dir);
      if (problems.length > 0) {
        const failure = new Error(problems.join('\n  '));
        failure.stack = failure.message; // the problems say it all; the fuzzer's stack would not
        throw failure;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const close = () => {
    processErrors.close();
    return processErrors.take();
  };
  return { run, close };
}

/** What the Challenge type promises the server's prompt, which a program's JSON must not break. */
function challengeProblem(challenge: Challenge): string | undefined {
  if (typeof challenge.instruction !== 'string') {
    return `asked with a ${typeof challenge.instruction} instruction`;
  }
  for (const { prompt, echo } of challenge.questions) {
    if (typeof prompt !== 'string' || typeof echo !== 'boolean') {
      return `asked a ${typeof prompt} prompt with a ${typeof echo} echo`;
    }
  }
  return undefined;
}

const sameRounds = (asked: readonly string[][], rounds: readonly (readonly string[])[]) =>
  JSON.stringify(asked) === JSON.stringify(rounds);

/** A stored user as the provider gives it: the program is told its name and password hash. */
function fuzzUser(r: FuzzRandom): User {
  return accountUser({
    id: 1,
    username: r.chance(0.8) ? 'kim' : fuzzString(r, 16) || 'k',
    password: r.chance(0.8) ? '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA' : fuzzString(r, 30),
    home_dir: '/tmp/kim',
  });
}

/** A login attempt as a client makes it: a plain name most often, at times a hostile one. */
function fuzzRequest(r: FuzzRandom): ExternalAuthRequest {
  const username = r.chance(0.8) ? `user${r.int(100)}` : fuzzString(r, 16);
  switch (r.int(3)) {
    case 0:
      return { username, password: fuzzString(r, 30) };
    case 1:
      return { username, publicKey: `ssh-ed25519 ${Buffer.from(r.bytes(51)).toString('base64')}` };
    default:
      return { username, keyboardInteractive: true };
  }
}
