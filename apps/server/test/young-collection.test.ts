import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CollectGarbage } from '../src/v8-gc.js';
import { YOUNG_COLLECTION_BYTES, youngCollectionByBytes } from '../src/young-collection.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MODULE = new URL('../src/young-collection.ts', import.meta.url).href;

/** What `youngCollectionByBytes()` returns in a node started with `nodeArgs` and `env`. */
function counterKindIn(nodeArgs: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const script = `const m = await import(${JSON.stringify(MODULE)}); console.log(typeof m.youngCollectionByBytes());`;
  const run = spawnSync(
    process.execPath,
    [...nodeArgs, '--import', TSX, '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 30_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim();
}

/** Collections of the young generation that V8 reports while `work` runs. */
async function minorCollectionsDuring(work: () => void): Promise<number> {
  let minor = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind } = (entry as PerformanceEntry & { detail: { kind: number } }).detail;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    work();
    // the entries are delivered on a later turn of the event loop
    await turn();
    await turn();
  } finally {
    observer.disconnect();
  }
  return minor;
}

describe('youngCollectionByBytes', () => {
  it(`asks for a collection of the young generation once every ${YOUNG_COLLECTION_BYTES / 2 ** 20} MiB received`, () => {
    const asked: string[] = [];
    const collect: CollectGarbage = (options) => asked.push(options?.type ?? 'whole heap');
    const received = youngCollectionByBytes(collect);
    for (let i = 0; i < 9; i++) received?.(YOUNG_COLLECTION_BYTES / 2);
    received?.(YOUNG_COLLECTION_BYTES / 2 - 1);
    expect(asked).toEqual(['minor', 'minor', 'minor', 'minor']);
    received?.(1);
    expect(asked).toHaveLength(5);
  });

  it("leaves the young generation to node's own flag for its size", () => {
    expect(counterKindIn([])).toBe('function');
    expect(counterKindIn(['--max-semi-space-size=8'])).toBe('undefined');
    expect(counterKindIn([], { NODE_OPTIONS: '--max-semi-space-size=8' })).toBe('undefined');
  });

  it("has V8 collect with its own gc(), and leaves node's global as it was", async () => {
    const before = (globalThis as { gc?: unknown }).gc;
    const received = youngCollectionByBytes();
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
    // counting allocates nothing: the collections seen here are the ones asked for
    const minor = await minorCollectionsDuring(() => {
      for (let i = 0; i < 20; i++) received?.(YOUNG_COLLECTION_BYTES);
    });
    expect(minor).toBeGreaterThanOrEqual(20);
  });
});
