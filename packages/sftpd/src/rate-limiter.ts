import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces transfers out to a rate, without busy-waiting: each call reserves
 * the next slot of time its bytes need, and resolves when that slot ends.
 * Concurrent calls (pipelined requests) line up, so together they keep to
 * the rate.
 */
export class RateLimiter {
  readonly #bytesPerMs: number;
  /** When the bytes reserved so far have all gone, on the performance clock. */
  #next = 0;

  constructor(bytesPerSecond: number) {
    this.#bytesPerMs = bytesPerSecond / 1000;
  }

  async take(bytes: number): Promise<void> {
    const now = performance.now();
    this.#next = Math.max(now, this.#next) + bytes / this.#bytesPerMs;
    const wait = this.#next - now;
    if (wait >= 1) await sleep(wait);
  }
}
