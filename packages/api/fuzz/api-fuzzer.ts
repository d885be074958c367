// The case function of the API fuzzer, shared by its script and its smoke
// test: one fuzzed request per case, its answer checked, and what it changed
// compared with what it said it changed.

import type { OpenApiDocument } from '@sftpgo/api';
import { dumpUsers } from '@sftpgo/provider';
import type { FuzzRandom } from '@sftpgo/test-utils';
import { type Answer, answerProblems, documentedOperations } from './answer-checks.js';
import { CONNECTION_IDS, startApiTarget, VERSION } from './api-target.js';
import { LEAKED_USERNAMES, OUTSIDE_MARKER, writeBackupFixtures } from './backup-fixtures.js';
import { CaseTally } from './case-tally.js';
import { FUZZED_OPERATIONS, type FuzzRequest, fuzzRequest } from './fuzz-requests.js';
import { changedFields, KnownUsers } from './known-users.js';
import { describeRequest, sendRequest, sentFields } from './send-request.js';
import { BCRYPT_HASH } from './user-samples.js';

export interface ApiFuzzerOptions {
  /** The cases of the run: the last one also checks what the run left behind. */
  readonly cases: number;
  /** The longest wait for an answer; 10 s by default. */
  readonly timeoutMs?: number;
  /** How many users are watched; 3 by default. */
  readonly knownUsers?: number;
}

export interface ApiFuzzer {
  /** One case for `runFuzzCases`: throws what went wrong. */
  runCase(r: FuzzRandom, caseSeed: number): Promise<void>;
  /** What the cases reached: the statuses answered to each operation, and the changes acknowledged. */
  tally(): string;
  /** Stops the server, removes its files and the process handlers. */
  close(): Promise<void>;
}

/** Checked every this many cases: the server still answers. */
const ALIVE_EVERY = 100;
/** Checked every this many cases, besides after each write: the watched users are as acknowledged. */
const USERS_EVERY = 500;
/** The ids of added users kept as targets: the latest ones. */
const ADDED_KEPT = 50;

/** Texts the fuzzer sends or plants that no answer may show. */
const ALWAYS_SECRET = [OUTSIDE_MARKER, 'root:x:0:0', 'plain-secret'];

function bodyOf(text: string): { error?: unknown; message?: unknown; id?: unknown } {
  try {
    return (JSON.parse(text) ?? {}) as { error?: unknown; message?: unknown; id?: unknown };
  } catch {
    return {};
  }
}

/**
 * Whether a `loaddata` answer says it stored users: all of them, or those
 * before the one named in its error (`users.N`), which stay stored as
 * documented. One that stopped before reading a user stored nothing.
 */
function loadStoredUsers(answer: Answer): boolean {
  if (answer.status === 200) return true;
  const { error, message } = bodyOf(answer.text);
  return (
    (answer.status === 400 || answer.status === 409) &&
    typeof error === 'string' &&
    /\busers\.\d+/.test(error) &&
    !String(message).startsWith('Unable to parse input file')
  );
}

/** Whether `request` may write: it is then followed by a check of the watched users. */
function mayWrite(request: FuzzRequest): boolean {
  return (
    request.method !== 'GET' || request.effect.kind === 'load' || request.path.startsWith('/dump')
  );
}

