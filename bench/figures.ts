// The figures measured: one sftp batch each, with what to clear before a run
// and what to check after it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  expectFileSize,
  expectTree,
  type Fixtures,
  fileDigest,
  syncDisks,
  treeDigest,
} from './fixtures.js';

export type Unit = 'MiB/s' | 'files/s' | 'entries/s' | 'logins/s';

export interface VerifyContext {
  /** Also compare checksums: done once per figure and server, never timed. */
  readonly full: boolean;
  /** Runs the same batch again, untimed, and returns what the client printed. */
  readonly captureOutput: () => Promise<string>;
}

export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  /** MiB or files moved by one run, to turn a time into a throughput. */
  readonly amount: number;
  /** The `sftp -b` batch of run number `run`; remote paths are relative to the served directory. */
  batch(run: number): string;
  /** Clears the way for a run, untimed. */
  prepare(run: number): Promise<void>;
  /** Fails unless the run transferred everything. */
  verify(run: number, context: VerifyContext): Promise<void>;
}

/** Removes a large output of the previous run and flushes dirty pages. */
export async function clear(path: string): Promise<void> {
  await rm(path, { force: true });
  syncDisks();
}

/**
 * Small files go to a new directory on each run, removed with the temp dir at
 * the end: ext4 passes over recently freed inodes when it allocates new ones,
 * and deleting the previous run's 2,000 files made the next run's creates up
 * to ten times slower, for either server.
 */
async function flush(): Promise<void> {
  syncDisks();
}

/** `1 GiB` or `64 MiB`: a size as the labels give it. */
export function mib(bytes: number): string {
  return bytes % (1024 * 1024 * 1024) === 0
    ? `${bytes / (1024 * 1024 * 1024)} GiB`
    : `${bytes / (1024 * 1024)} MiB`;
}

/** Fails unless the sha256 `actual` resolves to is `expected`. */
export async function expectDigest(actual: Promise<string>, expected: string, what: string) {
  if ((await actual) !== expected) throw new Error(`${what}: sha256 differs from the original`);
}

export function figures(fx: Fixtures): Figure[] {
  const { bigBytes, smallCount, smallBytes, listCount } = fx.sizes;
  const gotBig = join(fx.clientDir, 'got.bin');
  const upBig = join(fx.serverRoot, 'up.bin');
  const gotSmall = (run: number) => join(fx.clientDir, `got-small-${run}`);
  const upSmall = (run: number) => `up-small-${run}`;
  const smallLabel = `${smallCount.toLocaleString('en-US')} × ${smallBytes / 1024} KiB`;
  return [
    {
      id: 'get-large',
      label: `get, one ${mib(bigBytes)} file`,
      unit: 'MiB/s',
      amount: bigBytes / (1024 * 1024),
      batch: () => `get big.bin ${gotBig}\n`,
      prepare: () => clear(gotBig),
      async verify(_run, { full }) {
        await expectFileSize(gotBig, bigBytes);
        if (full) await expectDigest(fileDigest(gotBig), fx.bigDigest, gotBig);
      },
    },
    {
      id: 'put-large',
      label: `put, one ${mib(bigBytes)} file`,
      unit: 'MiB/s',
      amount: bigBytes / (1024 * 1024),
      batch: () => `put ${join(fx.clientDir, 'big.bin')} up.bin\n`,
      prepare: () => clear(upBig),
      async verify(_run, { full }) {
        await expectFileSize(upBig, bigBytes);
        if (full) await expectDigest(fileDigest(upBig), fx.bigDigest, upBig);
      },
    },
    {
      id: 'put-small',
      label: `put -r, ${smallLabel}`,
      unit: 'files/s',
      amount: smallCount,
      batch: (run) => `put -r ${join(fx.clientDir, 'small')} ${upSmall(run)}\n`,
      prepare: flush,
      async verify(run, { full }) {
        const dir = join(fx.serverRoot, upSmall(run));
        await expectTree(dir, smallCount, smallBytes);
        if (full) await expectDigest(treeDigest(dir), fx.smallDigest, dir);
      },
    },
    {
      id: 'get-small',
      label: `get -r, ${smallLabel}`,
      unit: 'files/s',
      amount: smallCount,
      batch: (run) => `get -r small ${gotSmall(run)}\n`,
      prepare: flush,
      async verify(run, { full }) {
        await expectTree(gotSmall(run), smallCount, smallBytes);
        if (full) await expectDigest(treeDigest(gotSmall(run)), fx.smallDigest, gotSmall(run));
      },
    },
    {
      id: 'ls',
      label: `ls -l, ${listCount.toLocaleString('en-US')} entries`,
      unit: 'entries/s',
      amount: listCount,
      batch: () => 'ls -l many\n',
      prepare: async () => {},
      async verify(_run, { full, captureOutput }) {
        if (!full) return;
        const listed = (await captureOutput()).split('\n').filter((l) => /\bentry-\d+$/.test(l));
        if (listed.length !== listCount)
          throw new Error(`ls -l listed ${listed.length} entries, expected ${listCount}`);
      },
    },
  ];
}
