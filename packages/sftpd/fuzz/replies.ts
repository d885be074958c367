// The replies a hostile or broken authentication program gives: valid ones,
// the same made slightly wrong, random JSON and bytes, outputs of several
// MiB, and all of them printed by programs that exit, fail, die, hang or
// flood. Each reply carries a label that says what it is, for the report of
// a failing case.

import { type FuzzRandom, fuzzJson, fuzzString, mutateBytes, mutateJson } from '@sftpgo/test-utils';
import { type Behaviour, splitLines } from './reply-program.js';

export interface Reply {
  readonly bytes: Buffer;
  readonly behaviour: Behaviour;
  readonly label: string;
}

const MIB = 1024 * 1024;

/** Several MiB, the output no login needs. */
const hugeLength = (r: FuzzRandom) => 2 * MIB + r.int(4 * MIB);

const lineEnd = (r: FuzzRandom) => (r.chance(0.9) ? '\n' : r.pick(['\r\n', '\r', '\n\n']));

/** JSON values one a line, the last line ended or not. */
function linesOf(r: FuzzRandom, values: readonly unknown[]): Buffer {
  let text = '';
  for (const [i, value] of values.entries()) {
    text += JSON.stringify(value) ?? 'undefined';
    if (i < values.length - 1 || r.chance(0.8)) text += lineEnd(r);
  }
  return Buffer.from(text);
}

// --- keyboard-interactive ---------------------------------------------------

/** A prompt, mostly readable, at times hostile. */
const prompt = (r: FuzzRandom) => (r.chance(0.7) ? `Question${r.int(10)}: ` : fuzzString(r, 20));

function questionStep(r: FuzzRandom, count = 1 + r.int(3)): Record<string, unknown> {
  const step: Record<string, unknown> = {
    questions: Array.from({ length: count }, () => prompt(r)),
    echos: Array.from({ length: count }, () => r.chance(0.5)),
  };
  if (r.chance(0.7)) step.instruction = r.chance(0.5) ? '' : fuzzString(r, 30);
  return step;
}

const resultStep = (r: FuzzRandom) => ({ auth_result: r.pick([1, 1, 1, -1, 2, 0x7fffffff]) });

/** The steps of a dialogue as the spec writes it: rounds of questions, then a result. */
const dialogue = (r: FuzzRandom) => [
  ...Array.from({ length: r.int(4) }, () => questionStep(r)),
  resultStep(r),
];

/** How many answers a correct program reads after each line of `bytes`: one a question. */
function readsOf(bytes: Buffer): number[] {
  return splitLines(bytes).map((line) => {
    try {
      const questions = (JSON.parse(line.toString('utf8')) as { questions?: unknown } | null)
        ?.questions;
      return Array.isArray(questions) ? questions.length : 0;
    } catch {
      return 0;
    }
  });
}

/** A dialogue longer than this is printed whole: a shell reading it line by line is slow. */
const DIALOGUE_MAX_READS = 100;

function keyboardBehaviour(r: FuzzRandom, bytes: Buffer): Behaviour {
  const pick = r.int(100);
  if (pick < 35) return { kind: 'exit', code: 0 };
  if (pick < 55) {
    const reads = readsOf(bytes);
    const total = reads.reduce((sum, n) => sum + n, reads.length);
    return total <= DIALOGUE_MAX_READS ? { kind: 'dialogue', reads } : { kind: 'exit', code: 0 };
  }
  if (pick < 65) return { kind: 'exit', code: 1 + r.int(255) };
  if (pick < 70) return { kind: 'signal' };
  if (pick < 80) return { kind: 'hang' };
  if (pick < 85) return { kind: 'stderr' };
  if (pick < 97) {
    const lines = ['', JSON.stringify(questionStep(r)), JSON.stringify(resultStep(r))];
    return { kind: 'flood', line: r.chance(0.25) ? null : r.pick(lines) };
  }
  return { kind: 'unstartable', how: r.pick(['missing', 'not-executable', 'directory'] as const) };
}

/** A reply of a keyboard-interactive program. */
export function keyboardInteractiveReply(r: FuzzRandom): Reply {
  const kind = r.int(100);
  let bytes: Buffer;
  let label: string;
  if (kind < 25) {
    label = 'valid dialogue';
    bytes = linesOf(r, dialogue(r));
  } else if (kind < 50) {
    label = 'mutated dialogue';
    bytes = linesOf(
      r,
      dialogue(r).map((step) => (r.chance(0.5) ? mutateJson(r, step) : step)),
    );
  } else if (kind < 62) {
    label = 'random JSON lines';
    const values = Array.from({ length: 1 + r.int(3) }, () => fuzzJson(r));
    // Ended by an acceptance, which must not count after a broken line.
    if (r.chance(0.6)) values.push({ auth_result: 1 });
    bytes = linesOf(r, values);
  } else if (kind < 75) {
    label = 'mutated bytes';
    bytes = mutateBytes(r, linesOf(r, dialogue(r)));
  } else if (kind < 82) {
    label = 'random bytes';
    bytes = r.bytes(r.int(2000));
  } else if (kind < 88) {
    label = 'many questions';
    const count = r.chance(0.5) ? 2000 + r.int(3000) : 10_000 + r.int(40_000);
    bytes = linesOf(r, [questionStep(r, count), { auth_result: 1 }]);
  } else if (kind < 93) {
    label = 'many rounds';
    const rounds = Array.from({ length: 5000 + r.int(20_000) }, () => questionStep(r, 1));
    bytes = linesOf(r, [...rounds, { auth_result: 1 }]);
  } else {
    label = 'huge output';
    const filler = 'x'.repeat(hugeLength(r));
    const huge = r.pick([
      filler, // one line without end
      JSON.stringify({ questions: [filler], echos: [true] }),
      JSON.stringify({ auth_result: 1, instruction: filler }),
    ]);
    bytes = Buffer.from(`${huge}${r.chance(0.5) ? '\n{"auth_result":1}\n' : ''}`);
  }
  const behaviour = keyboardBehaviour(r, bytes);
  return { bytes, behaviour, label: `${label}, ${describe(behaviour)}` };
}

