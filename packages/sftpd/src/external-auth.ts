import type { UserInput } from '@sftpgo/provider';
import { LoginError } from './login.js';
import { spawnAuthProgram } from './spawn-auth-program.js';

/** The spec's `external_auth_scope` bits; 0 means all of them. */
export const EXTERNAL_SCOPE = { password: 1, publickey: 2, 'keyboard-interactive': 4 } as const;

/** Output beyond this is not a user: the program is refused. */
const MAX_OUTPUT = 1024 * 1024;

/** What the program is told of a login attempt, through SFTPGO_AUTHD_* variables. */
export interface ExternalAuthRequest {
  readonly username: string;
  readonly password?: string;
  /** The key offered, in authorized_keys form. */
  readonly publicKey?: string;
  readonly keyboardInteractive?: boolean;
}

/**
 * Runs the spec's external authentication program. It answers on its
 * standard output with a user as JSON, or a user with an empty username to
 * refuse; it is killed after `timeoutMs`. A non-zero exit status or a
 * death by signal refuses the login, whatever it printed. The variables' values come from a
 * possibly hostile client: they are passed in the environment, never through
 * a shell. The program's output may echo them: no error quotes it.
 */
export function runExternalAuth(
  program: string,
  request: ExternalAuthRequest,
  timeoutMs = 60_000,
): Promise<UserInput> {
  return new Promise((resolve, reject) => {
    const child = spawnAuthProgram(
      program,
      {
        SFTPGO_AUTHD_USERNAME: request.username,
        SFTPGO_AUTHD_PASSWORD: request.password ?? '',
        SFTPGO_AUTHD_PUBLIC_KEY: request.publicKey ?? '',
        SFTPGO_AUTHD_KEYBOARD_INTERACTIVE: request.keyboardInteractive ? '1' : '',
      },
      ['ignore', 'pipe', 'ignore'],
      'external authentication',
    );
    const stdout = child.stdout!;
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new LoginError(`external authentication: ${message}`, { cause }));
    };
    const timer = setTimeout(() => fail(`no answer in ${timeoutMs} ms`), timeoutMs);
    stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) fail('output too large');
      else chunks.push(chunk);
    });
    child.once('error', (err) => fail(err.message, err));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // As the reference: a program that fails is no answer, whatever it printed.
      if (signal !== null) {
        fail(`killed by signal ${signal}`);
        return;
      }
      if (code !== 0) {
        fail(`exit status ${code}`);
        return;
      }
      let user: unknown;
      try {
        user = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // the parser's message quotes the output, which may echo the password
        fail('the program did not answer with JSON');
        return;
      }
      const username = (user as { username?: unknown } | null)?.username;
      if (typeof username !== 'string' || username === '') {
        reject(new LoginError('external authentication refused'));
      } else if (username !== request.username) {
        reject(new LoginError('external authentication answered for another user'));
      } else {
        resolve(user as UserInput);
      }
    });
  });
}
