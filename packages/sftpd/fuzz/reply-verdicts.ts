// What the spec, read as the reference server implements it, makes of a
// program's output: written apart from the code under test, from the spec's
// paragraphs on external and keyboard-interactive authentication. Where the
// reference and a careful port may differ without harm (a blank line, a
// `null` field, a line too long for the reference's scanner), the verdict
// is `either`: the fuzzer then only checks that nothing else goes wrong.

import type { Behaviour } from './reply-program.js';

/** `accept`: a login must follow; `refuse`: it must not; `either`: both are right. */
export type Verdict = 'accept' | 'refuse' | 'either';

/** The reference reads the external program's output whole; a port may cap it at 1 MiB. */
export const EXTERNAL_OUTPUT_CAP = 1024 * 1024;

/** The reference's line scanner holds at most 64 KiB: a longer line ends the dialogue. */
export const KEYBOARD_LINE_CAP = 64 * 1024;

/** What the program writes on its output, and whether that output ends. */
interface Output {
  readonly bytes: Buffer;
  /** False when the program never closes its output: the last, unended line is never read. */
  readonly ends: boolean;
}

function outputOf(reply: Buffer, behaviour: Behaviour): Output | undefined {
  switch (behaviour.kind) {
    case 'unstartable':
      return undefined;
    case 'stderr':
      return { bytes: Buffer.alloc(0), ends: true };
    case 'hang':
      return { bytes: reply, ends: false };
    case 'flood': {
      // Two copies show what every later one does: the lines are judged one by one.
      const flood = behaviour.line === null ? '\0' : `${behaviour.line}\n`.repeat(2);
      return { bytes: Buffer.concat([reply, Buffer.from(flood)]), ends: false };
    }
    default:
      return { bytes: reply, ends: true };
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The spec: the program answers with a user as JSON, the one who logs in,
 * or a user with an empty username to refuse; a program that fails (a
 * non-zero status, a signal, no exit within the timeout) is no answer.
 */
export function externalVerdict(
  reply: Buffer,
  behaviour: Behaviour,
  username: string,
  values: readonly string[],
): Verdict {
  if (values.some((v) => v.includes('\0'))) return 'refuse'; // cannot be put in the environment
  if (behaviour.kind !== 'exit' || behaviour.code !== 0) return 'refuse';
  let user: unknown;
  try {
    user = JSON.parse(reply.toString('utf8'));
  } catch {
    return 'refuse';
  }
  if (!isPlainObject(user) || user.username === '' || user.username !== username) return 'refuse';
  return reply.length > EXTERNAL_OUTPUT_CAP ? 'either' : 'accept';
}

/** One line of the keyboard-interactive program, judged alone. */
type Step =
  | { readonly kind: 'round'; readonly prompts: readonly string[] }
  | { readonly kind: 'result'; readonly accepted: boolean }
  /**
   * A line the reference and a careful port may treat differently, skipped
   * here; `mayAccept` when one of them may read it as a login.
   */
  | { readonly kind: 'unsure'; readonly mayAccept: boolean }
  | { readonly kind: 'broken' };

const FIELDS = ['instruction', 'questions', 'echos', 'auth_result'];

const isListOf = (value: unknown, type: 'string' | 'boolean'): value is unknown[] =>
  Array.isArray(value) && value.every((item) => typeof item === type);

/** A line as the reference's decoder reads it, whatever its length. */
function decodeStep(line: string): Step {
  if (line.trim() === '') return { kind: 'unsure', mayAccept: false };
  let step: unknown;
  try {
    step = JSON.parse(line);
  } catch {
    return { kind: 'broken' };
  }
  if (!isPlainObject(step)) return { kind: 'broken' };
  // The reference's decoder matches field names without regard to case, and reads null as absent.
  const keys = Object.keys(step);
  if (keys.some((k) => !FIELDS.includes(k) && FIELDS.includes(k.toLowerCase()))) {
    return { kind: 'unsure', mayAccept: true };
  }
  if (FIELDS.some((f) => step[f] === null)) {
    return { kind: 'unsure', mayAccept: step.auth_result === 1 };
  }
  const { instruction = '', questions = [], echos = [], auth_result = 0 } = step;
  if (
    typeof instruction !== 'string' ||
    !isListOf(questions, 'string') ||
    !isListOf(echos, 'boolean') ||
    questions.length !== echos.length ||
    !Number.isInteger(auth_result)
  ) {
    return { kind: 'broken' };
  }
  if (auth_result !== 0) return { kind: 'result', accepted: auth_result === 1 };
  // The reference ends the dialogue on a round without questions; skipping it is as safe.
  if (questions.length === 0) return { kind: 'unsure', mayAccept: false };
  return { kind: 'round', prompts: questions as string[] };
}

function stepOf(line: string): Step {
  const step = decodeStep(line);
  if (line.length <= KEYBOARD_LINE_CAP) return step;
  // Too long for the reference, which refuses; a port may still read it.
  if (step.kind === 'broken' || (step.kind === 'result' && !step.accepted)) return step;
  return { kind: 'unsure', mayAccept: step.kind !== 'round' };
}

/** The verdict on a dialogue, and the rounds of questions the client must see before it. */
export interface DialogueVerdict {
  readonly verdict: Verdict;
  readonly rounds: readonly (readonly string[])[];
}

/**
 * The spec: one JSON object a line, each a round of questions, until one
 * has an `auth_result` other than 0, which is 1 to log in; the answers go
 * to the program's input. The program's exit status does not matter; a line
 * that is not such an object ends the dialogue, refused.
 */
export function keyboardInteractiveVerdict(
  reply: Buffer,
  behaviour: Behaviour,
  values: readonly string[],
): DialogueVerdict {
  const output = outputOf(reply, behaviour);
  if (output === undefined || values.some((v) => v.includes('\0'))) {
    return { verdict: 'refuse', rounds: [] };
  }
  const lines = output.bytes.toString('utf8').split('\n');
  const last = lines.pop()!;
  if (output.ends && last !== '') lines.push(last);
  const rounds: string[][] = [];
  let unsure = false;
  for (const line of lines) {
    const step = stepOf(line);
    switch (step.kind) {
      case 'broken':
        return { verdict: 'refuse', rounds };
      case 'unsure':
        if (step.mayAccept) return { verdict: 'either', rounds };
        unsure = true;
        break;
      case 'round':
        rounds.push([...step.prompts]);
        break;
      case 'result':
        if (!step.accepted) return { verdict: 'refuse', rounds };
        return { verdict: unsure ? 'either' : 'accept', rounds };
    }
  }
  return { verdict: 'refuse', rounds };
}
