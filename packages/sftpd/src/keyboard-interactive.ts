import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { User } from '@sftpgo/provider';
import { LoginError } from './login.js';
import { spawnAuthProgram } from './spawn-auth-program.js';

/** One round of the program's protocol: a JSON object on one line of its output. */
interface ProgramStep {
  readonly instruction?: string;
  readonly questions?: readonly string[];
  readonly echos?: readonly boolean[];
  /** 1: logged in; any other value but 0: refused. */
  readonly auth_result?: number;
}

/** A round of questions for the client, answered in the same order. */
export interface Challenge {
  readonly instruction: string;
  readonly questions: readonly { readonly prompt: string; readonly echo: boolean }[];
}

/** The longest line of the program's output, as the reference's line scanner (64 KiB). */
const MAX_LINE = 64 * 1024;

const isListOf = (value: unknown, type: 'string' | 'boolean'): value is unknown[] =>
  Array.isArray(value) && value.every((item) => typeof item === type);

function parseStep(line: string): ProgramStep {
  let step: unknown;
  try {
    step = JSON.parse(line);
  } catch {
    throw new LoginError('keyboard interactive program: output is not JSON');
  }
  if (typeof step !== 'object' || step === null || Array.isArray(step)) {
    throw new LoginError('keyboard interactive program: output is not a JSON object');
  }
  // A field of another type is a broken program, as to the reference's decoder: not a login.
  const { instruction = '', questions = [], echos = [] } = step as Record<string, unknown>;
  if (
    typeof instruction !== 'string' ||
    !isListOf(questions, 'string') ||
    !isListOf(echos, 'boolean')
  ) {
    throw new LoginError('keyboard interactive program: a field has the wrong type');
  }
  if (questions.length !== echos.length) {
    throw new LoginError('keyboard interactive program: questions and echos differ in length');
  }
  return step as ProgramStep;
}

/**
 * How much output, in characters and in lines, is read ahead of the
 * dialogue before reading stops: the pipe then fills and holds the program.
 */
const MAX_AHEAD = { chars: 1024 * 1024, lines: 1024 };

/**
 * The lines of the program's output, ended by `\n` as the reference reads
 * them (a `\r` before it is whitespace to JSON). A line longer than
 * {@link MAX_LINE} refuses the login, and reading stops while more than
 * {@link MAX_AHEAD} waits for the dialogue: a program writing without end
 * cannot fill the memory before the timeout. The output is read as it
 * comes, not as the dialogue asks: Node drains a child's output once it has
 * exited, and what no listener takes is lost.
 */
async function* linesOf(output: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  const queue: string[] = [];
  let next = 0; // the first line of the queue not given yet: shifting a long array costs its length
  let queued = 0;
  let partial = '';
  let ended = false;
  let failure: LoginError | undefined;
  let wake = () => {};
  const take = (line: string) => {
    if (line.length > MAX_LINE) {
      failure ??= new LoginError('keyboard interactive program: output line too long');
    } else if (failure === undefined) {
      queue.push(line);
      queued += line.length;
    }
  };
  output.on('data', (chunk: Buffer) => {
    if (failure !== undefined) return; // refused: the rest is not read
    // Only the new text is split: a line written a byte at a time costs no more than another.
    const lines = decoder.write(chunk).split('\n');
    lines[0] = partial + lines[0];
    partial = lines.pop()!;
    for (const line of lines) take(line);
    if (partial.length > MAX_LINE) take(partial);
    // Again at every chunk: Node resumes a child's output when the child exits.
    const waiting = queue.length - next;
    if (failure !== undefined || queued > MAX_AHEAD.chars || waiting > MAX_AHEAD.lines) {
      output.pause();
    }
    wake();
  });
  output.once('end', () => {
    const last = partial + decoder.end();
    if (last !== '' && failure === undefined) take(last);
    ended = true;
    wake();
  });
  output.once('error', (err) => {
    failure ??= new LoginError('keyboard interactive program: cannot read its output', {
      cause: err,
    });
    wake();
  });
  for (;;) {
    if (next < queue.length) {
      const line = queue[next++]!;
      queued -= line.length;
      if (next > MAX_AHEAD.lines) {
        queue.splice(0, next);
        next = 0;
      }
      yield line;
    } else if (failure !== undefined) {
      throw failure;
    } else if (ended) {
      return;
    } else {
      output.resume();
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
}

/**
 * Resolves once `input` takes more, or is closed: a program that asks
 * without reading the answers is kept waiting, not its answers in memory.
 */
function drained(input: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      input.off('drain', done);
      input.off('close', done);
      resolve();
    };
    input.on('drain', done);
    input.on('close', done);
  });
}

/**
 * Runs the spec's keyboard-interactive program for `user`: it writes rounds
 * of questions, the client's answers go to its input one per line, until it
 * gives an `auth_result`. It must finish within `timeoutMs` or it is killed
 * and the login refused. As in the reference, a line that is not such a
 * round (a field of another type, more than 64 KiB) refuses it too.
 */
export function keyboardInteractiveLogin(
  program: string,
  user: User,
  ask: (challenge: Challenge) => Promise<readonly string[]>,
  timeoutMs = 60_000,
): Promise<void> {
  let child: ChildProcessByStdio<Writable, Readable, null>;
  try {
    child = spawnAuthProgram(
      program,
      { SFTPGO_AUTHD_USERNAME: user.username, SFTPGO_AUTHD_PASSWORD: user.password },
      ['pipe', 'pipe', 'ignore'],
      'keyboard interactive program',
    ) as ChildProcessByStdio<Writable, Readable, null>;
  } catch (err) {
    return Promise.reject(err);
  }
  child.stdin.on('error', () => {}); // the program may stop reading at any time
  // The program's end is the end of its output, which the dialogue reads to the last line.
  const unstartable = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new LoginError(`keyboard interactive program: ${err.message}`, { cause: err })),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LoginError(`keyboard interactive program: no result in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  let decided = false;
  const dialogue = (async () => {
    for await (const line of linesOf(child.stdout)) {
      // Lines already read would keep the loop busy, the event loop waiting, after the timeout.
      if (decided) return;
      if (line.trim() === '') continue;
      const step = parseStep(line);
      if (step.auth_result !== undefined && step.auth_result !== 0) {
        if (step.auth_result === 1) return;
        throw new LoginError('keyboard interactive authentication refused');
      }
      const questions = (step.questions ?? []).map((prompt, i) => ({
        prompt: String(prompt),
        echo: Boolean(step.echos?.[i]),
      }));
      if (questions.length === 0) continue;
      const answers = await ask({ instruction: step.instruction ?? '', questions });
      const text = `${answers.map((a) => a.replaceAll('\n', ' ')).join('\n')}\n`;
      if (!child.stdin.write(text) && !child.stdin.destroyed) await drained(child.stdin);
    }
    throw new LoginError('keyboard interactive program ended without a result');
  })();
  return Promise.race([dialogue, unstartable, timeout]).finally(() => {
    decided = true;
    clearTimeout(timer);
    // Closes the pipe, whoever holds its other end: no process of the program blocks on it.
    child.stdout.destroy();
    child.stdin.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  });
}
