// Replies of keyboard-interactive programs that fuzz/fuzz-auth-replies.ts
// found mishandled, each printed as in the failing case; and one that
// guards the line reader written for them.
import type { User } from '@sftpgo/provider';
import { makeTempDir } from '@sftpgo/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeapPeak } from '../fuzz/process-watch.js';
import { type Challenge, keyboardInteractiveLogin } from '../src/keyboard-interactive.js';
import { LoginError } from '../src/login.js';
import { writeScript } from './fixtures.js';

const MIB = 1024 * 1024;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  tmp = await makeTempDir();
});

afterAll(async () => {
  await tmp.remove();
});

const user = { username: 'kim', password: '$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA' } as User;

/** The login of `user` through a program with `body`; what it asked, and how it ended. */
async function login(body: string, timeoutMs: number, ask = async (c: Challenge) => answer(c)) {
  const program = await writeScript(tmp.path, body);
  const asked: Challenge[] = [];
  const heap = new HeapPeak();
  const started = performance.now();
  const outcome = await keyboardInteractiveLogin(
    program,
    user,
    (challenge) => {
      asked.push(challenge);
      return ask(challenge);
    },
    timeoutMs,
  ).then(
    () => 'logged in',
    (err: unknown) => err,
  );
  return { outcome, asked, ms: performance.now() - started, heapGrowth: heap.stop() };
}

const answer = (challenge: Challenge) => challenge.questions.map(() => 'answer');

describe('keyboard-interactive program replies', () => {
  it('refuses a line without end before it fills the memory', async () => {
    // It was read whole: about 50 MiB more heap a second, until the timeout.
    const { outcome, ms, heapGrowth } = await login('exec cat /dev/zero', 10_000);
    expect(outcome).toBeInstanceOf(LoginError);
    expect((outcome as Error).message).toBe('keyboard interactive program: output line too long');
    expect(ms).toBeLessThan(5_000);
    expect(heapGrowth).toBeLessThan(16 * MIB);
  });

  it('keeps waiting a program that asks without end and never reads the answers', async () => {
    // The answers piled up unwritten: about 17 MiB a second, 1 GiB by the default timeout.
    const { outcome, heapGrowth } = await login(
      `exec yes '{"questions":["q"],"echos":[true]}'`,
      2_000,
    );
    expect((outcome as Error).message).toBe('keyboard interactive program: no result in 2000 ms');
    expect(heapGrowth).toBeLessThan(16 * MIB);
  });

  it('stops at the timeout with lines still to read', async () => {
    // Lines already read must not keep the dialogue busy and the timers waiting.
    const { outcome, ms } = await login(
      `printf '{"questions":["Question5: "],"echos":[true]}\\n{}\\n'\nexec yes ''`,
      1_000,
    );
    expect((outcome as Error).message).toBe('keyboard interactive program: no result in 1000 ms');
    expect(ms).toBeLessThan(5_000);
  });

  it('refuses an acceptance that follows a step of the wrong shape', async () => {
    // The reference's decoder rejects each of these; they were skipped or passed on, and the login went on.
    const broken = [
      `echo '[]'`,
      `echo '{"instruction":5,"questions":["a"],"echos":[true]}'; read a`,
      `echo '{"questions":[{}],"echos":[1]}'; read a`,
      // one line to the reference, which splits at \n only: two to Node's readline
      `printf '{"questions":["q"],"echos":[true]}\\r'`,
    ];
    for (const step of broken) {
      const { outcome, asked } = await login(`${step}\necho '{"auth_result":1}'`, 10_000);
      expect(outcome, step).toBeInstanceOf(LoginError);
      expect(asked, step).toEqual([]);
    }
  });

  it('reads every line a program printed before it died, however slow the client', async () => {
    // The program's end was taken for the end of the dialogue, lines still unread.
    const rounds = [
      '{"questions":["Question2: ","Question3: "],"echos":[false,true],"instruction":""}',
      '{"questions":["Question2: ","Question9: ","Question2: "],"echos":[false,true,false]}',
      '{"questions":["Question1: "],"echos":[true]}',
      '{"auth_result":1}',
    ];
    const slowly = async (challenge: Challenge) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return answer(challenge);
    };
    const { outcome, asked } = await login(
      `${rounds.map((line) => `echo '${line}'`).join('\n')}\nkill -9 $$`,
      10_000,
      slowly,
    );
    expect(outcome).toBe('logged in');
    expect(asked.map((c) => c.questions.map((q) => q.prompt))).toEqual([
      ['Question2: ', 'Question3: '],
      ['Question2: ', 'Question9: ', 'Question2: '],
      ['Question1: '],
    ]);
  });
});
