import { constants } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CLOSED_CONNECTIONS_FOR_COLLECTION,
  COLLECTION_DELAY_MS,
  COLLECTION_INTERVAL_MS,
  wholeHeapCollectionAfterCloses,
} from '../src/heap-collection-after-closes.js';
import { collectionsDuring } from './gc-entries.js';

/**
 * A counter on a fake clock that starts at 0, whose collections are recorded
 * with the clock's time of each.
 */
function countedOnFakeClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'], now: 0 });
  const at: number[] = [];
  const closed = wholeHeapCollectionAfterCloses((options) => {
    expect(options).toBeUndefined();
    at.push(Date.now());
  });
  const close = (count: number) => {
    for (let i = 0; i < count; i++) closed();
  };
  return { at, close };
}

describe('wholeHeapCollectionAfterCloses', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it(`collects the whole heap twice, a second after the ${CLOSED_CONNECTIONS_FOR_COLLECTION}th connection closed`, () => {
    const { at, close } = countedOnFakeClock();
    close(CLOSED_CONNECTIONS_FOR_COLLECTION - 1);
    vi.advanceTimersByTime(60_000);
    expect(at).toEqual([]);
    close(1);
    vi.advanceTimersByTime(COLLECTION_DELAY_MS - 1);
    expect(at).toEqual([]);
    // closes while one is pending are collected by it
    close(CLOSED_CONNECTIONS_FOR_COLLECTION);
    vi.advanceTimersByTime(1_000);
    expect(at).toEqual([60_000 + COLLECTION_DELAY_MS, 60_000 + COLLECTION_DELAY_MS + 100]);
  });

  it('counts again from the collection, and collects again no sooner than ten seconds after it', () => {
    const { at, close } = countedOnFakeClock();
    close(CLOSED_CONNECTIONS_FOR_COLLECTION);
    vi.advanceTimersByTime(2_000);
    expect(at).toEqual([COLLECTION_DELAY_MS, COLLECTION_DELAY_MS + 100]);
    close(CLOSED_CONNECTIONS_FOR_COLLECTION - 1);
    vi.advanceTimersByTime(30_000);
    expect(at).toHaveLength(2);
    at.length = 0;
    close(1);
    vi.advanceTimersByTime(COLLECTION_INTERVAL_MS);
    // at 32 s, long after the last collection: one second after the close
    expect(at).toEqual([32_000 + COLLECTION_DELAY_MS, 32_000 + COLLECTION_DELAY_MS + 100]);
  });

  it('waits out the ten seconds after a collection when the next burst comes sooner', () => {
    const { at, close } = countedOnFakeClock();
    close(CLOSED_CONNECTIONS_FOR_COLLECTION);
    vi.advanceTimersByTime(2_000);
    close(CLOSED_CONNECTIONS_FOR_COLLECTION);
    vi.advanceTimersByTime(COLLECTION_INTERVAL_MS);
    expect(at).toEqual([
      COLLECTION_DELAY_MS,
      COLLECTION_DELAY_MS + 100,
      COLLECTION_DELAY_MS + COLLECTION_INTERVAL_MS,
      COLLECTION_DELAY_MS + COLLECTION_INTERVAL_MS + 100,
    ]);
  });

  it("has V8 collect its whole heap with its own gc(), and leaves node's global as it was", async () => {
    const before = (globalThis as { gc?: unknown }).gc;
    const closed = wholeHeapCollectionAfterCloses();
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
    const major = await collectionsDuring(constants.NODE_PERFORMANCE_GC_MAJOR, async () => {
      for (let i = 0; i < CLOSED_CONNECTIONS_FOR_COLLECTION; i++) closed();
      await sleep(COLLECTION_DELAY_MS + 400);
    });
    expect(major).toBeGreaterThanOrEqual(2);
  });
});
