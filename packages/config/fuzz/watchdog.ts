// A case stuck in synchronous code, such as a regular expression that
// backtracks for ever, blocks the event loop and with it the timer that
// bounds each case: only another thread can notice it and end the run.
import { Worker } from 'node:worker_threads';

/** Slots of the memory the two threads share. */
const CASES = 0;
const SEED = 1;
const STOPPED = 2;

// Plain JavaScript, run as is in the worker: it polls the case counter and,
// if no case has started for the limit, names the case on stderr (written
// directly: the main thread, which relays a worker's output, is stuck),
// removes the run's directory, and kills the process, as nothing else can
// stop that thread.
const WATCHER = `
const { workerData } = require('node:worker_threads');
const { rmSync, writeSync } = require('node:fs');
const { shared, limitMs, name, dir } = workerData;
const state = new Int32Array(shared);
let cases = -1;
let since = Date.now();
while (Atomics.wait(state, ${STOPPED}, 0, limitMs / 4) !== 'ok' && Atomics.load(state, ${STOPPED}) === 0) {
  const now = Atomics.load(state, ${CASES});
  if (now !== cases) {
    cases = now;
    since = Date.now();
  } else if (Date.now() - since > limitMs) {
    writeSync(2, 'fuzz ' + name + ': case seed ' + Atomics.load(state, ${SEED}) + ': stuck for ' + limitMs + ' ms, the process is killed\\n');
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, 'SIGKILL');
  }
}
`;

export interface Watchdog {
  /** Tells the watchdog a case started: its seed is the one named if it never ends. */
  caseStarted(seed: number): void;
  stop(): Promise<void>;
}

/**
 * Kills the process, naming the case and removing `dir`, the run's
 * directory, when no case starts for `limitMs`.
 */
export function startWatchdog(name: string, limitMs: number, dir: string): Watchdog {
  const shared = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
  const state = new Int32Array(shared);
  const worker = new Worker(WATCHER, { eval: true, workerData: { shared, limitMs, name, dir } });
  // The run ends when its cases do, not when the watchdog does.
  worker.unref();
  return {
    caseStarted(seed) {
      Atomics.store(state, SEED, seed);
      Atomics.add(state, CASES, 1);
    },
    async stop() {
      Atomics.store(state, STOPPED, 1);
      Atomics.notify(state, STOPPED);
      await worker.terminate();
    },
  };
}
