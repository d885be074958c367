import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';

/**
 * Collections of one kind (`constants.NODE_PERFORMANCE_GC_MINOR` or
 * `_MAJOR`) that V8 reports while `work` runs.
 */
export async function collectionsDuring(
  kind: number,
  work: () => void | Promise<void>,
): Promise<number> {
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as PerformanceEntry & { detail: { kind: number } }).detail.kind === kind) count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await work();
    // the entries are delivered on a later turn of the event loop
    await turn();
    await turn();
  } finally {
    observer.disconnect();
  }
  return count;
}
