// What the benchmark scripts share on their command line: failing with a
// message, reading integer options, finding programs, and cleaning up on any
// way out.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Prints `bench: message` and exits: 2 for a usage or setup problem. */
export function fail(message: string, code = 2): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}

/** The integer value of `flag`, or a failure that says what was expected. */
export function integer(value: string, flag: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`${flag} wants an integer >= ${min}, not ${value}`);
  return n;
}

/** Whether `command` is an executable in one of the directories of `PATH`. */
export function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Runs `cleanUp` once, whichever way the process ends: normally, on an
 * uncaught error (such as EPIPE when the output is piped to head), or on
 * SIGINT and SIGTERM, after which it exits with status 130.
 */
export function cleanUpOnExit(cleanUp: () => void): () => void {
  let cleaned = false;
  const once = () => {
    if (cleaned) return;
    cleaned = true;
    cleanUp();
  };
  process.once('exit', once);
  // Kept installed: tsx forwards the signal the terminal already sent, and a
  // second one must not kill the process halfway through removing the files.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      once();
      process.exit(130);
    });
  }
  return once;
}
