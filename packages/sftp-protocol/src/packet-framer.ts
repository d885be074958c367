import { type BufferPool, POOLED_FROM } from './buffer-pool.js';

/**
 * Cuts the bytes a stream delivers, in chunks of any size, into packets
 * (uint32 length, then the payload). A packet inside one chunk is a view of
 * it; one spread over several chunks is copied once, into a pooled buffer
 * when it is large.
 */
export class PacketFramer {
  readonly #pool: BufferPool;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(pool: BufferPool) {
    this.#pool = pool;
  }

  /** Bytes received and not taken yet. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The length field of the next packet; needs 4 bytes buffered. */
  peekLength(): number {
    if (this.#chunks[0]!.length < 4) {
      this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
    }
    return this.#chunks[0]!.readUInt32BE(0);
  }

  /** The next `size` buffered bytes. */
  take(size: number): Buffer {
    this.#buffered -= size;
    const first = this.#chunks[0]!;
    if (first.length >= size) {
      if (first.length === size) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(size);
      return first.subarray(0, size);
    }
    const packet = size >= POOLED_FROM ? this.#pool.take() : Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.#chunks[0]!;
      const n = Math.min(chunk.length, size - filled);
      chunk.copy(packet, filled, 0, n);
      filled += n;
      if (n === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(n);
    }
    return packet.subarray(0, size);
  }
}
