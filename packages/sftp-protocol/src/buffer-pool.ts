/** Buffers from this size on come from the pool; smaller ones from Node's own pool. */
export const POOLED_FROM = 64 * 1024;

/** Free buffers of each size kept for the sessions to come, once those that held them have ended. */
export const SPARES_KEPT = 64;

/** The memory of every pool buffer, whichever pool allocated it. */
const pooled = new WeakSet<ArrayBufferLike>();
/** Pool buffers that sit in a free list: one given back twice is kept once, never handed out twice. */
const idle = new WeakSet<ArrayBufferLike>();
/** The free buffers of ended sessions, by size, shared by the process's pools. */
const sparesBySize = new Map<number, Buffer[]>();

function sparesOf(size: number): Buffer[] {
  let spares = sparesBySize.get(size);
  if (!spares) {
    spares = [];
    sparesBySize.set(size, spares);
  }
  return spares;
}

/**
 * Packet-sized buffers kept for reuse. Large READ replies and WRITE packets
 * assembled from several chunks would otherwise each allocate a fresh
 * quarter-megabyte buffer, and a transfer's memory would grow with the
 * garbage until the collector runs.
 *
 * A session's pool keeps up to `max` free buffers while it runs. Once it is
 * {@link retire}d, its free buffers, and those given back later, go to the
 * spares that the next sessions' pools of the same size take first: the
 * memory of an ended session is used again rather than left for a full
 * collection of the heap, which may be long in coming.
 */
export class BufferPool {
  readonly size: number;
  readonly #max: number;
  readonly #free: Buffer[] = [];
  readonly #spares: Buffer[];
  #retired = false;

  constructor(size: number, max: number) {
    this.size = size;
    this.#max = max;
    this.#spares = sparesOf(size);
  }

  take(): Buffer {
    const reused = this.#free.pop() ?? this.#spares.pop();
    if (reused) {
      idle.delete(reused.buffer);
      return reused;
    }
    const fresh = Buffer.allocUnsafeSlow(this.size);
    pooled.add(fresh.buffer);
    return fresh;
  }

  /** Returns the pool buffer that `view` lies in; other buffers are ignored. */
  give(view: Buffer): void {
    const memory = view.buffer;
    if (memory.byteLength !== this.size || !pooled.has(memory) || idle.has(memory)) return;
    const list = this.#retired ? this.#spares : this.#free;
    if (list.length >= (this.#retired ? SPARES_KEPT : this.#max)) return;
    idle.add(memory);
    list.push(Buffer.from(memory, 0, this.size));
  }

  /** Hands the free buffers, and those given back from now on, to the sessions to come. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    for (const buffer of this.#free.splice(0)) {
      if (this.#spares.length < SPARES_KEPT) this.#spares.push(buffer);
      else idle.delete(buffer.buffer);
    }
  }
}
