// How long creating a file takes in the benchmark's work directory, and a
// wait until it is fast again. ext4 without a journal (the root file system
// of some virtual machines) reuses no inode freed in the last one to six
// minutes: each new file then scans past every inode freed in that time, in
// the kernel. After a test suite or anything else that deletes thousands of
// files, creating one can take half a millisecond for minutes, which both
// servers pay for every small file, and the ratio of their speeds then says
// more about the file system than about them.
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

const CREATE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY;

/** Above this, a file's creation is the slow kind this module waits out. */
export const FAST_CREATE_MICROS = 60;

export interface CreateProbe {
  /** Microseconds to create an empty file, the median of the last probe. */
  readonly micros: number;
  /** How long the wait took, in seconds. */
  readonly waitedSeconds: number;
}

let probes = 0;

/**
 * The median time to create one empty file in a new directory under `dir`,
 * in microseconds. The files stay: removing them would slow later creations.
 */
function createMicros(dir: string, count = 200): number {
  const at = join(dir, `create-probe-${probes++}`);
  mkdirSync(at, { recursive: true });
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    closeSync(openSync(join(at, `f${i}`), CREATE, 0o644));
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(count / 2)] as number;
}

/**
 * Probes every `pollMs` until a creation takes under
 * {@link FAST_CREATE_MICROS}, for at most `limitMs`: the slow state ends
 * on its own once the freed inodes are old enough.
 */
export async function waitForFastCreates(
  dir: string,
  limitMs = 7 * 60_000,
  pollMs = 15_000,
): Promise<CreateProbe> {
  const start = performance.now();
  let micros = createMicros(dir);
  while (micros > FAST_CREATE_MICROS && performance.now() - start + pollMs <= limitMs) {
    process.stderr.write(
      `bench: creating a file takes ${micros.toFixed(0)} µs in ${dir}; waiting for it to be fast\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    micros = createMicros(dir);
  }
  return { micros, waitedSeconds: (performance.now() - start) / 1000 };
}
