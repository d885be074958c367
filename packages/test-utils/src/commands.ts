import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

/**
 * Whether `command` is on the PATH. Under CI (CI=true) a missing command is
 * an error, so that a test meant to run there can never skip silently; on a
 * developer's machine the caller skips, and this prints why.
 */
export function hasCommand(command: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
  if (!found) {
    if (process.env.CI === 'true') {
      throw new Error(`${command} is required under CI: .ci/run must install it`);
    }
    console.warn(`skipping: ${command} is not installed`);
  }
  return found;
}

/** How to run pnpm: the one running the tests (`pnpm test`), else the one on the PATH. */
export function pnpmCommand(): string[] | undefined {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(basename(execPath))) {
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, execPath] : [execPath];
  }
  return hasCommand('pnpm') ? ['pnpm'] : undefined;
}

/**
 * The environment without pnpm's own settings, which reach its scripts as
 * `npm_*` variables and are not the user's: for npm run as a user would.
 */
export function envWithoutNpmSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}
