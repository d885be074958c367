import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DataProvider, openSqliteProvider, type User } from '@sftpgo/provider';
import { type LogEntry, SftpServer } from '@sftpgo/sftpd';
import { makeTempDir } from '@sftpgo/test-utils';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyboardInteractiveLogin } from '../src/keyboard-interactive.js';
import { LoginError } from '../src/login.js';
import { hostKey, migrationsDir, writeScript } from './fixtures.js';

const SAMPLE = fileURLToPath(new URL('./fixtures/keyboard-interactive-sample.sh', import.meta.url));

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let provider: DataProvider;
let server: SftpServer;
let port: number;
let user: User;
const logs: LogEntry[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  provider = await openSqliteProvider({ path: join(tmp.path, 'db.sqlite'), migrationsDir });
  user = await provider.addUser({
    username: 'kim',
    password: 'unused-here',
    home_dir: join(tmp.path, 'kim'),
    permissions: { '/': ['*'] },
  });
  server = new SftpServer({
    hostKeys: [hostKey],
    users: provider,
    keyboardInteractiveProgram: SAMPLE,
    logger: { log: (e) => logs.push(e) },
  });
  port = (await server.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await server?.close();
  await provider?.close();
  await tmp.remove();
});

/** Logs in answering each round with the next list of answers; resolves with the prompts seen. */
function login(username: string, rounds: string[][]) {
  return new Promise<string[][]>((resolve, reject) => {
    const seen: string[][] = [];
    const client = new ssh2.Client();
    client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
      seen.push(prompts.map((p) => `${p.prompt}${p.echo ? ' (echo)' : ''}`));
      finish(rounds.shift() ?? []);
    });
    client.once('ready', () => {
      client.end();
      resolve(seen);
    });
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port, username, tryKeyboard: true });
  });
}

const script = (body: string) => writeScript(tmp.path, body);

const ask = async () => ['x'];

describe('keyboard-interactive login', () => {
  it("runs the spec's sample program: two rounds, three questions", async () => {
    const seen = await login('kim', [['answer1', 'answer2'], ['answer3']]);
    expect(seen).toEqual([['Question1:  (echo)', 'Question2: '], ['Question3:  (echo)']]);
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('logged in with: "keyboard-interactive", username: "kim"'),
        username: 'kim',
        login_type: 'keyboard-interactive',
      }),
    );
  });

  it('refuses a wrong answer, and an unknown user', async () => {
    await expect(login('kim', [['a', 'b'], ['wrong']])).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(login('nobody', [['a', 'b'], ['answer3']])).rejects.toThrow(
      /authentication methods failed/,
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        sender: 'connection_failed',
        login_type: 'keyboard-interactive',
        error: 'keyboard interactive authentication refused',
      }),
    );
  });

  it('passes the username and the stored hash to the program', async () => {
    const program = await script(
      'echo "{\\"auth_result\\": $( [ "$SFTPGO_AUTHD_USERNAME" = kim ] && case "$SFTPGO_AUTHD_PASSWORD" in \\$argon2id\\$*) echo 1;; *) echo -1;; esac || echo -1)}"',
    );
    await keyboardInteractiveLogin(program, user, ask);
  });

  it('refuses cleanly when the program misbehaves', async () => {
    const notJson = await script('echo hello');
    await expect(keyboardInteractiveLogin(notJson, user, ask)).rejects.toThrow(/not JSON/);
    const crash = await script('exit 3');
    await expect(keyboardInteractiveLogin(crash, user, ask)).rejects.toThrow(/without a result/);
    const hang = await script('sleep 30');
    const started = Date.now();
    await expect(keyboardInteractiveLogin(hang, user, ask, 300)).rejects.toThrow(
      /no result in 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(keyboardInteractiveLogin('/nonexistent/program', user, ask)).rejects.toThrow(
      /keyboard interactive program/,
    );
  });

  it('refuses, without quoting it, a stored value the program cannot be given', async () => {
    const secret = 'stored-SECRET-value';
    const broken = { ...user, password: `$1$\0${secret}` };
    const err = await keyboardInteractiveLogin(SAMPLE, broken, ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoginError);
    expect((err as Error).message).toBe(
      'keyboard interactive program: a value for the program holds a NUL byte',
    );
    expect((err as Error).cause).toBeUndefined();
  });
});