// --- external authentication ------------------------------------------------

/** A user as the spec's sample program prints it. */
function validUser(r: FuzzRandom, username: string): Record<string, unknown> {
  return {
    status: 1,
    username,
    expiration_date: 0,
    home_dir: `/tmp/${r.int(1000)}`,
    uid: 0,
    gid: 0,
    max_sessions: r.int(3),
    quota_size: 0,
    quota_files: 100000,
    permissions: { '/': ['*'], '/somedir': ['list', 'download'] },
    upload_bandwidth: 0,
    download_bandwidth: 0,
    filters: { allowed_ip: [], denied_ip: [] },
    public_keys: [],
  };
}

/** Names that are almost `username`: another user to the spec. */
function otherName(r: FuzzRandom, username: string): string {
  return r.pick([
    username.toUpperCase() === username ? `${username}x` : username.toUpperCase(),
    ` ${username}`,
    `${username}\n`,
    `${username}\0`,
    username.normalize('NFD') === username ? `${username}\u0301` : username.normalize('NFD'),
    fuzzString(r, 12),
  ]);
}

function userText(r: FuzzRandom, user: unknown): string {
  return `${JSON.stringify(user, null, r.chance(0.3) ? 2 : undefined)}${r.chance(0.7) ? '\n' : ''}`;
}

function externalBehaviour(r: FuzzRandom): Behaviour {
  const pick = r.int(100);
  if (pick < 55) return { kind: 'exit', code: 0 };
  if (pick < 65) return { kind: 'exit', code: 1 + r.int(255) };
  if (pick < 70) return { kind: 'signal' };
  if (pick < 80) return { kind: 'hang' };
  if (pick < 87) return { kind: 'stderr' };
  if (pick < 97) return { kind: 'flood', line: r.chance(0.5) ? null : '{"username":""}' };
  return { kind: 'unstartable', how: r.pick(['missing', 'not-executable', 'directory'] as const) };
}

/** A reply of an external authentication program asked about `username`. */
export function externalReply(r: FuzzRandom, username: string): Reply {
  const kind = r.int(100);
  let text: string | Buffer;
  let label: string;
  if (kind < 25) {
    label = 'valid user';
    text = userText(r, validUser(r, username));
  } else if (kind < 32) {
    label = 'refusal';
    text = userText(r, r.pick([{ username: '' }, { ...validUser(r, ''), id: 0 }, {}, null]));
  } else if (kind < 40) {
    label = 'another user';
    text = userText(r, validUser(r, otherName(r, username)));
  } else if (kind < 60) {
    label = 'mutated user';
    text = userText(r, mutateJson(r, validUser(r, username)));
  } else if (kind < 68) {
    label = 'random JSON';
    text = userText(r, fuzzJson(r));
  } else if (kind < 80) {
    label = 'mutated bytes';
    text = mutateBytes(r, Buffer.from(userText(r, validUser(r, username))));
  } else if (kind < 85) {
    label = 'random bytes';
    text = r.bytes(r.int(2000));
  } else if (kind < 90) {
    label = 'user twice';
    const user = JSON.stringify(validUser(r, username));
    text = `${user}${r.pick(['\n', '', ' '])}${user}\n`;
  } else if (kind < 94) {
    label = 'user under the cap';
    text = userText(r, { ...validUser(r, username), description: 'd'.repeat(900 * 1024) });
  } else {
    label = 'huge output';
    const filler = 'x'.repeat(hugeLength(r));
    text = r.pick([
      filler,
      userText(r, { ...validUser(r, username), description: filler }),
      `${JSON.stringify(validUser(r, username))}${' '.repeat(hugeLength(r))}`,
    ]);
  }
  const behaviour = externalBehaviour(r);
  return { bytes: Buffer.from(text), behaviour, label: `${label}, ${describe(behaviour)}` };
}

function describe(behaviour: Behaviour): string {
  switch (behaviour.kind) {
    case 'exit':
      return `exit ${behaviour.code}`;
    case 'flood':
      return behaviour.line === null ? 'then NUL bytes without end' : 'then one line without end';
    case 'unstartable':
      return `program ${behaviour.how}`;
    case 'dialogue':
      return 'reading the answers';
    default:
      return behaviour.kind;
  }
}
