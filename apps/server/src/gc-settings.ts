import { setFlagsFromString } from 'node:v8';
import { givenNodeFlags as given, youngGenerationSizeGiven } from './node-flags.js';

// V8's garbage collector as a server on a few cores wants it. Node compiles
// every module that a module imports before it runs any of them, so an
// entry imports this module first and loads the rest of its code with a
// dynamic import (see cli.ts). A flag of the same kind given to node, on its
// command line or in NODE_OPTIONS, is left to rule.

/**
 * Keeps V8's young generation at the size it starts with (1 MiB per
 * semi-space on 64-bit) for the life of the process.
 *
 * V8 doubles the young generation, up to 16 MiB per semi-space, as soon as
 * much of it survives collections, which loading a server's code does, and
 * gives it back only after tens of seconds of idleness. Kept small, a
 * process holds some 25 MiB less, for collections that run more often:
 * docs/performance-server.md has both measured. The growth factor is read
 * each time V8 would grow the space, so unlike the maximum size it can be
 * set once the process runs, before the space has grown.
 */
function keepYoungGenerationSmall(): void {
  if (youngGenerationSizeGiven) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Collects on the main thread: no helper threads for the young generation,
 * for marking the old one, or for sweeping array buffers.
 *
 * During a transfer the young generation, kept small, is collected every
 * few milliseconds, and the buffers that data passes through start a
 * marking of the old generation several times a second; V8 hands each to
 * helper threads, one per core and more, and waking them costs more than
 * the work they take over. On 2 cores, a 512 MiB upload took 1.6 to 2.5 s
 * of server CPU with the helpers and 0.8 to 1.3 s without, the main thread
 * doing no more than before (docs/performance-server.md). These three flags
 * are read as each collection starts, so they can be set once the process
 * runs (`--single-threaded-gc`, which implies them and more, cannot: some
 * of the flags it implies crash V8 when changed then).
 */
function collectOnMainThread(): void {
  if (/scavenge|concurrent-marking|array-buffer-sweeping|single-threaded-gc/.test(given)) return;
  setFlagsFromString('--no-parallel-scavenge');
  setFlagsFromString('--no-concurrent-marking');
  setFlagsFromString('--no-concurrent-array-buffer-sweeping');
}

keepYoungGenerationSmall();
collectOnMainThread();
