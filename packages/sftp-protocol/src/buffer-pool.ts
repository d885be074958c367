/** Buffers from this size on come from the pool; smaller ones from Node's own pool. */
export const POOLED_FROM = 64 * 1024;

/**
 * Packet-sized buffers kept for reuse. Large READ replies and WRITE packets
 * assembled from several chunks would otherwise each allocate a fresh
 * quarter-megabyte buffer, and a transfer's memory would grow with the
 * garbage until the collector runs.
 */
export class BufferPool {
  readonly size: number;
  readonly #max: number;
  readonly #free: Buffer[] = [];
  readonly #mine = new WeakSet<ArrayBufferLike>();

  constructor(size: number, max: number) {
    this.size = size;
    this.#max = max;
  }

  take(): Buffer {
    const reused = this.#free.pop();
    if (reused) return reused;
    const fresh = Buffer.allocUnsafeSlow(this.size);
    this.#mine.add(fresh.buffer);
    return fresh;
  }

  /** Buffers kept for reuse now. */
  get kept(): number {
    return this.#free.length;
  }

  /** Lets go of the buffers kept, for the collector to free; those in use come back as before. */
  clear(): void {
    this.#free.length = 0;
  }

  /** Returns the pool buffer that `view` lies in; other buffers are ignored. */
  give(view: Buffer): void {
    if (!this.#mine.has(view.buffer) || this.#free.length >= this.#max) return;
    this.#free.push(Buffer.from(view.buffer, 0, this.size));
  }
}
