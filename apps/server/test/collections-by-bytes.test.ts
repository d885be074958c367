import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AFTER_DATA_EXTERNAL_BYTES,
  AFTER_DATA_MS,
  collectionsByBytesReceived,
  WHOLE_COLLECTION_EXTERNAL_BYTES,
  WHOLE_COLLECTION_INTERVAL_MS,
  YOUNG_COLLECTION_BYTES,
} from '../src/collections-by-bytes.js';
import type { CollectGarbage } from '../src/v8-gc.js';
import { collectionsDuring } from './gc-entries.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MODULE = new URL('../src/collections-by-bytes.ts', import.meta.url).href;

/** What `collectionsByBytesReceived()` returns in a node started with `nodeArgs` and `env`. */
function counterKindIn(nodeArgs: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  const script = `const m = await import(${JSON.stringify(MODULE)}); console.log(typeof m.collectionsByBytesReceived());`;
  const run = spawnSync(
    process.execPath,
    [...nodeArgs, '--import', TSX, '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 30_000 },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim();
}

const MiB = 2 ** 20;

/**
 * A count whose memory outside V8's heap is `external`, as the test sets it,
 * and becomes `afterWhole` at each collection of the whole heap; `asked`
 * lists the collections it asked for.
 */
function countedWithMemory(external: number, afterWhole: number) {
  const count = {
    external,
    asked: [] as string[],
    received: undefined as ((bytes: number) => void) | undefined,
  };
  const collect: CollectGarbage = (options) => {
    count.asked.push(options?.type ?? 'whole');
    if (!options) count.external = afterWhole;
  };
  count.received = collectionsByBytesReceived(collect, () => count.external);
  return count;
}

describe('collectionsByBytesReceived', () => {
  it(`asks for a collection of the young generation once every ${YOUNG_COLLECTION_BYTES / 2 ** 20} MiB received`, () => {
    const asked: string[] = [];
    const collect: CollectGarbage = (options) => asked.push(options?.type ?? 'whole heap');
    const received = collectionsByBytesReceived(collect, () => 0);
    for (let i = 0; i < 9; i++) received?.(YOUNG_COLLECTION_BYTES / 2);
    received?.(YOUNG_COLLECTION_BYTES / 2 - 1);
    expect(asked).toEqual(['minor', 'minor', 'minor', 'minor']);
    received?.(1);
    expect(asked).toHaveLength(5);
  });

  describe('on a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['performance', 'setTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it(`collects the whole heap once the memory outside it has grown by ${WHOLE_COLLECTION_EXTERNAL_BYTES / 2 ** 20} MiB from its lowest, once a second at most`, () => {
      // a collection of the whole heap frees all but 1 MiB of what was added
      const count = countedWithMemory(20 * MiB, 21 * MiB);
      const chunk = () => count.received?.(YOUNG_COLLECTION_BYTES);
      // freed by the young collections: the lowest point moves down with it
      count.external = 18 * MiB;
      chunk();
      count.external = 18 * MiB + WHOLE_COLLECTION_EXTERNAL_BYTES - 1;
      chunk();
      expect(count.asked).toEqual(['minor', 'minor']);
      // grown by the limit from 18 MiB, not from the 20 at the start
      count.external = 18 * MiB + WHOLE_COLLECTION_EXTERNAL_BYTES;
      chunk();
      expect(count.asked).toEqual(['minor', 'minor', 'minor', 'whole']);
      // counted from what the whole collection left
      count.external = 21 * MiB + WHOLE_COLLECTION_EXTERNAL_BYTES - 1;
      chunk();
      expect(count.asked.at(-1)).toBe('minor');
      // grown by the limit, but too soon after the last one
      vi.advanceTimersByTime(WHOLE_COLLECTION_INTERVAL_MS / 2);
      count.external = 21 * MiB + WHOLE_COLLECTION_EXTERNAL_BYTES;
      chunk();
      expect(count.asked.at(-1)).toBe('minor');
      vi.advanceTimersByTime(WHOLE_COLLECTION_INTERVAL_MS / 2);
      chunk();
      expect(count.asked.slice(-2)).toEqual(['minor', 'whole']);
    });

    it(`collects the whole heap ${AFTER_DATA_MS} ms after data stops, if what is outside it has grown by ${AFTER_DATA_EXTERNAL_BYTES / 2 ** 20} MiB`, () => {
      const count = countedWithMemory(10 * MiB, 10 * MiB);
      const wholes = () => count.asked.filter((a) => a === 'whole').length;
      // an upload that leaves less than the limit behind: no collection once it stops
      count.external = 10 * MiB + AFTER_DATA_EXTERNAL_BYTES - 1;
      count.received?.(YOUNG_COLLECTION_BYTES);
      vi.advanceTimersByTime(AFTER_DATA_MS);
      expect(wholes()).toBe(0);
      // data still arriving moves the moment on: nothing while it comes
      count.external = 10 * MiB + AFTER_DATA_EXTERNAL_BYTES;
      for (let i = 0; i < 5; i++) {
        count.received?.(YOUNG_COLLECTION_BYTES);
        vi.advanceTimersByTime(AFTER_DATA_MS - 1);
      }
      expect(wholes()).toBe(0);
      // then it stops
      vi.advanceTimersByTime(1);
      expect(wholes()).toBe(1);
      // and once collected, nothing more until data comes again
      vi.advanceTimersByTime(10 * AFTER_DATA_MS);
      expect(wholes()).toBe(1);
      count.external = 10 * MiB + AFTER_DATA_EXTERNAL_BYTES;
      count.received?.(YOUNG_COLLECTION_BYTES);
      vi.advanceTimersByTime(AFTER_DATA_MS);
      expect(wholes()).toBe(2);
    });
  });

  it("leaves the young generation to node's own flag for its size", () => {
    expect(counterKindIn([])).toBe('function');
    expect(counterKindIn(['--max-semi-space-size=8'])).toBe('undefined');
    expect(counterKindIn([], { NODE_OPTIONS: '--max-semi-space-size=8' })).toBe('undefined');
  });

  it("has V8 collect with its own gc(), and leaves node's global as it was", async () => {
    const before = (globalThis as { gc?: unknown }).gc;
    const received = collectionsByBytesReceived();
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
    // counting allocates nothing: the collections seen here are the ones asked for
    const minor = await collectionsDuring(constants.NODE_PERFORMANCE_GC_MINOR, () => {
      for (let i = 0; i < 20; i++) received?.(YOUNG_COLLECTION_BYTES);
    });
    expect(minor).toBeGreaterThanOrEqual(20);
  });
});
