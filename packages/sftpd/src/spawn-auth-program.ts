import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { LoginError } from './login.js';

/**
 * Starts a login's program (external authentication, keyboard-interactive)
 * with `env` added to the server's environment, without a shell. The values
 * are a client's credentials: Node refuses one holding a NUL byte with an
 * error that quotes it, so such a value is refused here first, and any other
 * failure to start is reported by its code alone.
 *
 * @param what names the program in the messages: `external authentication`
 * @throws {LoginError} when the program cannot be started
 */
export function spawnAuthProgram(
  program: string,
  env: Readonly<Record<string, string>>,
  stdio: SpawnOptions['stdio'],
  what: string,
): ChildProcess {
  if (Object.values(env).some((value) => value.includes('\0'))) {
    throw new LoginError(`${what}: a value for the program holds a NUL byte`);
  }
  try {
    return spawn(program, [], { env: { ...process.env, ...env }, stdio });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const why = typeof code === 'string' ? ` (${code})` : '';
    throw new LoginError(`${what}: cannot run the program${why}`);
  }
}
