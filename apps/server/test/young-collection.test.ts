import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { YOUNG_COLLECTION_BYTES, youngCollectionByBytes } from '../src/young-collection.js';

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
  it(`collects the young generation once every ${YOUNG_COLLECTION_BYTES / 2 ** 20} MiB received`, async () => {
    const received = youngCollectionByBytes();
    expect(received).toBeTypeOf('function');
    // counting allocates nothing: what V8 collects here, the count asked for
    const collections = await minorCollectionsDuring(() => {
      for (let i = 0; i < 40; i++) received?.(YOUNG_COLLECTION_BYTES / 2);
    });
    expect(collections).toBeGreaterThanOrEqual(20);
    expect(collections).toBeLessThan(25);
  });

  it("leaves node's global as it was: gc() only with node's --expose-gc", () => {
    const before = (globalThis as { gc?: unknown }).gc;
    youngCollectionByBytes();
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
  });
});
