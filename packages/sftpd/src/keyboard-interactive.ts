import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
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

function parseStep(line: string): ProgramStep {
  let step: unknown;
  try {
    step = JSON.parse(line);
  } catch {
    throw new LoginError('keyboard interactive program: output is not JSON');
  }
  if (typeof step !== 'object' || step === null) {
    throw new LoginError('keyboard interactive program: output is not a JSON object');
  }
  const { questions = [], echos = [] } = step as ProgramStep;
  if (!Array.isArray(questions) || !Array.isArray(echos) || questions.length !== echos.length) {
    throw new LoginError('keyboard interactive program: questions and echos differ in length');
  }
  return step as ProgramStep;
}

/**
 * Runs the spec's keyboard-interactive program for `user`: it writes rounds
 * of questions, the client's answers go to its input one per line, until it
 * gives an `auth_result`. It must finish within `timeoutMs` or it is killed
 * and the login refused.
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
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(new LoginError(`keyboard interactive program: ${err.message}`, { cause: err })),
    );
    child.once('close', () =>
      reject(new LoginError('keyboard interactive program ended without a result')),
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LoginError(`keyboard interactive program: no result in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const dialogue = (async () => {
    for await (const line of lines) {
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
      child.stdin.write(`${answers.map((a) => a.replaceAll('\n', ' ')).join('\n')}\n`);
    }
    throw new LoginError('keyboard interactive program ended without a result');
  })();
  return Promise.race([dialogue, exited, timeout]).finally(() => {
    clearTimeout(timer);
    lines.close();
    child.stdin.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
  });
}