export async function startApiFuzzer(options: ApiFuzzerOptions): Promise<ApiFuzzer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const target = await startApiTarget();
  // whatever escapes the API's handlers: each is a failure of the case it happened in
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const close = async () => {
    try {
      await target.close();
    } finally {
      process.off('uncaughtException', onCrash);
      process.off('unhandledRejection', onCrash);
    }
  };

  let setup: Awaited<ReturnType<typeof prepare>>;
  try {
    setup = await prepare();
  } catch (err) {
    await close();
    throw err;
  }
  const { known, fixtures, operations, validDump } = setup;
  const tally = new CaseTally(operations);
  const { acknowledged } = tally;

  async function prepare() {
    const known = new KnownUsers(
      target.store,
      target.provider,
      target.homesRoot,
      options.knownUsers ?? 3,
    );
    await known.replenish();
    const validDump: unknown = await dumpUsers(target.store);
    const fixtures = await writeBackupFixtures(
      target.root,
      target.backupsPath,
      target.homesRoot,
      JSON.stringify(validDump),
    );
    const document = (await (await fetch(`${target.base}/openapi.json`)).json()) as OpenApiDocument;
    const operations = documentedOperations(document);
    // a route added to the API and not here would go unfuzzed without a word
    const unfuzzed = operations.filter((op) => !FUZZED_OPERATIONS.includes(op.name));
    if (unfuzzed.length > 0) {
      throw new Error(
        `operations the fuzzer does not send: ${unfuzzed.map((op) => op.name).join(', ')}`,
      );
    }
    return { known, fixtures, operations, validDump };
  }

  const added: number[] = [];
  const context = {
    homesRoot: target.homesRoot,
    fixtures,
    connectionIds: CONNECTION_IDS,
    knownUsers: () => known.ids().map((id) => known.expected(id)!),
    addedIds: () => added,
    validDump: () => validDump,
  };

  /** Updates the model with what `answer` acknowledged; what contradicts it. */
  async function acknowledge(request: FuzzRequest, answer: Answer): Promise<string[]> {
    const { effect } = request;
    if (effect.kind === 'load') {
      if (loadStoredUsers(answer)) {
        acknowledged.loads++;
        await known.acknowledgeAll();
      }
      return [];
    }
    if (answer.status !== 200) return [];
    if (effect.kind === 'add') {
      const { id } = bodyOf(answer.text);
      if (typeof id !== 'number') return [`answered 200 to an add without the id of the user`];
      if (known.has(id)) return [`an add answered with the id ${id} of a watched user`];
      added.push(id);
      if (added.length > ADDED_KEPT) added.shift();
      return [];
    }
    if (effect.kind === 'delete' && effect.id !== undefined && known.has(effect.id)) {
      acknowledged.deletes++;
      await known.acknowledgeDelete(effect.id);
    }
    if (effect.kind === 'update' && effect.id !== undefined && known.has(effect.id)) {
      const before = known.expected(effect.id)!;
      acknowledged.updates++;
      await known.acknowledge(effect.id);
      // documented: the fields a body leaves out keep their values
      const sent = sentFields(request);
      const changed = changedFields(before, known.expected(effect.id)!);
      const unsent = sent ? changed.filter((field) => !sent.includes(field)) : [];
      if (unsent.length > 0) {
        return [
          `an update changed ${unsent.join(', ')} of user ${effect.id}, which its body did not send`,
        ];
      }
    }
    return [];
  }

  /** The users only a read outside the backups directory can have stored. */
  async function leakedUsers(): Promise<string[]> {
    const problems: string[] = [];
    for (const username of LEAKED_USERNAMES) {
      const user = await target.store.getUserByUsername(username);
      if (!user) continue;
      problems.push(`loaddata stored ${username}, read from a file outside the backups directory`);
      await target.store.deleteUser(user.id); // reported once
    }
    return problems;
  }

  async function aliveProblems(): Promise<string[]> {
    try {
      const res = await fetch(`${target.base}/version`, { signal: AbortSignal.timeout(timeoutMs) });
      const body: unknown = await res.json();
      if (res.status === 200 && JSON.stringify(body) === JSON.stringify(VERSION)) return [];
      return [`GET /version answered ${res.status} ${JSON.stringify(body)}`];
    } catch (err) {
      return [`GET /version got no answer: ${(err as Error).message}`];
    }
  }

  let ran = 0;
  async function runCase(r: FuzzRandom, caseSeed: number): Promise<void> {
    const n = ++ran;
    const request = fuzzRequest(r, context, caseSeed);
    const problems: string[] = [];
    try {
      await request.prepare?.();
      const answer = await sendRequest(target.base, request, timeoutMs);
      tally.count(answer);
      const secrets = [...ALWAYS_SECRET, ...known.hashes().filter((h) => h !== BCRYPT_HASH)];
      problems.push(...answerProblems(operations, answer, secrets));
      problems.push(...(await acknowledge(request, answer)));
      if (request.effect.kind === 'load') problems.push(...(await leakedUsers()));
      if (mayWrite(request) || n % USERS_EVERY === 0) problems.push(...(await known.damaged()));
    } catch (err) {
      problems.push((err as Error).message);
    }
    if (n % ALIVE_EVERY === 0) problems.push(...(await aliveProblems()));
    if (n === options.cases) {
      problems.push(...(await known.damaged()), ...(await leakedUsers()));
      problems.push(...(await fixtures.outsideChanges()));
      // a late rejection of this run's requests surfaces by now
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const err of target.internalErrors.splice(0)) {
      const message = (err as Error)?.message ?? String(err);
      // a home dir the fuzzer made unusable (too long, with a NUL): reported as
      // documented, through onInternalError, and answered nothing wrong
      if (message.startsWith('quota scan of user ')) {
        tally.countScanFailure(
          message.replace(/^quota scan of user ".*" failed: /s, '').split(/[,:]/)[0]!,
        );
      } else {
        problems.push(`reported an internal error: ${(err as Error)?.stack ?? message}`);
      }
    }
    for (const crash of crashes.splice(0)) {
      problems.push(`escaped to the process: ${(crash as Error)?.stack ?? String(crash)}`);
    }
    if (problems.length > 0) {
      // known users re-read, so that one damage is reported once
      await known.acknowledgeAll().catch(() => undefined);
      throw new Error(`${describeRequest(request)}\n  ${problems.join('\n  ')}`);
    }
  }

  return { runCase, tally: () => tally.render(), close };
}
