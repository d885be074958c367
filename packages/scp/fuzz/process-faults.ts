// Exceptions and rejections that nobody caught reach the process, not the
// promise a case awaits: they are counted here, so that the case running
// when one arrives, or the run as a whole, can fail on it.

let count = 0;
let last: unknown;
let watching = false;

function note(err: unknown): void {
  count++;
  last = err;
}

/** Starts counting uncaught exceptions and unhandled rejections; later calls do nothing. */
export function watchProcessFaults(): void {
  if (watching) return;
  watching = true;
  process.on('uncaughtException', note);
  process.on('unhandledRejection', note);
}

/** How many faults reached the process so far, and the latest one. */
export function processFaults(): { readonly count: number; readonly last: unknown } {
  return { count, last };
}
